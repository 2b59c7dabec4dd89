/**
 * The content store backed by an external Kubo node through its RPC API (kubo-rpc-client). Options are spelled out
 * rather than left to Kubo's defaults so CIDs stay equal to the embedded node's even if a Kubo node is configured
 * otherwise (e.g. Import.CidVersion = 1).
 */
import { create, type AddOptions, type ImportCandidate, type KuboRPCClient } from "kubo-rpc-client";
import type { DirectoryFile } from "./inputs.ts";
import {
  concatChunks,
  describeTarget,
  errorMessage,
  parseCid,
  resolveTimeout,
  validateBytes,
  validateDirectoryFiles,
  validateRelativePath,
  withDeadline,
} from "./inputs.ts";
import type { ContentStore } from "./store.ts";

/** `ipfs add`'s defaults: CIDv0, dag-pb leaves, 256 KiB fixed chunks, balanced layout. */
export const kuboAddOptions: AddOptions = { cidVersion: 0, rawLeaves: false, chunker: "size-262144", trickle: false, hashAlg: "sha2-256", pin: true };

/**
 * The multipart entries for one directory: an explicit entry per sub-folder before its files, as `ipfs add -r`
 * sends them, so nested paths are not left for Kubo to infer.
 */
export function directoryCandidates(files: readonly DirectoryFile[]): ImportCandidate[] {
  const folders = new Set<string>();
  for (const file of files) {
    const segments = file.path.split("/");
    for (let i = 1; i < segments.length; i++) folders.add(segments.slice(0, i).join("/"));
  }
  return [...[...folders].sort().map((path) => ({ path })), ...files.map((file) => ({ path: file.path, content: file.content }))];
}

class KuboStore implements ContentStore {
  private readonly client: KuboRPCClient;
  private readonly apiUrl: string;

  constructor(client: KuboRPCClient, apiUrl: string) {
    this.client = client;
    this.apiUrl = apiUrl;
  }

  async addFile(bytes: Uint8Array): Promise<string> {
    validateBytes(bytes, "addFile");
    try {
      const result = await this.client.add(bytes, kuboAddOptions);
      return result.cid.toString();
    } catch (error) {
      throw new Error(`Kubo at ${this.apiUrl}: add failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  async addDirectory(files: DirectoryFile[]): Promise<string> {
    validateDirectoryFiles(files);
    let root: string | undefined;
    try {
      for await (const entry of this.client.addAll(directoryCandidates(files), { ...kuboAddOptions, wrapWithDirectory: true })) {
        // The wrapping directory comes back with an empty path.
        if (entry.path === "") root = entry.cid.toString();
      }
    } catch (error) {
      throw new Error(`Kubo at ${this.apiUrl}: add -r failed: ${errorMessage(error)}`, { cause: error });
    }
    if (root === undefined) throw new Error(`Kubo at ${this.apiUrl}: add -r returned no wrapping directory`);
    return root;
  }

  async cat(cid: string, path?: string, options: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const root = parseCid(cid);
    if (path !== undefined) validateRelativePath(path, "cat");
    const timeoutMs = resolveTimeout(options.timeoutMs);
    const target = describeTarget(root.toString(), path);
    const onTimeout = () => new Error(`timed out after ${timeoutMs} ms reading ${target} from Kubo at ${this.apiUrl}`);
    return withDeadline(timeoutMs, onTimeout, async (signal) => {
      try {
        return await concatChunks(this.client.cat(`/ipfs/${target}`, { signal }));
      } catch (error) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : onTimeout();
        throw new Error(`could not read ${target} from Kubo at ${this.apiUrl}: ${errorMessage(error)}`, { cause: error });
      }
    });
  }

  async close(): Promise<void> {
    // The RPC client holds no connections of its own beyond fetch's pool; nothing to stop.
  }
}

export async function openKuboStore(options: { apiUrl: string }): Promise<ContentStore> {
  let url: URL;
  try {
    url = new URL(options.apiUrl);
  } catch {
    throw new Error(`IPFS API URL is not a URL: ${JSON.stringify(options.apiUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`IPFS API URL must be http(s), got ${JSON.stringify(options.apiUrl)}`);
  return new KuboStore(create({ url }), url.toString());
}
