import {
  createPublicClient,
  createWalletClient,
  http,
  type Account,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type Wallet = WalletClient<Transport, Chain, Account>;

/** The public and wallet clients of one RPC endpoint. */
export interface ChainClients {
  publicClient: PublicClient<Transport, Chain>;
  walletFor(privateKey: `0x${string}`): Wallet;
}

/** Clients over any viem transport (HTTP to a node, or an in-process EIP-1193 provider). */
export async function connectTransport(transport: Transport, rpcUrl = "http://127.0.0.1"): Promise<ChainClients> {
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain: Chain = {
    id: chainId,
    name: `twinledger-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }),
    walletFor: (privateKey) => createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport }),
  };
}

export async function connectRpc(rpcUrl: string): Promise<ChainClients> {
  try {
    return await connectTransport(http(rpcUrl), rpcUrl);
  } catch (cause) {
    throw new Error(`no Ethereum JSON-RPC node answers at ${rpcUrl}`, { cause });
  }
}

/** Waits for a transaction and throws if it reverted, so a failed step never passes silently. */
export async function confirm(publicClient: PublicClient<Transport, Chain>, hash: Hash) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}
