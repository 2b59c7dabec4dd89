/**
 * The order-statistics kernels behind the aggregation strategies (strategy.ts): coordinate-wise median and trimmed
 * mean. (Weighted sums and Krum's distances are SIMD kernels: kernels.wat.) Each kernel works on a range of
 * coordinates so the same code runs single-threaded on the calling thread and, split into disjoint ranges, on worker
 * threads (parallel.ts, kernels-worker.ts). Every output value is computed by exactly one caller with exactly the
 * arithmetic of the original straightforward implementation (same operations, same order), so results are
 * bit-identical to it and independent of how the work is split.
 *
 * Only plain typed-array code here: no imports, so the worker can load it cheaply.
 */

/*
 * Order statistics work on 32-bit integer keys instead of floats: key(x) = bits ^ ((bits >> 31) & 0x7fffffff), with
 * every NaN mapped to 0x7fffffff. Signed integer order on keys is exactly the order Float64Array.prototype.sort puts
 * the (float32-valued) numbers in: −∞ < … < −0 < +0 < … < +∞ < NaN (all NaNs last). The map is its own inverse on
 * non-NaN keys, and 0x7fffffff decodes to a NaN. Integer comparisons are cheap and make −0/+0 ties deterministic.
 */

/** Columns per transposed tile: each column's n keys are contiguous, the copy reads each update row sequentially. */
const COLUMN_TILE = 64;

/** Fills keys[c * n + k] = key(rows[k][s + c]) for c < w. */
function transposeKeys(rows: readonly Int32Array[], keys: Int32Array, s: number, w: number): void {
  const n = rows.length;
  for (let k = 0; k < n; k++) {
    const row = rows[k]!;
    let p = k;
    for (let c = 0; c < w; c++, p += n) {
      const bits = row[s + c]!;
      keys[p] = (bits & 0x7fffffff) > 0x7f800000 ? 0x7fffffff : bits ^ ((bits >> 31) & 0x7fffffff);
    }
  }
}

/** Rearranges keys[lo, hi) so that keys[rank] holds the value of that rank, smaller-or-equal keys before it and larger-or-equal after. */
function select(keys: Int32Array, lo: number, hi: number, rank: number): void {
  let left = lo;
  let right = hi - 1;
  while (right - left > 16) {
    // Median of three as pivot, moved to keys[left].
    const mid = (left + right) >>> 1;
    let a = keys[left]!, b = keys[mid]!, c = keys[right]!;
    if (a > b) { const t = a; a = b; b = t; }
    if (b > c) { const t = b; b = c; c = t; if (a > b) { const u = a; a = b; b = u; } }
    // a ≤ b ≤ c; sentinels at both ends, pivot b in the middle slot.
    keys[left] = a;
    keys[right] = c;
    keys[mid] = keys[left + 1]!;
    keys[left + 1] = b;
    const pivot = b;
    let i = left + 1;
    let j = right;
    for (;;) {
      do i++; while (keys[i]! < pivot);
      do j--; while (keys[j]! > pivot);
      if (i >= j) break;
      const t = keys[i]!;
      keys[i] = keys[j]!;
      keys[j] = t;
    }
    keys[left + 1] = keys[j]!;
    keys[j] = pivot;
    if (j === rank) return;
    if (j < rank) left = j + 1;
    else right = j - 1;
  }
  insertionSort(keys, left, right + 1);
}

const decodeBits = new Int32Array(1);
const decodeFloat = new Float32Array(decodeBits.buffer);
/** The float32 value a key stands for (a NaN for the NaN key). */
function decode(key: number): number {
  decodeBits[0] = key ^ ((key >> 31) & 0x7fffffff);
  return decodeFloat[0]!;
}

