"use client";
import { useSearchParams } from "next/navigation";
import { ModelVerification } from "./ModelVerification";
import { ReadingVerification } from "./ReadingVerification";

/** `?version=<id>` (a link from the Twins page), or null. */
function requestedVersion(raw: string | null): bigint | null {
  return raw !== null && /^[0-9]{1,19}$/.test(raw) ? BigInt(raw) : null;
}

export function Audit() {
  const version = requestedVersion(useSearchParams().get("version"));
  return (
    <>
      <h1>Audit</h1>
      <p className="muted">
        Check the consortium&apos;s records yourself, from public data only: the chain (through this app&apos;s read-only RPC) and the
        network&apos;s IPFS nodes, whose every block is hash-checked in this browser, so neither the nodes nor this app&apos;s server can
        alter what you verify. The command-line auditor (<code>npm run audit</code>) runs the complete audit.
      </p>
      <ModelVerification requestedVersion={version} />
      <ReadingVerification />
    </>
  );
}
