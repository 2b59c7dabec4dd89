/**
 * The embedded IPFS node: Helia with a filesystem blockstore and datastore under `${dataDir}/ipfs` (or in memory when
 * asked). Files are imported
 * with Kubo's `ipfs add` settings so CIDs match Kubo's; missing blocks come only from the given peers' trustless
 * gateways (no public gateways, no delegated routing) and are verified against their CIDs by Helia before use.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { withHTTP } from "@helia/http";
import { MemoryBlockstore } from "blockstore-core/memory";
import { FsBlockstore } from "blockstore-fs";
import { MemoryDatastore } from "datastore-core/memory";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia, type Router } from "helia";
import { exporter } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import { importer, type ImportCandidate, type ImportResult } from "ipfs-unixfs-importer";
import { startGatewayServer, type GatewayServer } from "./gateway-server.ts";
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
  type DirectoryFile,
} from "./inputs.ts";
import { kuboImporterOptions } from "./kubo-cid.ts";
import type { ContentStore, OpenStoreOptions } from "./store.ts";

/**
 * Helia 7's routing asks the non-fallback routers first and waits for all of them to finish before it asks fallback
 * routers (which is what `recursiveGateways` — our peers — become). With zero non-fallback routers that wait never
 * ends and every fetch hangs, so this router finishes at once with no providers.
 */
const noDelegatedRouting: Router = {
  name: "twinledger-no-delegated-routing",
  async *findProviders() {},
};

