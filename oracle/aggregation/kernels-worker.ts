/**
 * Worker side of parallel.ts: claims chunks of a posted job from the shared control block and runs them on the
 * shared copy of the inputs, with the same kernels (kernels.ts, kernels.wasm) the calling thread uses.
 */
import { parentPort } from "node:worker_threads";
import { medianRange, trimmedMeanRange } from "./kernels.ts";
import { drainChunks, type WorkerJob } from "./parallel.ts";
import { columnSlices, copySlice, DISTANCE_TILE_BYTES, distanceGroup, instantiateKernels, UpdateMatrix, weightedSumInPlace, type KernelExports } from "./wasm-kernels.ts";

/** The kernel instance on the last update matrix summed here (the next round of sums is usually on the same one). */
let lastMatrix: { id: number; kernels: KernelExports } | undefined;

function matrixKernels(job: { matrixId: number; memory: WebAssembly.Memory }): KernelExports {
  if (lastMatrix?.id !== job.matrixId) lastMatrix = { id: job.matrixId, kernels: instantiateKernels(job.memory) };
  return lastMatrix.kernels;
}

function runner(job: WorkerJob, thread: number): (chunk: number) => void {
  switch (job.kind) {
    case "median":
    case "trimmed_mean": {
      const { data, n, length } = job;
      const rows = Array.from({ length: n }, (_, k) => new Int32Array(data, k * length * 4, length));
      const out = new Float32Array(data, job.output, length);
      const { bounds } = job;
      return job.kind === "median"
        ? (c) => medianRange(rows, out, bounds[c]!, bounds[c + 1]!)
        : (c) => trimmedMeanRange(rows, job.trim, out, bounds[c]!, bounds[c + 1]!);
    }
    case "distances": {
      const kernels = instantiateKernels(job.memory);
      const { rows, n, stride, rowBytes, lists, matrix, tile, gram } = job;
      return (c) => kernels.distances(rows, stride, rowBytes, n, lists[c]!.at, lists[c]!.count, matrix, tile, gram, distanceGroup(n));
    }
    case "weighted_sum": {
      const kernels = matrixKernels(job);
      const { layout, first, n, bounds } = job;
      return (c) => weightedSumInPlace(kernels, layout, first, n, thread, bounds[c]!, bounds[c + 1]! - bounds[c]!);
    }
    case "pair_distances": {
      const kernels = instantiateKernels(job.memory);
      const { rows, stride, rowBytes, pairs, out, chunks } = job;
      return (c) => kernels.pair_distances(rows, stride, rowBytes, pairs + chunks[c]!.first * 8, chunks[c]!.count, out + chunks[c]!.first * 8);
    }
  }
}

/**
 * Warm-up: run each kernel on a small input at start, so the first real chunks run optimised code rather than the
 * interpreter (a cold worker would otherwise hold the calling thread up on its first chunks).
 */
function warmUp(): void {
  const n = 24;
  const length = 2048;
  const data = new Float32Array(n * length).map((_, i) => Math.sin(i * 0.37));
  const floats = Array.from({ length: n }, (_, k) => data.subarray(k * length, (k + 1) * length));
  const bits = floats.map((row) => new Int32Array(row.buffer, row.byteOffset, row.length));
  const out = new Float32Array(length);
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
  const kernels = instantiateKernels(memory);
  const [slice] = columnSlices(n, length);
  copySlice(memory, 0, floats, slice!);
  const listAt = n * slice!.stride;
  new Int32Array(memory.buffer, listAt, n).set(Array.from({ length: n }, (_, a) => a));
  const matrixAt = listAt + n * 4;
  // Pairs (0, 1), (0, 2), … after the matrix, then their sums.
  const pairsAt = matrixAt + n * n * 8;
  new Int32Array(memory.buffer, pairsAt, 2 * (n - 1)).set(Array.from({ length: 2 * (n - 1) }, (_, j) => (j % 2 === 0 ? 0 : (j + 1) / 2)));
  const sumsAt = pairsAt + 8 * (n - 1);
  const matrix = UpdateMatrix.create(n, length);
  matrix.rows.forEach((row, k) => row.set(floats[k]!));
  new Float64Array(matrix.memory.buffer, matrix.coefficientsAt, n).fill(1 / n);
  for (let round = 0; round < 3; round++) {
    weightedSumInPlace(matrix.kernels, matrix, 0, n, 1, 0, matrix.rowBytes);
    medianRange(bits, out, 0, length);
    trimmedMeanRange(bits, 4, out, 0, length);
    kernels.distances(0, slice!.stride, slice!.rowBytes, n, listAt, n, matrixAt, DISTANCE_TILE_BYTES, 0, 2);
    kernels.distances(0, slice!.stride, slice!.rowBytes, n, listAt, n, matrixAt, DISTANCE_TILE_BYTES, 1, 8);
    kernels.pair_distances(0, slice!.stride, slice!.rowBytes, pairsAt, n - 1, sumsAt);
  }
}

warmUp();

parentPort!.on("message", ({ job, control, thread }: { job: WorkerJob; control: SharedArrayBuffer; thread: number }) => {
  const chunks = job.kind === "distances" ? job.lists.length : job.kind === "pair_distances" ? job.chunks.length : job.bounds.length - 1;
  try {
    drainChunks(new Int32Array(control), chunks, runner(job, thread));
  } catch (error) {
    console.error("aggregation worker failed:", error);
  }
});
