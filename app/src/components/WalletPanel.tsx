"use client";
/**
 * The wallet: connect an injected EIP-1193 wallet, switch it to the consortium's chain, and show the account's
 * roles. Without a wallet the app stays fully readable and says so.
 */
import { useEffect, useState } from "react";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { useAppConfig } from "@/lib/app-config";
import { describeError } from "@/lib/errors";
import { roleDescriptions } from "@/lib/roles";
import { useAccountRoles } from "@/lib/use-roles";
import { Address } from "./Address";

function hasInjectedProvider(): boolean {
  return typeof window !== "undefined" && typeof (window as Window & { ethereum?: unknown }).ethereum !== "undefined";
}

export function WalletPanel() {
  const { chainId: appChainId } = useAppConfig();
  const { address, chainId, status } = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  const switchChain = useSwitchChain();
  const { roles, isLoading: rolesLoading } = useAccountRoles(chainId === appChainId ? address : undefined);
  // Whether a wallet is injected is known only in the browser; render the neutral state until mounted.
  const [walletPresent, setWalletPresent] = useState<boolean | null>(null);
  useEffect(() => setWalletPresent(hasInjectedProvider()), []);

  if (walletPresent === null) return <div className="wallet" aria-busy="true" />;
  if (!walletPresent && status !== "connected") {
    return (
      <div className="wallet wallet-readonly" data-testid="wallet-readonly">
        <strong>Read-only.</strong> No browser wallet was found, so you can look at everything but act on nothing. Install an
        Ethereum wallet (any EIP-1193 browser extension) to register devices or vote.
      </div>
    );
  }
  if (status !== "connected" || !address) {
    const connector = connectors[0];
    return (
      <div className="wallet">
        <button type="button" className="primary" disabled={!connector || connect.isPending} onClick={() => connector && connect.mutate({ connector })}>
          {connect.isPending ? "Connecting…" : "Connect wallet"}
        </button>
        {connect.error ? <p role="alert" className="tx-failed">{describeError(connect.error).message}</p> : <span className="muted"> Read-only until you connect.</span>}
      </div>
    );
  }
  if (chainId !== appChainId) {
    return (
      <div className="wallet wallet-wrong-chain" role="alert" data-testid="wrong-chain">
        Your wallet is on chain {chainId}; this consortium runs on chain {appChainId}.{" "}
        <button type="button" className="primary" disabled={switchChain.isPending} onClick={() => switchChain.mutate({ chainId: appChainId })}>
          {switchChain.isPending ? "Switching…" : `Switch to chain ${appChainId}`}
        </button>
        {switchChain.error ? <span className="tx-failed"> {describeError(switchChain.error).message}</span> : null}
      </div>
    );
  }
  return (
    <div className="wallet wallet-connected" data-testid="wallet-connected">
      <span>
        Connected <Address value={address} label="account" />
      </span>
      <ul className="roles" aria-label="Your roles">
        {rolesLoading ? <li className="muted">reading roles…</li> : roles.length === 0 ? <li className="muted" data-testid="no-roles">no consortium role</li> : roles.map((role) => (
          <li key={role} className={`role role-${role.toLowerCase()}`} title={roleDescriptions[role as keyof typeof roleDescriptions]} data-testid={`role-${role}`}>{role}</li>
        ))}
      </ul>
      <button type="button" onClick={() => disconnect.mutate({})}>Disconnect</button>
    </div>
  );
}
