/**
 * IPFS in the browser, verified: every block comes raw from the app's /api/ipfs route (the network's trustless
 * gateways) and is hashed against its CID before use, so neither the gateways nor the app server can alter a model
 * or a report unnoticed. Files and directories (UnixFS, as `ipfs add` makes them) are read with ipfs-unixfs-exporter.
 */
import { exporter } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import { concatChunks, parseCid } from "../../../lib/ipfs/inputs.ts";
import { checkBlock } from "../../../lib/ipfs/verify-block.ts";

export interface FetchProgress {
  blocks: number;
  bytes: number;
}

export class IpfsError extends Error {
  override name = "IpfsError";
}

/** A read-only blockstore over /api/ipfs that refuses blocks whose bytes do not hash to their CID. */
export function verifiedBlockstore(onBlock?: (progress: FetchProgress) => void) {
  const progress: FetchProgress = { blocks: 0, bytes: 0 };
  const cache = new Map<string, Uint8Array>();
  async function fetchBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const key = cid.toString();
    const cached = cache.get(key);
    if (cached) return cached;
    const response = await fetch(`/api/ipfs/${key}`, { signal: signal ?? null, headers: { accept: "application/vnd.ipld.raw" } });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new IpfsError(body.message ?? `block ${key}: HTTP ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const check = await checkBlock(cid, bytes);
    if (!check.ok) throw new IpfsError(check.reason);
    cache.set(key, bytes);
    progress.blocks++;
    progress.bytes += bytes.length;
    onBlock?.({ ...progress });
    return bytes;
  }
  return {
    progress,
    fetchBlock,
    // ipfs-unixfs-exporter reads blocks through `get`, which yields a block's bytes.
    async *get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
      yield await fetchBlock(cid, options?.signal);
    },
  };
}

export type VerifiedBlockstore = ReturnType<typeof verifiedBlockstore>;

/** The bytes of a file by CID (optionally a path inside a directory CID), every block verified. */
export async function catVerified(cidText: string, path?: string, options: { blockstore?: VerifiedBlockstore; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  let root: CID;
  try {
    root = parseCid(cidText);
  } catch {
    throw new IpfsError(`${cidText} is not a CID`);
  }
  const blockstore = options.blockstore ?? verifiedBlockstore();
  const entry = await exporter(path ? `${root.toString()}/${path}` : root, blockstore, options.signal ? { signal: options.signal } : {});
  if (entry.type !== "file" && entry.type !== "raw" && entry.type !== "identity") throw new IpfsError(`${cidText}${path ? `/${path}` : ""} is a ${entry.type}, not a file`);
  return concatChunks(fileChunks(entry.content(options.signal ? { signal: options.signal } : {})));
}

/** UnixFS file content as byte chunks (the exporter's content type also admits decoded objects). */
async function* fileChunks(content: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of content) if (chunk instanceof Uint8Array) yield chunk;
}

/** Whether a CID names a directory (a TF.js model: model.json + weights.bin) or a single file. */
export async function isDirectory(cidText: string, blockstore: VerifiedBlockstore = verifiedBlockstore()): Promise<boolean> {
  const entry = await exporter(parseCid(cidText), blockstore);
  return entry.type === "directory";
}

/** A JSON document by CID (oracle reports, telemetry windows), verified block by block, then parsed. */
export async function catJson(cidText: string, options: { signal?: AbortSignal } = {}): Promise<unknown> {
  const bytes = await catVerified(cidText, undefined, options);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    throw new IpfsError(`${cidText} is not a JSON document`);
  }
}
