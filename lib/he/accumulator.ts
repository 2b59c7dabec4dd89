/**
 * The oracles' side of encrypted aggregation: Σ_k w_k · Enc(x_k) over updates added one at a time, without any
 * secret key.
 *
 * The oracles and the key holder each compute the aggregate from the same update bytes and compare hashes of the
 * result, so it must come out bit-identical however the updates arrive. It does: each update is multiplied by a
 * plaintext weight and added to a running sum, both exact arithmetic on integers modulo the primes, so the sum is
 * independent of order; the single rescale (which rounds) happens once, on the finished sum; and a weight's plaintext
 * is a deterministic function of the weight (rounded to a multiple of 2^-scaleBits first, so it is an exact constant).
 *
 * With more than one core the ciphertext positions are split between the calling thread and workers (each with its
 * own SEAL instance). A position's sum is computed by exactly one thread with the same arithmetic, so the bytes do
 * not depend on the split. Workers are pooled, start lazily and never keep the process alive when idle.
 * TWINLEDGER_HE_THREADS=1 keeps everything on the calling thread.
 */
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./accumulator-worker.ts";
import { unpackCiphertext } from "./ciphertext-codec.ts";
import { errorMessage } from "./ciphertexts.ts";
import { decodeEncryptedVector, encodeEncryptedVector, HeFormatError, type DecodedEncryptedVector } from "./container.ts";
import { DEFAULT_CKKS_PARAMETERS, MAX_TOTAL_WEIGHT, type CkksParameters } from "./parameters.ts";
import { PartialSum } from "./partial-sum.ts";
import { ckksRuntime, type CkksRuntime } from "./seal.ts";

/** Why an accumulator refused an update. */
export type UpdateRefusalReason = "malformed" | "wrong_kind" | "wrong_key" | "wrong_parameters" | "wrong_length" | "bad_weight" | "closed";

/** An update the accumulator will not add. Its sum is unchanged (reason "closed": it can take no more updates). */
export class EncryptedUpdateError extends Error {
  override name = "EncryptedUpdateError";
  readonly reason: UpdateRefusalReason;

  constructor(reason: UpdateRefusalReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Streams: add updates one at a time so 100 × several MB never sit in memory at once. */
export interface EncryptedAccumulator {
  /**
   * Adds weight · update. Refuses with EncryptedUpdateError, leaving the sum unchanged, an update that is malformed
   * (including any ciphertext SEAL cannot load, or at the wrong level or scale), of another kind, key, parameter set
   * or length, and a weight outside [0, 1] or one taking the total above MAX_TOTAL_WEIGHT. Calls are queued: callers
   * need not wait for one to finish before the next.
   */
  add(updateBytes: Uint8Array, weight: number): Promise<void>;
  /** The "aggregate" container of Σ weight · update, rescaled once. The accumulator is closed afterwards. */
  finish(): Promise<Uint8Array>;
  /** Updates added so far. */
  readonly count: number;
  /** Threads the work is split over, the calling thread included. */
  readonly threads: number;
  /** Discards the sum and frees its memory without producing an aggregate (finish() does this too). */
  close(): void;
}

export interface AccumulatorExpectations {
  keyId: bigint;
  length: number;
  parameters?: CkksParameters;
  /** A specific SEAL runtime for the calling thread's share (default: the shared one), e.g. a separate instance in tests. */
  runtime?: CkksRuntime;
  /**
   * Threads to split the work over, the calling thread included (default: see defaultThreads; never more than one
   * per MIN_CIPHERTEXTS_PER_THREAD ciphertexts). The result never depends on it.
   */
  threads?: number;
}

/** Below this many ciphertexts per thread, a worker's message round trips and copies outweigh the work it saves. */
const MIN_CIPHERTEXTS_PER_THREAD = 4;
const MAX_THREADS = 4;

/**
 * TWINLEDGER_HE_THREADS if set; otherwise one thread per core (at most 4) when the machine looks idle, else 1. A
 * worker only pays off on a core nobody else wants. Measured on 2 cores, 25 ciphertexts an update: idle, 23.5 ms on
 * one thread and 17.4 ms on two; with another busy process, 32-35 ms on one and 36-44 ms on two. So a 1-minute load
 * of cores − 0.5 or more keeps the work on the calling thread.
 */
function defaultThreads(ciphertexts: number): number {
  const configured = Number.parseInt(process.env.TWINLEDGER_HE_THREADS ?? "", 10);
  const cores = availableParallelism();
  const threads = Number.isFinite(configured) && configured >= 1 ? configured : loadavg()[0]! < cores - 0.5 ? Math.min(MAX_THREADS, cores) : 1;
  return Math.max(1, Math.min(threads, Math.floor(ciphertexts / MIN_CIPHERTEXTS_PER_THREAD)));
}

type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;

/** One pooled worker thread and its outstanding requests. */
class WorkerLink {
  private readonly worker: Worker;
  private nextSeq = 0;
  private readonly waiting = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  dead: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL("./accumulator-worker.ts", import.meta.url));
    this.worker.unref();
    this.worker.on("message", (reply: WorkerReply) => {
      const waiter = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      // Keep the process alive only while someone awaits a reply.
      if (this.waiting.size === 0) this.worker.unref();
      waiter?.resolve(reply);
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`an encrypted-aggregation worker exited (code ${code})`)));
  }

  private fail(error: Error): void {
    this.dead ??= error;
    const index = pool.indexOf(this);
    if (index >= 0) pool.splice(index, 1);
    for (const waiter of this.waiting.values()) waiter.reject(this.dead);
    this.waiting.clear();
  }

  request(message: WithoutSeq<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, seq }, transfer);
    });
  }
}

