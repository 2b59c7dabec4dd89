/**
 * The WebAssembly SIMD kernels (kernels.wat, built into kernels.wasm and kernels-private.wasm by
 * scripts/build-kernels.ts) and the memories they work in. Updates are copied into a WebAssembly memory a column slice
 * at a time: every row's values for the same coordinate range, each row zero-padded to a whole number of precision
 * blocks. Slices keep the memory bounded (32 MiB of rows, whatever n and the model size) and start on block
 * boundaries, so taking a job slice by slice changes no result. Kernels that worker threads (parallel.ts) share run
 * on a shared memory; the weighted sum, which the calling thread runs alone, on an unshared one (copies into it are
 * faster). An UpdateMatrix holds a round's updates in a shared memory of their own from the start, so the weighted sum
 * reads them where they are, on several threads, with no copy.
 *
 * Only plain typed-array code and the WebAssembly API here: the worker loads it too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** float32 values per precision block of the distance kernel (kernels.wat); rows are padded to whole blocks. */
export const BLOCK_FLOATS = 256;
interface SliceSettings {
  sliceBytes: number;
  sumSliceBytes: number;
  sumSliceMinFloats: number;
}

export const DEFAULT_SLICES: Readonly<SliceSettings> = Object.freeze({
  /** Bytes of row data per slice of the distance kernel. */
  sliceBytes: 32 * 1024 * 1024,
  /**
   * Weighted-sum slices: about 4 MiB of rows, but at least 8,192 coordinates wide (measured: narrower slices cost more
   * in per-row copies than they gain in cache at 1,000 updates; wider ones lose at 100).
   */
  sumSliceBytes: 4 * 1024 * 1024,
  sumSliceMinFloats: 8192,
});
const sliceSettings: SliceSettings = { ...DEFAULT_SLICES };

/** Test hook: smaller slices, so small inputs are taken in several (results never depend on it). */
export function configureSlices(options: Partial<SliceSettings>): void {
  Object.assign(sliceSettings, options);
}

/** Column tile of the distance kernel: 4 KiB of each row; a group of 8 rows (32 KiB) stays in cache while later rows stream past. */
export const DISTANCE_TILE_BYTES = 4096;

/**
 * Rows per group of the distance kernel: 8 when many rows stream past each group, else 2 (pairs within a group take
 * the one-pair shape, which would be most pairs of a small n). Affects speed only, never results.
 */
export const distanceGroup = (n: number) => (n >= 64 ? 8 : 2);
/** The weighted sum's accumulator tile (kernels.wat, weighted_sum): 2,048 float64, for 8 KiB of each row. */
const SUM_TILE_FLOATS = 2048;
export const SUM_TILE_BYTES = SUM_TILE_FLOATS * 4;

const PAGE_BYTES = 65_536;
/** WebAssembly's 32-bit address space. */
const MAX_PAGES = 65_536;

export interface KernelExports {
  /** gram = 0: squared distances; 1: dot products (kernels.wat). */
  distances(rows: number, stride: number, width: number, n: number, list: number, count: number, out: number, tile: number, gram: 0 | 1, group: number): void;
  centre(rows: number, stride: number, picks: number, out: number, bytes: number): void;
  subtract(rows: number, stride: number, n: number, c: number, bytes: number): void;
  pair_distances(rows: number, stride: number, width: number, pairs: number, count: number, out: number): void;
  weighted_sum(rows: number, stride: number, n: number, coefs: number, acc: number, out: number, start: number, bytes: number): void;
}

function compileKernels(name: string): WebAssembly.Module {
  const file = new URL(`./${name}`, import.meta.url);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`${fileURLToPath(file)} is missing: run \`npm run build\` (it compiles kernels.wat)`, { cause: error });
  }
  try {
    return new WebAssembly.Module(bytes);
  } catch (error) {
    throw new Error(`the aggregation kernels need WebAssembly SIMD and threads (Node.js 20 or later): ${(error as Error).message}`, { cause: error });
  }
}

/** The kernels on a shared memory (workers run them too)… */
export const kernelModule = compileKernels("kernels.wasm");
/** …and the same kernels on an unshared one, for work done on the calling thread alone. */
const privateKernelModule = compileKernels("kernels-private.wasm");

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(kernelModule, { env: { memory } }).exports as unknown as KernelExports;
}

/** Rounds up to a multiple of `unit`. */
export const roundUp = (value: number, unit: number) => Math.ceil(value / unit) * unit;

/** One memory, grown on demand and reused, with one kernel instance on the calling thread. */
class KernelArena {
  memory: WebAssembly.Memory | undefined;
  kernels: KernelExports | undefined;

  private readonly shared: boolean;

  constructor(shared: boolean) {
    this.shared = shared;
  }

