/**
 * Where the app server gets one raw IPFS block: the network's trustless gateways first, then the Kubo RPC API the
 * network uses as its external node (IPFS_API_URL), through `block/get`. Server-side only. The server does not vouch
 * for the bytes: the browser hashes every block against its CID (lib/ipfs.ts).
 */
import type { AppConfig } from "./server-config";

const TIMEOUT_MS = 5_000;

async function fromGateway(gateway: string, cid: string): Promise<ArrayBuffer | undefined> {
  const response = await fetch(`${gateway}/ipfs/${cid}?format=raw`, {
    headers: { accept: "application/vnd.ipld.raw" },
    cache: "no-store",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return response.ok ? await response.arrayBuffer() : undefined;
}

/** Kubo's RPC API takes POST only; `block/get` answers with the block's bytes. */
async function fromRpcApi(apiUrl: string, cid: string): Promise<ArrayBuffer | undefined> {
  const response = await fetch(`${apiUrl.replace(/\/+$/, "")}/api/v0/block/get?arg=${encodeURIComponent(cid)}`, {
    method: "POST",
    cache: "no-store",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return response.ok ? await response.arrayBuffer() : undefined;
}

/** The block from the first source that has it, or undefined when none does (or none answers in time). */
export async function fetchRawBlock(config: Pick<AppConfig, "ipfsGateways" | "ipfsApiUrl">, cid: string): Promise<ArrayBuffer | undefined> {
  const sources = [
    ...config.ipfsGateways.map((gateway) => () => fromGateway(gateway, cid)),
    ...(config.ipfsApiUrl !== undefined ? [() => fromRpcApi(config.ipfsApiUrl!, cid)] : []),
  ];
  for (const source of sources) {
    try {
      const bytes = await source();
      if (bytes !== undefined) return bytes;
    } catch {
      // The next source may have it.
    }
  }
  return undefined;
}

/** Whether the app has any IPFS source at all. */
export const hasIpfsSource = (config: Pick<AppConfig, "ipfsGateways" | "ipfsApiUrl">): boolean =>
  config.ipfsGateways.length > 0 || config.ipfsApiUrl !== undefined;
