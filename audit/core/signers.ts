/**
 * Who signed each update: secp256k1 public-key recovery over the EIP-712 digest. Recovery is the audit's hot spot
 * (about 0.11 ms per signature with libsecp256k1, 2.5 ms in pure JS here), so large batches are split over worker
 * threads, one per core.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Address, Hex } from "viem";
import { recoverSigner } from "../../lib/crypto/recover.ts";

export interface RecoverJob {
  id: number;
  /** n × 32 bytes. */
  digests: Uint8Array;
  /** n signatures, 0x-hex. */
  signatures: Hex[];
}

/** Recovers on this thread; null where a signature does not recover. */
export async function recoverSignersHere(digests: Uint8Array, signatures: readonly Hex[]): Promise<(Address | null)[]> {
  const out: (Address | null)[] = [];
  for (let i = 0; i < signatures.length; i++) out.push(await recoverSigner(digests.subarray(i * 32, i * 32 + 32), signatures[i]!));
  return out;
}

/** Below this many signatures a batch is recovered on the calling thread (a worker's start-up costs more). */
const PARALLEL_THRESHOLD = 64;

interface PoolWorker {
  worker: Worker;
  pending: Map<number, (signers: (Address | null)[]) => void>;
}

let pool: PoolWorker[] = [];
let nextJob = 0;

function workers(count: number): PoolWorker[] {
  while (pool.length < count) {
    const worker = new Worker(new URL("./recover-worker.ts", import.meta.url));
    worker.unref();
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.on("message", (message: { id: number; signers: (Address | null)[] }) => {
      const resolve = entry.pending.get(message.id);
      entry.pending.delete(message.id);
      resolve?.(message.signers);
    });
    worker.on("error", () => {
      pool = pool.filter((candidate) => candidate !== entry);
    });
    pool.push(entry);
  }
  return pool.slice(0, count);
}

function runOn(entry: PoolWorker, digests: Uint8Array, signatures: Hex[]): Promise<(Address | null)[]> {
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    entry.pending.set(id, resolve);
    entry.worker.once("error", reject);
    entry.worker.postMessage({ id, digests, signatures } satisfies RecoverJob);
  });
}

export interface RecoverOptions {
  /** Worker threads to use (default: one per core, at most 4; 1 = this thread only). */
  threads?: number;
}

/** The signer of each signature over the matching 32-byte digest (null where it does not recover). */
export async function recoverSigners(digests: readonly Uint8Array[], signatures: readonly Hex[], options: RecoverOptions = {}): Promise<(Address | null)[]> {
  if (digests.length !== signatures.length) throw new Error("one digest per signature");
  const flat = new Uint8Array(digests.length * 32);
  digests.forEach((digest, i) => flat.set(digest, i * 32));
  const threads = Math.max(1, Math.min(4, options.threads ?? availableParallelism()));
  if (threads === 1 || signatures.length < PARALLEL_THRESHOLD) return recoverSignersHere(flat, signatures);
  const per = Math.ceil(signatures.length / threads);
  const entries = workers(threads);
  const parts = entries.map((entry, k) => {
    const from = k * per;
    const to = Math.min(signatures.length, from + per);
    if (from >= to) return Promise.resolve([] as (Address | null)[]);
    return runOn(entry, flat.slice(from * 32, to * 32), signatures.slice(from, to));
  });
  try {
    for (const entry of entries) entry.worker.ref();
    return (await Promise.all(parts)).flat();
  } finally {
    for (const entry of entries) entry.worker.unref();
  }
}

/** Stops the worker threads (they are unref'd, so a process exits without this; tests call it for tidiness). */
export async function stopSignerPool(): Promise<void> {
  const stopping = pool;
  pool = [];
  await Promise.all(stopping.map((entry) => entry.worker.terminate()));
}
