/** The chain the app serves, as wagmi and viem need it; the id and addresses come from the deployment record. */
import { defineChain, type Chain } from "viem";

export function appChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "twinledger local chain" : `twinledger chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}