  /** A memory of at least `bytes`; existing contents are kept when it grows. */
  ensure(bytes: number): { memory: WebAssembly.Memory; kernels: KernelExports } {
    const pages = Math.ceil(bytes / PAGE_BYTES);
    if (pages > MAX_PAGES) throw new Error(`aggregation needs ${bytes} bytes of kernel memory, more than WebAssembly's 4 GiB`);
    if (this.memory === undefined || this.kernels === undefined) {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: this.shared });
      const module = this.shared ? kernelModule : privateKernelModule;
      this.kernels = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    } else if (this.memory.buffer.byteLength < pages * PAGE_BYTES) {
      this.memory.grow(pages - this.memory.buffer.byteLength / PAGE_BYTES);
    }
    return { memory: this.memory, kernels: this.kernels };
  }

  /** Starts over with a new memory next time (the old one may still be written by a stalled worker). */
  abandon(): void {
    this.memory = undefined;
    this.kernels = undefined;
  }
}

/** The memory worker threads share. */
export const arena = new KernelArena(true);
/** The calling thread's own memory, for kernels it runs alone (the weighted sum). */
const privateArena = new KernelArena(false);

/** Where one column slice of n rows lies in kernel memory. */
export interface Slice {
  /** First coordinate of the slice. */
  start: number;
  /** Coordinates in it. */
  width: number;
  /** Bytes of each row the kernels read: width rounded up to whole blocks, times 4 (zero-padded). */
  rowBytes: number;
  /**
   * Bytes between row starts: one cache line more than rowBytes, so rows do not all start at the same offset in a
   * 4 KiB page (a power-of-two pitch maps every row's tile to the same cache sets).
   */
  stride: number;
}

/**
 * Column slices of at most `sliceBytes` of rows (but at least `minWidth` coordinates wide), each a whole number of
 * blocks wide except possibly the last.
 */
export function columnSlices(n: number, length: number, sliceBytes = sliceSettings.sliceBytes, minWidth = BLOCK_FLOATS): Slice[] {
  const maxWidth = Math.max(minWidth, Math.floor(sliceBytes / 4 / Math.max(1, n) / BLOCK_FLOATS) * BLOCK_FLOATS);
  const slices: Slice[] = [];
  for (let start = 0; start < length; start += maxWidth) {
    const width = Math.min(maxWidth, length - start);
    const rowBytes = roundUp(width, BLOCK_FLOATS) * 4;
    slices.push({ start, width, rowBytes, stride: rowBytes + 64 });
  }
  return slices;
}

/** The largest row area any of these slices needs. */
export function sliceRowBytes(n: number, slices: readonly Slice[]): number {
  return Math.max(0, ...slices.map((slice) => n * slice.stride));
}

/** Copies the slice's coordinates of every row to `rowsAt`, row k at rowsAt + k · stride, zero-padded. */
export function copySlice(memory: WebAssembly.Memory, rowsAt: number, rows: readonly Float32Array[], slice: Slice): void {
  const floats = new Float32Array(memory.buffer);
  for (let k = 0; k < rows.length; k++) {
    const at = (rowsAt + k * slice.stride) / 4;
    floats.set(rows[k]!.subarray(slice.start, slice.start + slice.width), at);
    floats.fill(0, at + slice.width, at + slice.rowBytes / 4);
  }
}

/**
 * out[i] = float32(Σ_k c_k · rows[k][i]), each sum in float64 from +0 in k order (kernels.wat, weighted_sum), the
 * result rounded to float32 once.
 */
export function weightedSumKernel(rows: readonly Float32Array[], coefficients: ArrayLike<number>, out: Float32Array): void {
  const n = rows.length;
  const length = out.length;
  const slices = columnSlices(n, length, sliceSettings.sumSliceBytes, sliceSettings.sumSliceMinFloats);
  const coefficientBytes = roundUp(n * 8, 16);
  const rowBytes = sliceRowBytes(n, slices);
  const maxRowBytes = Math.max(16, ...slices.map((slice) => slice.rowBytes));
  const { memory, kernels } = privateArena.ensure(rowBytes + coefficientBytes + SUM_TILE_FLOATS * 8 + maxRowBytes);
  const coefficientsAt = rowBytes;
  const accumulatorsAt = coefficientsAt + coefficientBytes;
  const outAt = accumulatorsAt + SUM_TILE_FLOATS * 8;
  new Float64Array(memory.buffer, coefficientsAt, n).set(Array.from({ length: n }, (_, k) => coefficients[k]!));
  const results = new Float32Array(memory.buffer, outAt, maxRowBytes / 4);
  for (const slice of slices) {
    copySlice(memory, 0, rows, slice);
    kernels.weighted_sum(0, slice.stride, n, coefficientsAt, accumulatorsAt, outAt, 0, slice.rowBytes);
    out.set(results.subarray(0, slice.width), slice.start);
  }
}