/** Peer URLs must be plain http(s) origins (optionally with a path prefix) of other twinledger gateways. */
function validatePeers(peers: readonly string[]): string[] {
  return peers.map((peer, index) => {
    let url: URL;
    try {
      url = new URL(peer);
    } catch {
      throw new Error(`peers[${index}] is not a URL: ${JSON.stringify(peer)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`peers[${index}] must be an http(s) URL, got ${JSON.stringify(peer)}`);
    return url.toString();
  });
}

async function lastCid(entries: AsyncIterable<ImportResult>, what: string, wantPath?: string): Promise<string> {
  let found: string | undefined;
  for await (const entry of entries) {
    if (wantPath === undefined || entry.path === wantPath) found = entry.cid.toString();
  }
  if (found === undefined) throw new Error(`${what}: the importer produced no root CID`);
  return found;
}

/** Helia's error when no block broker could supply a verified block (absent everywhere, or peers served bad bytes). */
function isMissingBlock(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.name === "LoadBlockFailedError") return true;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

class EmbeddedStore implements ContentStore {
  private closed = false;
  private readonly helia: Helia;
  private readonly blockstore: FsBlockstore | MemoryBlockstore;
  private readonly datastore: FsDatastore | MemoryDatastore;
  private readonly gateway: GatewayServer | undefined;
  private readonly peers: readonly string[];

  constructor(helia: Helia, blockstore: FsBlockstore | MemoryBlockstore, datastore: FsDatastore | MemoryDatastore, gateway: GatewayServer | undefined, peers: readonly string[]) {
    this.peers = peers;
    this.helia = helia;
    this.blockstore = blockstore;
    this.datastore = datastore;
    this.gateway = gateway;
  }

  async addFile(bytes: Uint8Array): Promise<string> {
    this.requireOpen();
    validateBytes(bytes, "addFile");
    return lastCid(importer([{ content: bytes }], this.helia.blockstore, kuboImporterOptions), "addFile");
  }

  async addDirectory(files: DirectoryFile[]): Promise<string> {
    this.requireOpen();
    validateDirectoryFiles(files);
    const candidates: ImportCandidate[] = files.map((file) => ({ path: file.path, content: file.content }));
    // wrapWithDirectory yields the directory that holds the files directly, under path "": the node `ipfs add -r dir` returns for `dir`.
    const entries = importer(candidates, this.helia.blockstore, { ...kuboImporterOptions, wrapWithDirectory: true });
    return lastCid(entries, "addDirectory", "");
  }

  async cat(cid: string, path?: string, options: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    this.requireOpen();
    const root = parseCid(cid);
    if (path !== undefined) validateRelativePath(path, "cat");
    const timeoutMs = resolveTimeout(options.timeoutMs);
    const target = describeTarget(root.toString(), path);
    let lastFailure = "no peer answered";
    const onTimeout = () => new Error(`timed out after ${timeoutMs} ms reading ${target}: not stored locally and not obtained from peers [${this.peers.join(", ")}] (last failure: ${lastFailure})`);
    return withDeadline(timeoutMs, onTimeout, async (signal) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.readFile(root, path, target, signal);
        } catch (error) {
          if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : onTimeout();
          if (!isMissingBlock(error)) throw new Error(`could not read ${target}: ${errorMessage(error)}`, { cause: error });
          if (this.peers.length === 0) throw new Error(`could not read ${target}: its blocks are not stored locally and no peers are configured`, { cause: error });
          // A peer may not have the content yet (it is still adding or announcing it), so keep asking until the deadline.
          lastFailure = errorMessage(error);
          await sleep(Math.min(1_000, 100 * 2 ** attempt), signal);
        }
      }
    });
  }

  private async readFile(root: CID, path: string | undefined, target: string, signal: AbortSignal): Promise<Uint8Array> {
    const entry = await exporter(path === undefined ? root : `${root.toString()}/${path}`, this.helia.blockstore, { signal });
    if (entry.type !== "file" && entry.type !== "raw" && entry.type !== "identity") {
      throw new Error(`${target} is a ${entry.type}, not a file`);
    }
    return concatChunks(entry.content({ signal }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.gateway?.close();
    await this.helia.stop();
    // Helia stops but does not close stores it was handed.
    if (this.blockstore instanceof FsBlockstore) await this.blockstore.close();
    if (this.datastore instanceof FsDatastore) await this.datastore.close();
  }

  private requireOpen(): void {
    if (this.closed) throw new Error("the content store is closed");
  }
}

export async function openEmbeddedStore(options: OpenStoreOptions): Promise<{ store: ContentStore; gatewayUrl?: string }> {
  if (typeof options.dataDir !== "string" || options.dataDir === "") throw new Error("openContentStore: dataDir is required");
  const peers = validatePeers(options.peers ?? []);
  const { blockstore, datastore } = await openStores(options);
  const helia = withHTTP(createHeliaLight({ blockstore, datastore }), {
    // Only the given peers: the default public gateways and delegated router would leak requests off the machine.
    delegatedRouters: [],
    recursiveGateways: peers,
    // Peers are plain-http loopback/LAN gateways, which the broker refuses by default.
    allowInsecure: true,
    allowLocal: true,
  });
  helia.addRouter(noDelegatedRouting);
  let gateway: GatewayServer | undefined;
  try {
    await helia.start();
    // Serve the raw blockstore, not helia.blockstore: serving must never trigger a fetch from peers.
    if (options.gatewayPort !== undefined) gateway = await startGatewayServer(blockstore, options.gatewayPort);
  } catch (error) {
    await helia.stop().catch(() => undefined);
    if (blockstore instanceof FsBlockstore) await blockstore.close().catch(() => undefined);
    if (datastore instanceof FsDatastore) await datastore.close().catch(() => undefined);
    throw error;
  }
  const store = new EmbeddedStore(helia, blockstore, datastore, gateway, peers);
  return gateway === undefined ? { store } : { store, gatewayUrl: gateway.url };
}

async function openStores(options: OpenStoreOptions): Promise<{ blockstore: FsBlockstore | MemoryBlockstore; datastore: FsDatastore | MemoryDatastore }> {
  if (options.inMemory === true) return { blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() };
  const root = join(options.dataDir, "ipfs");
  await mkdir(root, { recursive: true });
  const blockstore = new FsBlockstore(join(root, "blocks"));
  const datastore = new FsDatastore(join(root, "datastore"));
  await blockstore.open();
  await datastore.open();
  return { blockstore, datastore };
}
