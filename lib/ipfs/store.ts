/**
 * The content store every twinledger process uses for model artefacts: an embedded Helia node (filesystem
 * blockstore, trustless HTTP gateway for other processes) or, when configured, an external Kubo node.
 */
import { openEmbeddedStore } from "./embedded-store.ts";
import { openKuboStore } from "./kubo-store.ts";

export interface ContentStore {
  /** Adds bytes as a UnixFS file with Kubo's default `ipfs add` settings; returns the CID string (CIDv0, Qm…). */
  addFile(bytes: Uint8Array): Promise<string>;
  /** Adds files as one UnixFS directory with Kubo's `ipfs add -r` settings; returns the directory's CID. Paths are relative, e.g. "model.json". */
  addDirectory(files: { path: string; content: Uint8Array }[]): Promise<string>;
  /** Reads a file by CID, or a file inside a directory CID by relative path. Blocks are verified against their CIDs. Rejects with a clear error (naming the CID) on timeout. */
  cat(cid: string, path?: string, options?: { timeoutMs?: number }): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Data directory; the embedded node keeps its filesystem blockstore and datastore under `${dataDir}/ipfs`. */
  dataDir: string;
  /**
   * Keep blocks in memory instead of under dataDir: for readers that verify and discard (an auditor run with its cache
   * bypassed), where writing every fetched block to disk is pure cost. Nothing survives close().
   */
  inMemory?: boolean;
  /** Trustless-gateway URLs of other twinledger processes to fetch missing blocks from (e.g. ["http://127.0.0.1:41234"]). */
  peers?: string[];
  /** Serve this node's blocks as a trustless HTTP gateway on 127.0.0.1 at this port (0 = a free port; undefined = do not serve). */
  gatewayPort?: number;
  /** When set (or env IPFS_API_URL is set), use that Kubo node through kubo-rpc-client instead of the embedded node. */
  apiUrl?: string;
}

export { DEFAULT_CAT_TIMEOUT_MS } from "./inputs.ts";

/**
 * Opens the embedded node, or the Kubo node named by `apiUrl` / IPFS_API_URL. With Kubo, `peers` and `gatewayPort`
 * do not apply (the Kubo node does its own networking) and no gatewayUrl is returned.
 */
export async function openContentStore(options: OpenStoreOptions): Promise<{ store: ContentStore; gatewayUrl?: string }> {
  const apiUrl = options.apiUrl ?? nonEmpty(process.env.IPFS_API_URL);
  if (apiUrl !== undefined) return { store: await openKuboStore({ apiUrl }) };
  return openEmbeddedStore(options);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
