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

export async function connectRpc(rpcUrl: string): Promise<ChainClients> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (cause) {
    throw new Error(`no Ethereum JSON-RPC node answers at ${rpcUrl}`, { cause });
  }
  const chain: Chain = {
    id: chainId,
    name: `twinledger-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  const transport = http(rpcUrl);
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }),
    walletFor: (privateKey) => createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport }),
  };
}

/** Waits for a transaction and throws if it reverted, so a failed step never passes silently. */
export async function confirm(publicClient: PublicClient<Transport, Chain>, hash: Hash) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}
