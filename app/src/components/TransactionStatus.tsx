"use client";
import type { TransactionState } from "@/lib/use-transaction";

const labels = {
  checking: "Checking the transaction against the chain…",
  wallet: "Waiting for your wallet to sign…",
  pending: "Pending: sent, waiting to be mined…",
} as const;

/** The state of one transaction, announced to screen readers as it changes. */
export function TransactionStatus({ state, what }: { state: TransactionState; what: string }) {
  if (state.phase === "idle") return <p role="status" aria-live="polite" className="tx tx-idle" />;
  if (state.phase === "failed") {
    return (
      <p role="alert" className="tx tx-failed" data-testid="tx-failed">
        <strong>{what} failed.</strong> {state.error.message}
        {state.error.errorName ? <code className="tx-error-name"> ({state.error.errorName})</code> : null}
      </p>
    );
  }
  if (state.phase === "confirmed") {
    return (
      <p role="status" aria-live="polite" className="tx tx-confirmed" data-testid="tx-confirmed">
        <strong>{what} confirmed</strong> in block {state.receipt.blockNumber.toString()} <code title={state.hash}>{state.hash.slice(0, 10)}…</code>
      </p>
    );
  }
  return (
    <p role="status" aria-live="polite" className="tx tx-busy" data-testid="tx-pending">
      <span className="spinner" aria-hidden="true" /> {labels[state.phase]}
      {state.phase === "pending" ? <code title={state.hash}> {state.hash.slice(0, 10)}…</code> : null}
    </p>
  );
}