const pool: WorkerLink[] = [];

function workers(count: number): WorkerLink[] {
  while (pool.length < count) pool.push(new WorkerLink());
  return pool.slice(0, count);
}

/** Worker-side state of accumulators that were dropped without finishing. */
const abandoned = new FinalizationRegistry(({ id, links }: { id: number; links: WorkerLink[] }) => {
  for (const link of links) link.request({ op: "drop", id }).catch(() => undefined);
});

let nextAccumulatorId = 1;

/** Splits positions 0..count-1 into `threads` contiguous ranges, as even as possible. */
function ranges(count: number, threads: number): [number, number][] {
  return Array.from({ length: threads }, (_, t) => [Math.floor((count * t) / threads), Math.floor((count * (t + 1)) / threads)]);
}

function copyForTransfer(records: readonly Uint8Array[]): { records: Uint8Array[]; transfer: ArrayBuffer[] } {
  const copies = records.map((record) => record.slice());
  return { records: copies, transfer: copies.map((copy) => copy.buffer as ArrayBuffer) };
}

function refuse(reason: UpdateRefusalReason, message: string, cause?: unknown): never {
  throw new EncryptedUpdateError(reason, message, cause === undefined ? undefined : { cause });
}

/** Decodes an update and checks its header against what the round expects (not the ciphertexts' content). */
function parseUpdate(runtime: CkksRuntime, updateBytes: Uint8Array, keyId: bigint, length: number): DecodedEncryptedVector {
  let update: DecodedEncryptedVector;
  try {
    update = decodeEncryptedVector(updateBytes);
  } catch (error) {
    return refuse("malformed", `malformed encrypted update: ${errorMessage(error)}`, error);
  }
  if (update.kind !== "update") refuse("wrong_kind", `expected an encrypted update, got an encrypted ${update.kind}`);
  if (update.keyId !== keyId) refuse("wrong_key", `update is encrypted under key ${update.keyId}, expected key ${keyId}`);
  if (update.parametersHash !== runtime.parametersHash) refuse("wrong_parameters", `update uses CKKS parameters ${update.parametersHash}, expected ${runtime.parametersHash}`);
  if (update.slotsPerCiphertext !== runtime.slots) refuse("wrong_parameters", `update packs ${update.slotsPerCiphertext} values per ciphertext, these parameters pack ${runtime.slots}`);
  if (update.length !== length) refuse("wrong_length", `update has ${update.length} values, expected ${length}`);
  const count = Math.ceil(length / runtime.slots);
  if (update.ciphertexts.length !== count) refuse("wrong_length", `update has ${update.ciphertexts.length} ciphertexts, expected ${count}`);
  return update;
}

