/**
 * The one wagmi configuration factory, used by the app and by its component tests alike (two configurations
 * would each augment wagmi's `Register` type and clash).
 */
import { createConfig, http, type CreateConnectorFn } from "wagmi";
import { injected } from "wagmi/connectors";
import { appChain } from "./chain";

export interface WagmiSettings {
  chainId: number;
  /** Absolute URL of the app's JSON-RPC proxy (wallets that add the chain need an absolute URL). */
  rpcUrl: string;
  /** Connectors to offer; the browser-injected EIP-1193 wallet by default. */
  connectors?: CreateConnectorFn[];
}

export function getConfig({ chainId, rpcUrl, connectors }: WagmiSettings) {
  const chain = appChain(chainId, rpcUrl);
  return createConfig({
    chains: [chain],
    connectors: connectors ?? [injected({ shimDisconnect: true })],
    // Batched JSON-RPC: a page's many view calls travel as one request.
    transports: { [chain.id]: http(rpcUrl, { batch: { batchSize: 100, wait: 8 } }) },
    multiInjectedProviderDiscovery: false,
    ssr: true,
    pollingInterval: 1_000,
  });
}

declare module "wagmi" {
  interface Register {
    config: ReturnType<typeof getConfig>;
  }
}
