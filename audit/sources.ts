/**
 * What the auditor reads from, and nothing else: a JSON-RPC node (event logs through the paginated reader, a few
 * views), the deployment's addresses, and IPFS content by CID (an embedded node fetching from peers, a Kubo API, or
 * a plain trustless HTTP gateway). Every request is counted so a report can say what the audit cost, and an
 * optional local cache (audit/core/cache.ts) keeps immutable facts between runs.
 */
import { http, type Chain, type PublicClient, type Transport } from "viem";
import { connectTransport } from "../lib/chain/clients.ts";
import { readDeployment, type ContractAddresses, type Deployment } from "../lib/chain/deployment.ts";
import { createLogReader, type LogReader } from "../lib/chain/logs.ts";
import { openContentStore, type ContentStore } from "../lib/ipfs/store.ts";
import { disabledCache, openFileCache, type AuditCache } from "./core/cache.ts";

export type AuditClient = PublicClient<Transport, Chain>;

export interface AuditCounters {
  /** JSON-RPC requests sent outside the log reader (views, blocks, chain id). */
  rpcCalls: number;
  /** Content reads that went to IPFS (cache hits are not counted). */
  ipfsFetches: number;
}

export interface AuditSources {
  client: AuditClient;
  chainId: number;
  rpcUrl: string;
  addresses: ContractAddresses;
  /** IPFS reads, counted (use `catDocument` for small documents, which also consults the cache). */
  store: Pick<ContentStore, "cat">;
  /** The one log reader of this audit: its stats are the audit's getLogs cost. */
  reader: LogReader;
  cache: AuditCache;
  /** First block to scan (the deployment block when known; 0 otherwise). */
  fromBlock: bigint;
  /** Blocks below head − confirmations are final enough to cache. */
  confirmations: bigint;
  counters: AuditCounters;
  /** The head block this audit reads up to, fixed at the first call so every read sees the same chain. */
  head(): Promise<bigint>;
  /** How long to wait for one IPFS read. */
  catTimeoutMs: number;
  close(): Promise<void>;
}

export interface SourceOptions {
  client: AuditClient;
  addresses: ContractAddresses;
  store: Pick<ContentStore, "cat">;
  rpcUrl?: string;
  maxBlockRange?: bigint;
  fromBlock?: bigint;
  confirmations?: bigint;
  cache?: AuditCache;
  catTimeoutMs?: number;
  /** Called by close() (e.g. to stop an embedded IPFS node the sources opened). */
  onClose?: () => Promise<void>;
}

/** Sources over a client and store the caller already has (tests, the integration cluster, the benchmark). */
export async function createAuditSources(options: SourceOptions): Promise<AuditSources> {
  const counters: AuditCounters = { rpcCalls: 0, ipfsFetches: 0 };
  counters.rpcCalls++;
  const chainId = await options.client.getChainId();
  const inner = options.store;
  const store: Pick<ContentStore, "cat"> = {
    cat: (cid, path, catOptions) => {
      counters.ipfsFetches++;
      return inner.cat(cid, path, catOptions);
    },
  };
  let head: Promise<bigint> | undefined;
  return {
    client: options.client,
    chainId,
    rpcUrl: options.rpcUrl ?? options.client.chain.rpcUrls.default.http[0] ?? "",
    addresses: options.addresses,
    store,
    reader: createLogReader(options.client, { maxBlockRange: options.maxBlockRange }),
    cache: options.cache ?? disabledCache(),
    fromBlock: options.fromBlock ?? 0n,
    confirmations: options.confirmations ?? 12n,
    counters,
    head() {
      head ??= (async () => {
        counters.rpcCalls++;
        return options.client.getBlockNumber({ cacheTime: 0 });
      })();
      return head;
    },
    catTimeoutMs: options.catTimeoutMs ?? 30_000,
    async close() {
      options.cache?.save();
      await options.onClose?.();
    },
  };
}

export interface OpenSourcesOptions {
  /** The deployment record (default .twinledger/deployment.json). */
  deploymentPath?: string;
  deployment?: Deployment;
  /** JSON-RPC URL (default: the deployment record's). */
  rpcUrl?: string;
  /** A Kubo RPC API (also IPFS_API_URL). */
  ipfsApiUrl?: string;
  /** A trustless HTTP gateway to fetch blocks from (verified against their CIDs by the embedded node). */
  ipfsGatewayUrl?: string;
  /** Trustless gateways of twinledger processes for the embedded node. */
  ipfsPeers?: string[];
  /** For the embedded node's blockstore and the cache (default .twinledger/audit). */
  dataDir?: string;
  maxBlockRange?: bigint;
  /** Bypass the local cache. */
  noCache?: boolean;
  confirmations?: bigint;
  catTimeoutMs?: number;
}

