/**
 * Optional multi-core execution of the heavy kernels behind the strategies' synchronous API. A job is cut into
 * chunks — disjoint sets of output values (coordinate ranges, or rows of the distance matrix) — that threads claim
 * one at a time from a shared counter: the calling thread copies the inputs into shared memory (an UpdateMatrix
 * already holds them there), posts the job to the workers, claims chunks itself like any worker, then blocks
 * (Atomics.wait) until the chunks the workers claimed are done. A busy or not-yet-started worker simply claims fewer
 * chunks (none, if the calling thread gets there first).
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
import { centrePicks, distancesFromGram, GRAM_MIN_ROWS, medianRange, trimmedMeanRange } from "./kernels.ts";
import {
  abandonMatrixScratch,
  arena,
  BLOCK_FLOATS,
  columnSlices,
  copySlice,
  DISTANCE_TILE_BYTES,
  distanceGroup,
  MATRIX_THREADS,
  matrixRun,
  roundUp,
  SUM_TILE_BYTES,
  sliceRowBytes,
  weightedSumInPlace,
  weightedSumKernel,
  type KernelExports,
  type MatrixLayout,
  type Slice,
} from "./wasm-kernels.ts";

/**
 * A coordinate job on the shared kernel memory `data` (wasm-kernels.ts): n rows of `length` float32 values, row k at
 * byte k · length · 4, and the float32 output after them, at byte `output`.
 */
export type ColumnJob = { data: SharedArrayBuffer; n: number; length: number; output: number } & (
  | { kind: "median"; bounds: number[] }
  | { kind: "trimmed_mean"; trim: number; bounds: number[] }
);

/**
 * A distance job on one column slice in the shared kernel memory (wasm-kernels.ts): rows of `rowBytes` at byte
 * `rows`, `stride` bytes apart; the float64 matrix (squared distances, or dot products when `gram` is 1) at `matrix`;
 * chunk c is the row list of `lists[c].count` int32s at `lists[c].at`.
 */
export interface DistanceJob {
  kind: "distances";
  memory: WebAssembly.Memory;
  rows: number;
  n: number;
  stride: number;
  rowBytes: number;
  matrix: number;
  tile: number;
  gram: 0 | 1;
  lists: { at: number; count: number }[];
}

/**
 * Direct squared distances for chosen pairs on one column slice: pairs as int32 (a, b) at byte `pairs`, float64
 * results at byte `out`, chunk c covering pairs [chunks[c].first, chunks[c].first + chunks[c].count).
 */
export interface PairDistanceJob {
  kind: "pair_distances";
  memory: WebAssembly.Memory;
  rows: number;
  stride: number;
  rowBytes: number;
  pairs: number;
  out: number;
  chunks: { first: number; count: number }[];
}

/**
 * The weighted sum over n consecutive rows of an UpdateMatrix (wasm-kernels.ts), in place: rows from byte `first`,
 * coefficients already in the matrix's scratch; chunk c is output bytes [bounds[c], bounds[c + 1]). `matrixId` names
 * the matrix, so a worker reuses its kernel instance for the next sum over the same one.
 */
export interface WeightedSumJob {
  kind: "weighted_sum";
  memory: WebAssembly.Memory;
  matrixId: number;
  layout: MatrixLayout;
  first: number;
  n: number;
  bounds: number[];
}