/** Coordinate-wise median over coordinates [start, end); even n: (lower middle + upper middle) / 2 in float64. */
export function medianRange(rows: readonly Int32Array[], out: Float32Array, start: number, end: number): void {
  const n = rows.length;
  const middle = n >> 1;
  const odd = n % 2 === 1;
  const keys = new Int32Array(COLUMN_TILE * n);
  for (let s = start; s < end; s += COLUMN_TILE) {
    const w = Math.min(COLUMN_TILE, end - s);
    transposeKeys(rows, keys, s, w);
    for (let c = 0; c < w; c++) {
      const lo = c * n;
      select(keys, lo, lo + n, lo + middle);
      const upper = keys[lo + middle]!;
      if (odd) {
        out[s + c] = decode(upper);
      } else {
        // After selecting rank `middle`, everything left of it is ≤ it: the lower middle is their maximum.
        let lower = keys[lo]!;
        for (let k = lo + 1; k < lo + middle; k++) {
          const v = keys[k]!;
          if (v > lower) lower = v;
        }
        out[s + c] = (decode(lower) + decode(upper)) / 2;
      }
    }
  }
}

/** ⌈log2 m⌉ for m ≥ 1. */
function ceilLog2(m: number): number {
  return m <= 1 ? 0 : 32 - Math.clz32(m - 1);
}

/**
 * Coordinate-wise trimmed mean over [start, end): the mean of ranks [trim, n − trim), summed in float64 in ascending
 * order from +0 and divided by n − 2·trim, as sorting each column would.
 *
 * Summing in ascending order needs the kept values sorted — unless the sum is exact in every order, in which case
 * any order gives the same (exact) float64 result. It is when the kept values are finite, normal (or zero) float32s
 * with biased exponents in [eMin, eMax]: each is a multiple of g = 2^(eMin − 150) and their absolute sum is below
 * m · 2^(eMax − 126), so every partial sum in any order is a multiple of g of magnitude ≤ 2^53 · g — exactly
 * representable — when m · 2^(eMax − 126) ≤ 2^(eMin − 97), i.e. eMax − eMin ≤ 29 − ⌈log2 m⌉. (An exact zero sum is
 * +0 in every order, since the sum starts at +0.) Otherwise the kept keys are sorted and summed in order.
 */
export function trimmedMeanRange(rows: readonly Int32Array[], trim: number, out: Float32Array, start: number, end: number): void {
  const n = rows.length;
  const kept = n - 2 * trim;
  const maxSpan = 29 - ceilLog2(kept);
  const keys = new Int32Array(COLUMN_TILE * n);
  const values = new Float32Array(keys.buffer);
  for (let s = start; s < end; s += COLUMN_TILE) {
    const w = Math.min(COLUMN_TILE, end - s);
    transposeKeys(rows, keys, s, w);
    for (let c = 0; c < w; c++) {
      const lo = c * n;
      const from = lo + trim;
      const to = lo + n - trim;
      if (trim > 0) {
        select(keys, lo, lo + n, from);
        if (to - 1 > from) select(keys, from + 1, lo + n, to - 1);
      }
      // Decode in place (key → float32 bits), sum in position order, and check whether that order matters.
      let eMin = 255;
      let eMax = 0;
      let sum = 0;
      for (let k = from; k < to; k++) {
        const key = keys[k]!;
        const bits = key ^ ((key >> 31) & 0x7fffffff);
        keys[k] = bits;
        sum += values[k]!;
        const magnitude = bits & 0x7fffffff;
        if (magnitude !== 0) {
          const e = magnitude >>> 23;
          if (e < eMin) eMin = e;
          if (e > eMax) eMax = e;
        }
      }
      const exact = eMax === 0 || (eMin > 0 && eMax < 255 && eMax - eMin <= maxSpan);
      if (!exact) {
        // Back to keys, sort, decode, and sum in ascending order.
        for (let k = from; k < to; k++) {
          const bits = keys[k]!;
          keys[k] = bits ^ ((bits >> 31) & 0x7fffffff);
        }
        sortRange(keys, from, to);
        for (let k = from; k < to; k++) {
          const key = keys[k]!;
          keys[k] = key ^ ((key >> 31) & 0x7fffffff);
        }
        sum = 0;
        for (let k = from; k < to; k++) sum += values[k]!;
      }
      out[s + c] = sum / kept;
    }
  }
}

