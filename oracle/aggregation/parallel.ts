/**
 * Optional multi-core execution of the heavy kernels behind the strategies' synchronous API. A job is cut into
 * chunks — disjoint sets of output values (coordinate ranges, or rows of the distance matrix) — that threads claim
 * one at a time from a shared counter: the calling thread copies the inputs into shared memory, posts the job to the
 * workers, claims chunks itself like any worker, then blocks (Atomics.wait) until the chunks the workers claimed are
 * done. A busy or not-yet-started worker simply claims fewer chunks (none, if the calling thread gets there first).
 *
 * Determinism does not depend on the thread count or on who claims what: each output value is computed by exactly
 * one thread, with exactly the single-threaded arithmetic, and written to its own slot. The pool starts lazily (a
 * process that never aggregates a large input starts no worker), is reused, and is unref'd so it never keeps the
 * process alive. Every job gets its own control block, so a worker that picks up a stale message finds nothing left.
 *
 * TWINLEDGER_AGGREGATION_THREADS=1 turns it off (the default is one thread per core, at most 8).
 */
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { medianRange, trimmedMeanRange } from "./kernels.ts";
import { arena, columnSlices, copySlice, DISTANCE_TILE_BYTES, sliceRowBytes } from "./wasm-kernels.ts";

/** A coordinate job: n rows of `length` float32 values, row k at k · length in `data`. */
export type ColumnJob = { data: SharedArrayBuffer; n: number; length: number; output: SharedArrayBuffer } & (
  | { kind: "median"; bounds: number[] }
  | { kind: "trimmed_mean"; trim: number; bounds: number[] }
);

/**
 * A distance job on one column slice in the shared kernel memory (wasm-kernels.ts): rows of `rowBytes` at byte
 * `rows`, `stride` bytes apart; the float64 distance matrix at `distances`; chunk c is the row list of `lists[c].count` int32s at `lists[c].at`.
 */
export interface DistanceJob {
  kind: "distances";
  memory: WebAssembly.Memory;
  rows: number;
  n: number;
  stride: number;
  rowBytes: number;
  distances: number;
  tile: number;
  lists: { at: number; count: number }[];
}

export type WorkerJob = ColumnJob | DistanceJob;

/** Control block layout (Int32Array): next chunk to claim, chunks finished, failures, then one done-flag per chunk. */
const NEXT = 0;
const FINISHED = 1;
const FAILED = 2;
const DONE_FLAGS = 3;
/** A job whose workers make no progress for this long is finished by the calling thread. */
const STALL_MS = 5_000;

/** Claims and runs chunks until none is left. */
export function drainChunks(control: Int32Array, chunks: number, runChunk: (chunk: number) => void): void {
  for (let chunk = Atomics.add(control, NEXT, 1); chunk < chunks; chunk = Atomics.add(control, NEXT, 1)) {
    try {
      runChunk(chunk);
      Atomics.store(control, DONE_FLAGS + chunk, 1);
    } catch (error) {
      Atomics.add(control, FAILED, 1);
      throw error;
    } finally {
      Atomics.add(control, FINISHED, 1);
      Atomics.notify(control, FINISHED);
    }
  }
}

const fromEnvironment = Number.parseInt(process.env.TWINLEDGER_AGGREGATION_THREADS ?? "", 10);
const settings = {
  threads: Math.max(1, Math.min(8, Number.isFinite(fromEnvironment) ? fromEnvironment : availableParallelism())),
  /** Coordinate kernels (median, trimmed mean) go parallel from n · length values… */
  minColumnWork: 2_000_000,
  /** …and the distance kernel from (pairs · length) multiply-adds. */
  minDistanceWork: 20_000_000,
  /** Use the workers even when the machine is busy (tests). */
  ignoreLoad: false,
};

/**
 * Threads to use now: none extra when the machine is already oversubscribed (1-minute load ≥ cores + 1), where
 * workers would only compete with the calling thread and the shared copy of the inputs would be wasted. Affects speed
 * only, never results.
 */
function threadBudget(): number {
  if (settings.threads <= 1 || settings.ignoreLoad) return settings.threads;
  return loadavg()[0]! >= availableParallelism() + 1 ? 1 : settings.threads;
}