export type WorkerJob = ColumnJob | DistanceJob | PairDistanceJob | WeightedSumJob;

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
  minColumnWork: 250_000,
  /** …and the distance kernel from (pairs · length) multiply-adds… */
  minDistanceWork: 20_000_000,
  /** …and the in-place weighted sum from n · length values. */
  minSumWork: 3_000_000,
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
  // Each worker gets its own thread number: the weighted sum gives every thread its own accumulator tile.
  workers(threads - 1).forEach((worker, index) => worker.postMessage({ job, control: control.buffer, thread: index + 1 }));
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
        if (job.kind === "distances" || job.kind === "pair_distances") {
          // These chunks add into their results, so a late worker would add twice: the caller starts over elsewhere.
          process.emitWarning("aggregation workers stalled; computing the distances again on the calling thread and no longer using workers");
          throw new WorkersStalled();
        }
        for (let chunk = 0; chunk < chunks; chunk++) if (Atomics.load(control, DONE_FLAGS + chunk) === 0) runChunk(chunk);
        // A late worker may still write this job's values into the kernel memory: later jobs get a new one (or, for
        // a matrix, copy its rows instead of using its scratch).
        if (job.kind === "weighted_sum") abandonMatrixScratch(job.memory);
        else arena.abandon();
        process.emitWarning("aggregation workers stalled; finished their chunks on the calling thread and stopped using workers");
        return;
      }
    }
  }
  if (Atomics.load(control, FAILED) !== 0) throw new Error("an aggregation worker failed");
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
  // The rows go into the kernel memory, which is kept between calls: a fresh shared buffer of every update per call
  // costs page faults that grow with the process's heap (measured 1.5-2× slower inside the benchmark's 1 GB process).
  const output = n * length * 4;
  const { memory } = arena.ensure(output + length * 4);
  const view = new Float32Array(memory.buffer, 0, n * length);
  rows.forEach((row, k) => view.set(row, k * length));
  const shared = new Float32Array(memory.buffer, output, length);
  const job: WorkerJob = { ...spec, bounds, data: memory.buffer as SharedArrayBuffer, n, length, output };
  runJob(job, chunks, threads, (c) => run(bitViews, shared, bounds[c]!, bounds[c + 1]!));
  out.set(shared);
}

/**
 * out[i] = float32(Σ_k c_k · rows[k][i]), as weightedSumKernel (wasm-kernels.ts) defines it. Rows that are a run of
 * consecutive UpdateMatrix rows are summed where they are, on up to one thread per core once the input is large, in
 * chunks of whole accumulator tiles (each output value is still one thread's float64 sum in k order, so the result is
 * the same bit for bit); any other rows are copied into the calling thread's kernel memory and summed there.
 */
export function parallelWeightedSum(rows: readonly Float32Array[], coefficients: ArrayLike<number>, out: Float32Array): void {
  const run = matrixRun(rows);
  if (run === undefined) {
    weightedSumKernel(rows, coefficients, out);
    return;
  }
  const { matrix, first } = run;
  const n = rows.length;
  new Float64Array(matrix.memory.buffer, matrix.coefficientsAt, n).set(Array.from({ length: n }, (_, k) => coefficients[k]!));
  const bytes = matrix.rowBytes;
  const threads = n * matrix.length >= settings.minSumWork ? Math.min(threadBudget(), MATRIX_THREADS, Math.ceil(bytes / SUM_TILE_BYTES)) : 1;
  if (threads <= 1) {
    weightedSumInPlace(matrix.kernels, matrix, first, n, 0, 0, bytes);
  } else {
    const chunks = Math.min(Math.ceil(bytes / SUM_TILE_BYTES), threads * 4);
    const bounds = Array.from({ length: chunks + 1 }, (_, c) => (c === chunks ? bytes : Math.ceil((bytes * c) / chunks / SUM_TILE_BYTES) * SUM_TILE_BYTES));
    const { stride, coefficientsAt, accumulatorsAt, outAt } = matrix;
    const job: WeightedSumJob = { kind: "weighted_sum", memory: matrix.memory, matrixId: matrix.id, layout: { stride, coefficientsAt, accumulatorsAt, outAt }, first, n, bounds };
    runJob(job, chunks, threads, (c) => weightedSumInPlace(matrix.kernels, matrix, first, n, 0, bounds[c]!, bounds[c + 1]! - bounds[c]!));
  }
  out.set(new Float32Array(matrix.memory.buffer, matrix.outAt, out.length));
}

export function parallelMedian(rows: readonly Float32Array[], out: Float32Array): void {
  columnKernel(rows, out, { kind: "median" });
}

export function parallelTrimmedMean(rows: readonly Float32Array[], trim: number, out: Float32Array): void {
  columnKernel(rows, out, { kind: "trimmed_mean", trim });
}