/** Threads an UpdateMatrix keeps an accumulator tile for (parallel.ts uses at most 8). */
export const MATRIX_THREADS = 8;

const matrices = new WeakMap<ArrayBufferLike, UpdateMatrix>();
let nextMatrixId = 1;

/**
 * n update rows of `length` float32 values in a shared memory of their own, row k at byte k · stride (zero-padded to
 * whole 16-byte groups), followed by the weighted sum's scratch: n float64 coefficients, one accumulator tile per
 * thread and the float32 output. The memory never grows, so the row views stay valid; decode updates straight into
 * `rows` and aggregate those views (or a run of consecutive ones) to skip the copy into kernel memory.
 */
export class UpdateMatrix implements MatrixLayout {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  /** Names this matrix to the worker threads (parallel.ts), which keep a kernel instance per matrix. */
  readonly id = nextMatrixId++;
  readonly rows: readonly Float32Array[];
  readonly length: number;
  /** Bytes between row starts. */
  readonly stride: number;
  readonly coefficientsAt: number;
  /** Accumulator tile of thread t at accumulatorsAt + t · SUM_TILE_FLOATS · 8. */
  readonly accumulatorsAt: number;
  readonly outAt: number;
  /** Bytes of each row the kernel reads: length · 4 rounded up to whole 16-byte groups (the padding stays zero). */
  readonly rowBytes: number;
  /** Set when a stalled worker may still write into the scratch: later sums take the copying path. */
  scratchAbandoned = false;

  private constructor(n: number, length: number) {
    this.length = length;
    const rowBytes = roundUp(length * 4, 16);
    this.rowBytes = rowBytes;
    // A whole number of pages apart would map every row's tile to the same cache sets.
    this.stride = rowBytes % 4096 === 0 ? rowBytes + 64 : rowBytes;
    this.coefficientsAt = roundUp(n * this.stride, 16);
    this.accumulatorsAt = this.coefficientsAt + roundUp(n * 8, 16);
    this.outAt = this.accumulatorsAt + MATRIX_THREADS * SUM_TILE_FLOATS * 8;
    const pages = Math.ceil((this.outAt + rowBytes) / PAGE_BYTES);
    if (pages > MAX_PAGES) throw new Error(`an update matrix of ${n} × ${length} weights needs more than WebAssembly's 4 GiB`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.kernels = instantiateKernels(this.memory);
    this.rows = Array.from({ length: n }, (_, k) => new Float32Array(this.memory.buffer, k * this.stride, length));
  }

  static create(n: number, length: number): UpdateMatrix {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(length) || length < 1) throw new Error(`an update matrix needs at least one row and one weight, got ${n} × ${length}`);
    const matrix = new UpdateMatrix(n, length);
    matrices.set(matrix.memory.buffer, matrix);
    return matrix;
  }
}

/** A stalled worker may still write into this matrix's scratch: its rows are copied from now on. */
export function abandonMatrixScratch(memory: WebAssembly.Memory): void {
  const matrix = matrices.get(memory.buffer);
  if (matrix !== undefined) matrix.scratchAbandoned = true;
}

/**
 * The matrix these rows are consecutive rows of, and the byte offset of the first; undefined for any other rows
 * (copies, a subset out of order, views of another buffer), which the weighted sum copies as before.
 */
export function matrixRun(rows: readonly Float32Array[]): { matrix: UpdateMatrix; first: number } | undefined {
  const matrix = rows.length > 0 ? matrices.get(rows[0]!.buffer) : undefined;
  if (matrix === undefined || matrix.scratchAbandoned) return undefined;
  const first = rows[0]!.byteOffset;
  const consecutive = rows.every((row, k) => row.buffer === matrix.memory.buffer && row.byteOffset === first + k * matrix.stride && row.length === matrix.length);
  return consecutive && first % matrix.stride === 0 ? { matrix, first } : undefined;
}

/** Where an UpdateMatrix keeps its rows and scratch: what a worker thread needs to sum it. */
export interface MatrixLayout {
  stride: number;
  coefficientsAt: number;
  accumulatorsAt: number;
  outAt: number;
}

/**
 * The weighted sum over a run of matrix rows, in place, for output bytes [start, start + bytes) (whole 16-byte
 * groups), with thread `thread`'s accumulator tile. The coefficients must already be at layout.coefficientsAt.
 */
export function weightedSumInPlace(kernels: KernelExports, layout: MatrixLayout, first: number, n: number, thread: number, start: number, bytes: number): void {
  const accumulators = layout.accumulatorsAt + thread * SUM_TILE_FLOATS * 8;
  kernels.weighted_sum(first, layout.stride, n, layout.coefficientsAt, accumulators, layout.outAt + start, start, bytes);
}