/** Test hook: override the thread count and the size thresholds (results never depend on them). */
export function configureParallelism(options: Partial<typeof settings>): void {
  Object.assign(settings, options);
  settings.threads = Math.max(1, Math.min(8, Math.floor(settings.threads)));
}

const pool: Worker[] = [];

function workers(count: number): Worker[] {
  while (pool.length < count) {
    const worker = new Worker(new URL("./kernels-worker.ts", import.meta.url));
    worker.unref();
    // A worker that dies is dropped; chunks it never claimed are run by the others (or the calling thread).
    worker.on("error", () => pool.includes(worker) && pool.splice(pool.indexOf(worker), 1));
    pool.push(worker);
  }
  return pool.slice(0, count);
}

/** Stops every worker and uses none from now on. */
function retirePool(): void {
  for (const worker of pool.splice(0)) void worker.terminate();
  settings.threads = 1;
}

/** Workers made no progress on a job whose chunks cannot simply be run again. */
class WorkersStalled extends Error {}

/**
 * Posts the job to threads − 1 workers, runs `meanwhile` (if any), runs chunks here too, and returns once every chunk
 * is finished.
 */
function runJob(job: WorkerJob, chunks: number, threads: number, runChunk: (chunk: number) => void, meanwhile?: () => void): void {
  const control = new Int32Array(new SharedArrayBuffer((DONE_FLAGS + chunks) * 4));
  for (const worker of workers(threads - 1)) worker.postMessage({ job, control: control.buffer });
  try {
    // Work the workers cannot do (e.g. copying the next inputs) runs while they start on the chunks.
    meanwhile?.();
    drainChunks(control, chunks, runChunk);
  } finally {
    // Every chunk has been claimed by now; wait for the ones still running on workers, but never forever: a worker
    // that stalls or dies mid-chunk must not hang an oracle. Its unfinished coordinate chunks are then run here, with
    // the same arithmetic, so the result is the same (a late worker writing the same values changes nothing).
    let done = Atomics.load(control, FINISHED);
    let progressAt = Date.now();
    while (done < chunks) {
      Atomics.wait(control, FINISHED, done, 250);
      const now = Atomics.load(control, FINISHED);
      if (now !== done) {
        done = now;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > STALL_MS) {
        retirePool();
        if (job.kind === "distances") {
          // Distance chunks add into the matrix, so a late worker would add twice: the caller starts over elsewhere.
          process.emitWarning("aggregation workers stalled; computing the distances again on the calling thread and no longer using workers");
          throw new WorkersStalled();
        }
        for (let chunk = 0; chunk < chunks; chunk++) if (Atomics.load(control, DONE_FLAGS + chunk) === 0) runChunk(chunk);
        process.emitWarning("aggregation workers stalled; finished their chunks on the calling thread and stopped using workers");
        return;
      }
    }
  }
  if (Atomics.load(control, FAILED) !== 0) throw new Error("an aggregation worker failed");
}

/** A shared copy of the rows, row after row. */
function shareRows(rows: readonly Float32Array[], length: number): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(rows.length * length * 4);
  const view = new Float32Array(shared);
  rows.forEach((row, k) => view.set(row, k * length));
  return shared;
}

function columnKernel(rows: readonly Float32Array[], out: Float32Array, spec: { kind: "median" } | { kind: "trimmed_mean"; trim: number }): void {
  const n = rows.length;
  const length = out.length;
  const run = (views: readonly Int32Array[], target: Float32Array, start: number, end: number) =>
    spec.kind === "median" ? medianRange(views, target, start, end) : trimmedMeanRange(views, spec.trim, target, start, end);
  const bitViews = rows.map((w) => new Int32Array(w.buffer, w.byteOffset, w.length));
  const threads = n * length >= settings.minColumnWork ? Math.min(threadBudget(), Math.ceil(length / 256)) : 1;
  if (threads <= 1) {
    run(bitViews, out, 0, length);
    return;
  }
  // Chunks of whole 64-column tiles; several per thread so a slow thread holds up little.
  const chunks = Math.min(Math.ceil(length / 64), threads * 8);
  const bounds = Array.from({ length: chunks + 1 }, (_, c) => (c === chunks ? length : Math.ceil((length * c) / chunks / 64) * 64));
  const output = new SharedArrayBuffer(length * 4);
  const shared = new Float32Array(output);
  const job: WorkerJob = { ...spec, bounds, data: shareRows(rows, length), n, length, output };
  runJob(job, chunks, threads, (c) => run(bitViews, shared, bounds[c]!, bounds[c + 1]!));
  out.set(shared);
}