/**
 * Krum's squared distances as the full symmetric matrix (row-major n × n; the diagonal is 0 and never read), as
 * kernels.ts defines them: directly for fewer than GRAM_MIN_ROWS rows; from that many, the Gram form on centred rows
 * where its error bound is small and directly elsewhere. The kernel runs in chunks of upper-triangle rows taken in
 * pairs (a, n − 1 − a), so each chunk has about the same number of pairs; the column slices are run one after
 * another, all chunks of each.
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
  const compute = (plan: readonly number[][], threadCount: number) =>
    n >= GRAM_MIN_ROWS ? gramDistances(rows, plan, threadCount) : directDistances(rows, plan, threadCount);
  try {
    return compute(chunks, threads);
  } catch (error) {
    if (!(error instanceof WorkersStalled)) throw error;
    // The stalled workers may still write into the old memory: leave it to them.
    arena.abandon();
    return compute([Array.from({ length: n }, (_, a) => a)], 1);
  }
}

/**
 * Runs `runSlice` on every column slice, copied into the shared memory by `prepare`. With workers there are two row
 * areas: the next slice is prepared in one while the workers start on the other.
 */
function eachSlice(
  slices: readonly Slice[],
  areas: readonly number[],
  prepare: (at: number, slice: Slice) => void,
  runSlice: (at: number, slice: Slice, prepareNext: () => void) => void,
): void {
  prepare(areas[0]!, slices[0]!);
  slices.forEach((slice, s) => {
    const prepareNext = () => {
      if (s + 1 < slices.length) prepare(areas[(s + 1) % areas.length]!, slices[s + 1]!);
    };
    runSlice(areas[s % areas.length]!, slice, prepareNext);
  });
}

/** Where a distance pass keeps its rows, matrix and chunk lists in the shared memory. */
interface PassLayout {
  slices: Slice[];
  areas: number[];
  matrixAt: number;
  /** First free byte after the matrix, for the caller's own data. */
  freeAt: number;
  lists: { at: number; count: number }[];
}

/**
 * Lays out a pass over n rows of `length` values, with `extraBytes(slices)` of the caller's after the matrix, and
 * zeroes the matrix.
 */
function layOutPass(
  n: number,
  length: number,
  chunks: readonly number[][],
  threads: number,
  extraBytes: (slices: readonly Slice[]) => number,
): PassLayout & { memory: WebAssembly.Memory; kernels: KernelExports } {
  const slices = columnSlices(n, length);
  const areaBytes = sliceRowBytes(n, slices);
  const areas = threads > 1 && slices.length > 1 ? [0, areaBytes] : [0];
  const matrixAt = areas.length * areaBytes;
  const freeAt = matrixAt + n * n * 8;
  const listsAt = roundUp(freeAt + extraBytes(slices), 16);
  const { memory, kernels } = arena.ensure(listsAt + n * 4);
  new Float64Array(memory.buffer, matrixAt, n * n).fill(0);
  const listWords = new Int32Array(memory.buffer, listsAt, n);
  const lists: { at: number; count: number }[] = [];
  let next = 0;
  for (const chunk of chunks) {
    listWords.set(chunk, next);
    lists.push({ at: listsAt + next * 4, count: chunk.length });
    next += chunk.length;
  }
  return { slices, areas, matrixAt, freeAt, lists, memory, kernels };
}

/** One pass of the distances kernel (squared distances or dot products) over every slice, each prepared by `prepare`. */
function distancePass(
  layout: PassLayout & { memory: WebAssembly.Memory; kernels: KernelExports },
  n: number,
  threads: number,
  gram: 0 | 1,
  prepare: (at: number, slice: Slice) => void,
): void {
  const { memory, kernels, lists, matrixAt } = layout;
  eachSlice(layout.slices, layout.areas, prepare, (at, slice, prepareNext) => {
    const runChunk = (c: number) => kernels.distances(at, slice.stride, slice.rowBytes, n, lists[c]!.at, lists[c]!.count, matrixAt, DISTANCE_TILE_BYTES, gram, distanceGroup(n));
    if (threads <= 1) {
      runChunk(0);
      prepareNext();
      return;
    }
    const job: DistanceJob = { kind: "distances", memory, rows: at, n, stride: slice.stride, rowBytes: slice.rowBytes, matrix: matrixAt, tile: DISTANCE_TILE_BYTES, gram, lists };
    runJob(job, lists.length, threads, runChunk, prepareNext);
  });
}

function symmetrise(distances: Float64Array, n: number): Float64Array {
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) distances[b * n + a] = distances[a * n + b]!;
  return distances;
}

function directDistances(rows: readonly Float32Array[], chunks: readonly number[][], threads: number): Float64Array {
  const n = rows.length;
  const layout = layOutPass(n, rows[0]!.length, chunks, threads, () => 0);
  distancePass(layout, n, threads, 0, (at, slice) => copySlice(layout.memory, at, rows, slice));
  const distances = new Float64Array(n * n);
  distances.set(new Float64Array(layout.memory.buffer, layout.matrixAt, n * n));
  return symmetrise(distances, n);
}