/**
 * Everything an accumulator checks before it adds an update, without adding it: header, and every ciphertext's form,
 * level, scale and coefficients (pure JavaScript, about 0.3 ms a ciphertext, no SEAL work). An update that passes is
 * one the accumulator will take, so an oracle can refuse a bad update when it arrives instead of failing the round's
 * aggregation later. Throws EncryptedUpdateError.
 */
export async function checkEncryptedUpdate(updateBytes: Uint8Array, expected: { keyId: bigint; length: number; parameters?: CkksParameters }): Promise<DecodedEncryptedVector> {
  const runtime = await ckksRuntime(expected.parameters ?? DEFAULT_CKKS_PARAMETERS);
  const update = parseUpdate(runtime, updateBytes, expected.keyId, expected.length);
  for (const [i, record] of update.ciphertexts.entries()) {
    let scale: number;
    try {
      ({ scale } = unpackCiphertext(record, runtime.fresh));
    } catch (error) {
      return refuse("malformed", `malformed encrypted update: ciphertext ${i}: ${errorMessage(error)}`, error);
    }
    if (scale !== runtime.freshScale) refuse("malformed", `malformed encrypted update: ciphertext ${i} has scale ${scale}, expected ${runtime.freshScale}`);
  }
  return update;
}

export async function createEncryptedAccumulator(expected: AccumulatorExpectations): Promise<EncryptedAccumulator> {
  const parameters = expected.parameters ?? expected.runtime?.parameters ?? DEFAULT_CKKS_PARAMETERS;
  const runtime = expected.runtime ?? (await ckksRuntime(parameters));
  if (expected.runtime && expected.parameters && expected.runtime.parametersHash !== (await ckksRuntime(expected.parameters)).parametersHash) throw new Error("the runtime given does not use the parameters given");
  if (!Number.isInteger(expected.length) || expected.length < 1) throw new Error(`length must be a positive integer, got ${expected.length}`);
  if (expected.keyId < 0n) throw new Error(`keyId must be non-negative, got ${expected.keyId}`);
  const count = Math.ceil(expected.length / runtime.slots);
  const threads = Math.max(1, Math.min(count, Math.floor(expected.threads ?? defaultThreads(count))));
  const [localRange, ...remoteRanges] = ranges(count, threads);
  const local = new PartialSum(runtime, localRange![0], localRange![1]);
  const id = nextAccumulatorId++;
  const links = workers(remoteRanges.length);
  try {
    const opened = await Promise.all(links.map((link, j) => link.request({ op: "open", id, parameters: runtime.parameters, from: remoteRanges[j]![0], to: remoteRanges[j]![1] })));
    const failed = opened.find((reply) => !reply.ok);
    if (failed && !failed.ok) throw new Error(`an encrypted-aggregation worker could not start: ${failed.error.message}`);
  } catch (error) {
    for (const link of links) link.request({ op: "drop", id }).catch(() => undefined);
    throw error;
  }

  let added = 0;
  let totalWeight = 0;
  let closed = false;
  let broken: Error | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  const close = () => {
    if (closed) return;
    closed = true;
    local.free();
    for (const link of links) link.request({ op: "drop", id }).catch(() => undefined);
  };

  /** A worker died or SEAL failed on valid input: the sums can no longer be trusted. */
  const breakDown = (error: unknown): never => {
    broken = error instanceof Error ? error : new Error(String(error));
    close();
    throw new Error(`encrypted aggregation failed: ${broken.message}`, { cause: error });
  };

  function checkOpen(): void {
    if (broken) refuse("closed", `the accumulator failed earlier and cannot continue: ${broken.message}`, broken);
    if (closed) refuse("closed", "the accumulator is finished; start a new one");
  }

  async function addNow(updateBytes: Uint8Array, weight: number): Promise<void> {
    checkOpen();
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > 1) refuse("bad_weight", `weight must be a finite number in [0, 1], got ${weight}`);
    if (totalWeight + weight > MAX_TOTAL_WEIGHT) refuse("bad_weight", `weights would sum to ${totalWeight + weight}, above ${MAX_TOTAL_WEIGHT}: the aggregate could overflow the modulus (FedAvg weights sum to 1)`);
    const update = parseUpdate(runtime, updateBytes, expected.keyId, expected.length);
    const records = update.ciphertexts;
    // Workers start on their shares while this thread does its own.
    const remote = links.map((link, j) => {
      const share = copyForTransfer(records.slice(remoteRanges[j]![0], remoteRanges[j]![1]));
      return link.request({ op: "prepare", id, records: share.records, weight }, share.transfer);
    });
    let localError: unknown;
    try {
      local.prepare(records.slice(localRange![0], localRange![1]), weight);
    } catch (error) {
      localError = error;
    }
    const replies = await Promise.allSettled(remote);
    const crashed = replies.find((reply) => reply.status === "rejected");
    const refusedRemotely = replies.map((reply) => (reply.status === "fulfilled" && !reply.value.ok ? reply.value.error : undefined)).find((error) => error !== undefined);
    if (localError !== undefined || crashed || refusedRemotely) {
      local.abort();
      await Promise.all(links.map((link) => link.request({ op: "abort", id }).catch(() => undefined)));
      if (crashed) breakDown((crashed as PromiseRejectedResult).reason);
      // The lowest position's problem is reported (this thread holds the first positions), whatever thread found it.
      if (localError !== undefined) {
        if (localError instanceof HeFormatError) refuse("malformed", `malformed encrypted update: ${localError.message}`, localError);
        throw localError;
      }
      if (refusedRemotely!.format) refuse("malformed", `malformed encrypted update: ${refusedRemotely!.message}`);
      throw new Error(refusedRemotely!.message);
    }
    try {
      local.commit();
      const committed = await Promise.all(links.map((link) => link.request({ op: "commit", id })));
      const failed = committed.find((reply) => !reply.ok);
      if (failed && !failed.ok) throw new Error(failed.error.message);
    } catch (error) {
      breakDown(error);
    }
    added += 1;
    totalWeight += weight;
  }

  async function finishNow(): Promise<Uint8Array> {
    checkOpen();
    if (local.empty) throw new Error("nothing to aggregate: no update was added");
    let ciphertexts: Uint8Array[];
    try {
      const mine = local.finish();
      const theirs = await Promise.all(links.map((link) => link.request({ op: "finish", id })));
      ciphertexts = [...mine];
      for (const reply of theirs) {
        if (!reply.ok) throw new Error(reply.error.message);
        ciphertexts.push(...(reply.records ?? []));
      }
    } catch (error) {
      return breakDown(error);
    }
    close();
    if (ciphertexts.length !== count) throw new Error(`assembled ${ciphertexts.length} ciphertexts, expected ${count}`);
    return encodeEncryptedVector({ kind: "aggregate", keyId: expected.keyId, parametersHash: runtime.parametersHash, length: expected.length, ciphertexts, slotsPerCiphertext: runtime.slots });
  }

  const accumulator: EncryptedAccumulator = {
    add: (updateBytes, weight) => enqueue(() => addNow(updateBytes, weight)),
    finish: () => enqueue(finishNow),
    get count() {
      return added;
    },
    threads,
    close: () => {
      void enqueue(async () => close());
    },
  };
  if (links.length > 0) abandoned.register(accumulator, { id, links });
  return accumulator;
}

/** Σ weight_k · update_k of updates that share key and length (taken from the first), as an "aggregate" container. */
export async function aggregateEncrypted(
  updates: readonly { bytes: Uint8Array; weight: number }[],
  parameters: CkksParameters = DEFAULT_CKKS_PARAMETERS,
  options: { threads?: number } = {},
): Promise<Uint8Array> {
  const first = updates[0];
  if (!first) throw new Error("nothing to aggregate: no updates");
  const header = decodeEncryptedVector(first.bytes);
  const accumulator = await createEncryptedAccumulator({ keyId: header.keyId, length: header.length, parameters, ...options });
  for (const [index, update] of updates.entries()) {
    try {
      await accumulator.add(update.bytes, update.weight);
    } catch (error) {
      accumulator.close();
      throw new Error(`update ${index}: ${errorMessage(error)}`, { cause: error });
    }
  }
  return accumulator.finish();
}