export function parallelMedian(rows: readonly Float32Array[], out: Float32Array): void {
  columnKernel(rows, out, { kind: "median" });
}

export function parallelTrimmedMean(rows: readonly Float32Array[], trim: number, out: Float32Array): void {
  columnKernel(rows, out, { kind: "trimmed_mean", trim });
}

/**
 * The full symmetric matrix of squared distances (row-major n × n; the diagonal is 0 and never read), from the SIMD
 * kernel (kernels.wat, distances). Chunks are sets of upper-triangle rows taken in pairs (a, n − 1 − a), so each
 * chunk has about the same number of pairs; the column slices are run one after another, all chunks of each.
 */
export function parallelDistances(rows: readonly Float32Array[]): Float64Array {
  const n = rows.length;
  const length = rows[0]!.length;
  const work = ((n * (n - 1)) / 2) * length;
  const threads = work >= settings.minDistanceWork ? Math.min(threadBudget(), Math.max(1, n >> 2)) : 1;
  const chunks: number[][] = [];
  if (threads <= 1) {
    chunks.push(Array.from({ length: n }, (_, a) => a));
  } else {
    const folds = Math.ceil(n / 2);
    const chunkCount = Math.min(folds, threads * 4);
    for (let c = 0; c < chunkCount; c++) chunks.push([]);
    for (let a = 0; a < folds; a++) {
      const chunk = chunks[Math.floor((a * chunkCount) / folds)]!;
      chunk.push(a);
      if (a !== n - 1 - a) chunk.push(n - 1 - a);
    }
    for (const chunk of chunks) chunk.sort((x, y) => x - y);
  }
  try {
    return distancesOnce(rows, chunks, threads);
  } catch (error) {
    if (!(error instanceof WorkersStalled)) throw error;
    // The stalled workers may still write into the old memory: leave it to them.
    arena.abandon();
    return distancesOnce(rows, [Array.from({ length: n }, (_, a) => a)], 1);
  }
}

function distancesOnce(rows: readonly Float32Array[], chunks: readonly number[][], threads: number): Float64Array {
  const n = rows.length;
  const length = rows[0]!.length;
  const slices = columnSlices(n, length);
  // With workers, two row areas: the next slice is copied into one while the workers start on the other.
  const areaBytes = sliceRowBytes(n, slices);
  const areas = threads > 1 && slices.length > 1 ? [0, areaBytes] : [0];
  const distancesAt = areas.length * areaBytes;
  const listsAt = distancesAt + n * n * 8;
  const { memory, kernels } = arena.ensure(listsAt + n * 4);
  new Float64Array(memory.buffer, distancesAt, n * n).fill(0);
  const listWords = new Int32Array(memory.buffer, listsAt, n);
  const lists: { at: number; count: number }[] = [];
  let next = 0;
  for (const chunk of chunks) {
    listWords.set(chunk, next);
    lists.push({ at: listsAt + next * 4, count: chunk.length });
    next += chunk.length;
  }
  copySlice(memory, areas[0]!, rows, slices[0]!);
  slices.forEach((slice, s) => {
    const rowsAt = areas[s % areas.length]!;
    const copyNext = () => {
      if (s + 1 < slices.length) copySlice(memory, areas[(s + 1) % areas.length]!, rows, slices[s + 1]!);
    };
    const runChunk = (c: number) =>
      kernels.distances(rowsAt, slice.stride, slice.rowBytes, n, lists[c]!.at, lists[c]!.count, distancesAt, DISTANCE_TILE_BYTES);
    if (threads <= 1) {
      runChunk(0);
      copyNext();
      return;
    }
    const job: DistanceJob = {
      kind: "distances",
      memory,
      rows: rowsAt,
      n,
      stride: slice.stride,
      rowBytes: slice.rowBytes,
      distances: distancesAt,
      tile: DISTANCE_TILE_BYTES,
      lists,
    };
    runJob(job, chunks.length, threads, runChunk, copyNext);
  });
  const distances = new Float64Array(n * n);
  distances.set(new Float64Array(memory.buffer, distancesAt, n * n));
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) distances[b * n + a] = distances[a * n + b]!;
  return distances;
}