function gramDistances(rows: readonly Float32Array[], chunks: readonly number[][], threads: number): Float64Array {
  const n = rows.length;
  const length = rows[0]!.length;
  // After the matrix: the centre of the current slice (the first slice is the widest), then the picked rows' indices.
  const layout = layOutPass(n, length, chunks, threads, (slices) => slices[0]!.rowBytes + 32);
  const centreAt = layout.freeAt;
  const picksAt = centreAt + layout.slices[0]!.rowBytes;
  const { memory, kernels } = layout;
  new Int32Array(memory.buffer, picksAt, 5).set(centrePicks(n));
  // Pass 1: the Gram matrix of the rows centred on the median of the picked rows, slice by slice.
  distancePass(layout, n, threads, 1, (at, slice) => {
    copySlice(memory, at, rows, slice);
    kernels.centre(at, slice.stride, picksAt, centreAt, slice.rowBytes);
    kernels.subtract(at, slice.stride, n, centreAt, slice.rowBytes);
  });
  const distances = new Float64Array(n * n);
  const direct = distancesFromGram(new Float64Array(memory.buffer, layout.matrixAt, n * n), n, roundUp(length, BLOCK_FLOATS), distances);
  if (direct.length > 0) fillDirectPairs(rows, direct, threads, distances);
  return symmetrise(distances, n);
}

/**
 * Pass 2, for the pairs the Gram form could not vouch for: Σ(x_a − x_b)² on the rows as they are, distances[a·n + b]
 * for each (a, b) in `pairs`. Only the rows these pairs involve are copied.
 */
function fillDirectPairs(rows: readonly Float32Array[], pairs: Int32Array, threads: number, distances: Float64Array): void {
  const n = rows.length;
  const length = rows[0]!.length;
  const pairCount = pairs.length / 2;
  const involved = [...new Set(pairs)].sort((x, y) => x - y);
  const position = new Map(involved.map((row, k) => [row, k]));
  const compact = involved.map((row) => rows[row]!);
  const slices = columnSlices(compact.length, length);
  const areaBytes = sliceRowBytes(compact.length, slices);
  const chunks = pairThreads(pairCount, length, threads);
  const areas = chunks.length > 1 && slices.length > 1 ? [0, areaBytes] : [0];
  const pairsAt = areas.length * areaBytes;
  const outAt = pairsAt + pairCount * 8;
  const { memory, kernels } = arena.ensure(outAt + pairCount * 8);
  new Int32Array(memory.buffer, pairsAt, pairCount * 2).set(Array.from(pairs, (row) => position.get(row)!));
  new Float64Array(memory.buffer, outAt, pairCount).fill(0);
  eachSlice(slices, areas, (at, slice) => copySlice(memory, at, compact, slice), (at, slice, prepareNext) => {
    const runChunk = (c: number) => {
      const { first, count } = chunks[c]!;
      kernels.pair_distances(at, slice.stride, slice.rowBytes, pairsAt + first * 8, count, outAt + first * 8);
    };
    if (chunks.length <= 1) {
      runChunk(0);
      prepareNext();
      return;
    }
    const job: PairDistanceJob = { kind: "pair_distances", memory, rows: at, stride: slice.stride, rowBytes: slice.rowBytes, pairs: pairsAt, out: outAt, chunks };
    runJob(job, chunks.length, threads, runChunk, prepareNext);
  });
  const sums = new Float64Array(memory.buffer, outAt, pairCount);
  for (let j = 0; j < pairCount; j++) distances[pairs[2 * j]! * n + pairs[2 * j + 1]!] = sums[j]!;
}

/** Chunks of the direct pairs: one when the work is small or there are no workers, else about four per thread. */
function pairThreads(pairCount: number, length: number, threads: number): { first: number; count: number }[] {
  const chunkCount = threads > 1 && pairCount * length >= settings.minDistanceWork ? Math.min(pairCount, threads * 4) : 1;
  return Array.from({ length: chunkCount }, (_, c) => {
    const first = Math.floor((c * pairCount) / chunkCount);
    return { first, count: Math.floor(((c + 1) * pairCount) / chunkCount) - first };
  });
}
