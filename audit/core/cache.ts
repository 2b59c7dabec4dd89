/**
 * The auditor's local cache: one JSON file per chain and deployment (keyed by chain id and contract addresses), so
 * a second audit of the same chain does not read the whole history again. It holds immutable facts only:
 * - event logs up to a confirmed block (a log below the confirmation depth never changes on a sound chain);
 * - facts about content by CID (content addressing makes them immutable): small documents, the weights hash a
 *   CID's content hashes to, and the signers recovered from a sealed-updates document's signatures (valid for this
 *   chain id and UpdateLedger only, which the file key pins).
 * Nothing judged (pass/fail) is cached: every run re-evaluates the checks over these facts.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toBytes } from "viem";
import { z } from "zod";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";

export const CACHE_FORMAT = "twinledger.audit-cache/1";

/** Documents larger than this are not kept (model weights belong in IPFS, not in a JSON file). */
const MAX_DOCUMENT_BYTES = 2_000_000;

const logSetSchema = z.object({ toBlock: z.string().regex(/^\d+$/), logs: z.array(z.unknown()) });
const cacheFileSchema = z.object({
  format: z.literal(CACHE_FORMAT),
  chainId: z.number().int(),
  addresses: z.record(z.string(), z.string()),
  logs: z.record(z.string(), logSetSchema),
  documents: z.record(z.string(), z.string()),
  contentHashes: z.record(z.string(), z.string()),
  signers: z.record(z.string(), z.array(z.string())),
});
type CacheFile = z.infer<typeof cacheFileSchema>;

export interface CachedLogs {
  /** The last block the cached logs cover (inclusive). */
  toBlock: bigint;
  logs: unknown[];
}

export interface AuditCache {
  readonly enabled: boolean;
  getLogs(key: string): CachedLogs | undefined;
  setLogs(key: string, value: CachedLogs): void;
  getDocument(cid: string): Uint8Array | undefined;
  setDocument(cid: string, bytes: Uint8Array): void;
  getContentHash(key: string): string | undefined;
  setContentHash(key: string, hash: string): void;
  getSigners(cid: string): string[] | undefined;
  setSigners(cid: string, signers: string[]): void;
  /** Writes the file if anything changed (atomically: a crash never leaves half a file). */
  save(): void;
}

/** A cache that remembers nothing (`--no-cache`, or tests that must read everything). */
export function disabledCache(): AuditCache {
  return {
    enabled: false,
    getLogs: () => undefined,
    setLogs: () => {},
    getDocument: () => undefined,
    setDocument: () => {},
    getContentHash: () => undefined,
    setContentHash: () => {},
    getSigners: () => undefined,
    setSigners: () => {},
    save: () => {},
  };
}

/** The cache file for this chain and deployment under `dir`. */
export function cachePath(dir: string, chainId: number, addresses: ContractAddresses): string {
  const key = keccak256(toBytes(`${chainId}:${Object.entries(addresses).sort(([a], [b]) => a.localeCompare(b)).map(([name, address]) => `${name}=${address.toLowerCase()}`).join(",")}`)).slice(2, 18);
  return join(dir, `audit-cache-${chainId}-${key}.json`);
}

// Logs carry bigints; JSON has none, so they travel as {"$bigint": "..."}.
const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? { $bigint: value.toString() } : value);
const reviver = (_key: string, value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { $bigint?: unknown }).$bigint === "string"
    ? BigInt((value as { $bigint: string }).$bigint)
    : value;

/** Opens (or starts) the cache file; an unreadable or foreign file is ignored and replaced, never trusted. */
export function openFileCache(dir: string, chainId: number, addresses: ContractAddresses): AuditCache {
  const path = cachePath(dir, chainId, addresses);
  const empty = (): CacheFile => ({ format: CACHE_FORMAT, chainId, addresses: { ...addresses }, logs: {}, documents: {}, contentHashes: {}, signers: {} });
  let data = empty();
  try {
    const parsed = cacheFileSchema.safeParse(JSON.parse(readFileSync(path, "utf8"), reviver));
    if (parsed.success && parsed.data.chainId === chainId) data = parsed.data;
  } catch {
    // No cache yet, or a damaged one: start again.
  }
  let dirty = false;
  const touch = () => {
    dirty = true;
  };
  return {
    enabled: true,
    getLogs(key) {
      const entry = data.logs[key];
      return entry ? { toBlock: BigInt(entry.toBlock), logs: entry.logs } : undefined;
    },
    setLogs(key, value) {
      data.logs[key] = { toBlock: value.toBlock.toString(), logs: value.logs };
      touch();
    },
    getDocument(cid) {
      const text = data.documents[cid];
      return text === undefined ? undefined : new Uint8Array(Buffer.from(text, "base64"));
    },
    setDocument(cid, bytes) {
      if (bytes.length > MAX_DOCUMENT_BYTES) return;
      data.documents[cid] = Buffer.from(bytes).toString("base64");
      touch();
    },
    getContentHash: (key) => data.contentHashes[key],
    setContentHash(key, hash) {
      data.contentHashes[key] = hash;
      touch();
    },
    getSigners: (cid) => data.signers[cid],
    setSigners(cid, signers) {
      data.signers[cid] = signers;
      touch();
    },
    save() {
      if (!dirty) return;
      mkdirSync(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(data, replacer));
      renameSync(temporary, path);
      dirty = false;
    },
  };
}