/** A connection failure (the CLI exits 2 on these, with the message). */
export class SourceError extends Error {
  override name = "SourceError";
}

/** Opens everything from a deployment record: a client with no automatic retries (the log reader handles refusals), IPFS, the cache. */
export async function openAuditSources(options: OpenSourcesOptions = {}): Promise<AuditSources> {
  let deployment: Deployment;
  try {
    deployment = options.deployment ?? readDeployment(options.deploymentPath ?? ".twinledger/deployment.json");
  } catch (error) {
    throw new SourceError((error as Error).message);
  }
  const rpcUrl = options.rpcUrl ?? deployment.rpcUrl;
  let client: AuditClient;
  try {
    client = (await connectTransport(http(rpcUrl, { retryCount: 0, timeout: 30_000 }), rpcUrl)).publicClient;
  } catch (error) {
    throw new SourceError(`no Ethereum JSON-RPC node answers at ${rpcUrl} (${(error as Error).message.split("\n")[0]})`);
  }
  const chainId = await client.getChainId();
  if (chainId !== deployment.chainId) throw new SourceError(`the node at ${rpcUrl} is chain ${chainId}, the deployment record is for chain ${deployment.chainId}`);
  const dataDir = options.dataDir ?? ".twinledger/audit";
  const peers = [...(options.ipfsPeers ?? []), ...(options.ipfsGatewayUrl ? [options.ipfsGatewayUrl] : [])];
  let store: ContentStore;
  try {
    // With the cache bypassed nothing of this run should outlive it, fetched blocks included (and writing every block to
    // disk only to verify it and drop it is most of an embedded fetch's cost).
    ({ store } = await openContentStore({ dataDir, peers, apiUrl: options.ipfsApiUrl, inMemory: options.noCache === true }));
  } catch (error) {
    throw new SourceError(`cannot open IPFS: ${(error as Error).message.split("\n")[0]}`);
  }
  return createAuditSources({
    client,
    addresses: deployment.addresses,
    store,
    rpcUrl,
    maxBlockRange: options.maxBlockRange,
    confirmations: options.confirmations,
    cache: options.noCache ? disabledCache() : openFileCache(dataDir, chainId, deployment.addresses),
    catTimeoutMs: options.catTimeoutMs,
    onClose: () => store.close(),
  });
}

/**
 * Reads logs through the cache: cached logs up to the cached block, then the reader for the rest up to the audit's
 * head; what is below head − confirmations goes back into the cache. `fetch` does the actual (typed) read.
 */
export async function readLogsCached<T extends { blockNumber: bigint }>(sources: AuditSources, key: string, fetch: (fromBlock: bigint, toBlock: bigint) => Promise<T[]>): Promise<T[]> {
  const head = await sources.head();
  const cached = sources.cache.getLogs(key);
  const cachedLogs = (cached?.logs ?? []) as T[];
  const from = cached ? cached.toBlock + 1n : sources.fromBlock;
  const fresh = from <= head ? await fetch(from, head) : [];
  const all = [...cachedLogs.filter((log) => log.blockNumber <= head), ...fresh];
  const confirmed = head - sources.confirmations;
  if (sources.cache.enabled && confirmed >= from) {
    sources.cache.setLogs(key, { toBlock: confirmed, logs: all.filter((log) => log.blockNumber <= confirmed) });
  }
  return all;
}

/** A small immutable document by CID, from the cache when it has it. Throws with the store's reason when unreadable. */
export async function catDocument(sources: AuditSources, cid: string, path?: string): Promise<Uint8Array> {
  const key = path === undefined ? cid : `${cid}/${path}`;
  const cached = sources.cache.getDocument(key);
  if (cached) return cached;
  const bytes = await sources.store.cat(cid, path, { timeoutMs: sources.catTimeoutMs });
  sources.cache.setDocument(key, bytes);
  return bytes;
}

/** The first line of an error's message, for reasons in a report. */
export function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/** The audit's cost so far. */
export function statsOf(sources: AuditSources, startedAt: number) {
  return {
    rpcCalls: sources.counters.rpcCalls + sources.reader.stats.rpcCalls,
    getLogsCalls: sources.reader.stats.getLogsCalls,
    ipfsFetches: sources.counters.ipfsFetches,
    seconds: Math.round((performance.now() - startedAt) / 10) / 100,
  };
}