/** Insertion sort of keys[from, to), ascending: for the small ranges quickselect and sortRange leave. */
function insertionSort(keys: Int32Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const v = keys[i]!;
    let j = i - 1;
    while (j >= from && keys[j]! > v) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = v;
  }
}

/** Sorts keys[from, to) ascending (integer order). */
function sortRange(keys: Int32Array, from: number, to: number): void {
  if (to - from <= 24) {
    insertionSort(keys, from, to);
    return;
  }
  keys.subarray(from, to).sort();
}

/*
 * Krum's squared distances in Gram form. The SIMD kernels (kernels.wat) compute, for rows centred on a robust centre
 * c (x' = float32(x − c)), every dot product G_ab = Σ x'_a·x'_b — float32 products summed in four float32 lanes within
 * 256-coordinate blocks, block sums in float64 — and d_ab = (G_aa + G_bb) − 2·G_ab in float64. That costs a
 * multiplication and an addition per coordinate and pair instead of a subtraction, a multiplication and an addition,
 * but cancels when x'_a and x'_b are long and close together. Every float32 rounding in a block is at most 2^-24 of
 * the value rounded, so |error of G_ab| ≤ γ·Σ|x'_a·x'_b| ≤ γ·√(G_aa·G_bb) with γ = 65·2^-24 / (1 − 65·2^-24) (64
 * additions and a product per lane) plus at most 2^-150 per product that underflows, and
 * |error of d_ab| ≤ γ·(√G_aa + √G_bb)² + (underflow). A distance is kept only when that bound is at most
 * ACCEPTED_ERROR of it (which also bounds the centring's rounding, ~4·2^-24 relative; parallel.ts, gramDistances); the others
 * are computed directly, Σ(x_a − x_b)² on the uncentred rows (kernels.wat, pair_distances). Both are exact functions
 * of the inputs, so every oracle gets the same bits.
 */

/** Fewer rows than this take the direct form for every pair: centring and the second pass cost more than they save. */
export const GRAM_MIN_ROWS = 200;
/** 2^-17 ≥ γ above with room for the float64 steps (block sums, the square roots, the bound itself). */
export const GRAM_ERROR = 2 ** -17;
/** Largest accepted bound on a Gram distance's relative error; larger ones are computed directly. */
export const ACCEPTED_ERROR = 2 ** -13;
/** Bound on the underflow error of a dot product, per padded coordinate (2^-150 a product, four products a distance). */
export const UNDERFLOW_ERROR = 2 ** -147;

/** The five evenly spaced rows whose coordinate-wise median is the centre of n ≥ GRAM_MIN_ROWS rows. */
export function centrePicks(n: number): number[] {
  return Array.from({ length: 5 }, (_, j) => Math.floor((j * n) / 5));
}

/**
 * Fills distances[a·n + b] (a < b) from the Gram matrix (upper triangle and diagonal, row-major n × n) where the
 * error bound allows it, and returns the pairs (a, b) it left to be computed directly, as a flat list.
 */
export function distancesFromGram(gram: Float64Array, n: number, paddedLength: number, distances: Float64Array): Int32Array {
  const floor = UNDERFLOW_ERROR * paddedLength;
  const norms = new Float64Array(n);
  for (let a = 0; a < n; a++) norms[a] = Math.sqrt(gram[a * n + a]!);
  const direct: number[] = [];
  for (let a = 0; a < n; a++) {
    const gaa = gram[a * n + a]!;
    const ra = norms[a]!;
    for (let b = a + 1; b < n; b++) {
      const d = gaa + gram[b * n + b]! - 2 * gram[a * n + b]!;
      const s = ra + norms[b]!;
      const bound = GRAM_ERROR * s * s + floor;
      // NaN or ±∞ anywhere fails the test (every comparison with NaN is false), and so does d ≤ 0.
      if (d > 0 && d < Number.POSITIVE_INFINITY && bound <= ACCEPTED_ERROR * d) distances[a * n + b] = d;
      else direct.push(a, b);
    }
  }
  return Int32Array.from(direct);
}
