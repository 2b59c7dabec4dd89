/**
 * Numeric kernels behind the aggregation strategies (strategy.ts). Each kernel works on a range of coordinates (or,
 * for Krum, a set of rows of the pairwise-distance matrix) so the same code runs single-threaded on the calling thread
 * and, split into disjoint ranges, on worker threads (parallel.ts, kernels-worker.ts). Every output value is computed
 * by exactly one caller with exactly the arithmetic of the original straightforward implementation (same operations,
 * same order), so results are bit-identical to it and independent of how the work is split.
 *
 * Only plain typed-array code here: no imports, so the worker can load it cheaply.
 */

/** Coordinates per tile: a float64 accumulator tile (32 KiB) stays in L1/L2 while the n updates stream past. */
const SUM_TILE = 4096;

/**
 * out[i] = float32(Σ_k c_k · rows[k][i]) for i in [start, end), accumulated in float64 in k order from +0 exactly as
 * `acc[i] += c * w[i]` would (several updates per pass, but each element still sees k = 0, 1, 2, … in order).
 */
export function weightedSumRange(rows: readonly Float32Array[], coefficients: ArrayLike<number>, out: Float32Array, start: number, end: number): void {
  const n = rows.length;
  const acc = new Float64Array(Math.min(SUM_TILE, Math.max(0, end - start)));
  for (let s = start; s < end; s += SUM_TILE) {
    const w = Math.min(SUM_TILE, end - s);
    acc.fill(0, 0, w);
    let k = 0;
    for (; k + 3 < n; k += 4) {
      const r0 = rows[k]!, r1 = rows[k + 1]!, r2 = rows[k + 2]!, r3 = rows[k + 3]!;
      const c0 = coefficients[k]!, c1 = coefficients[k + 1]!, c2 = coefficients[k + 2]!, c3 = coefficients[k + 3]!;
      for (let i = 0; i < w; i++) {
        const j = s + i;
        acc[i] = acc[i]! + c0 * r0[j]! + c1 * r1[j]! + c2 * r2[j]! + c3 * r3[j]!;
      }
    }
    for (; k < n; k++) {
      const r = rows[k]!;
      const c = coefficients[k]!;
      for (let i = 0; i < w; i++) acc[i] = acc[i]! + c * r[s + i]!;
    }
    for (let i = 0; i < w; i++) out[s + i] = acc[i]!;
  }
}

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

/** Parameters per tile of the pairwise-distance kernel: n packed float64 rows of it stay in L2/L3. */
const DISTANCE_TILE = 256;

/**
 * Squared Euclidean distances D[a·n + b] = D[b·n + a] = Σ_i (x_a[i] − x_b[i])² for every listed row a and every b > a,
 * each summed in float64 in index order from +0 (the same value whichever of a, b comes first, since x − y = −(y − x)
 * exactly). Parameters are processed in tiles packed as float64 (the conversion is exact); each pair's running sum
 * lives in D between tiles, so the order of additions is unchanged.
 */
export function pairwiseDistancesRows(rows: readonly Float32Array[], aRows: ArrayLike<number>, distances: Float64Array): void {
  const n = rows.length;
  const length = rows[0]!.length;
  let firstRow = n;
  for (let t = 0; t < aRows.length; t++) firstRow = Math.min(firstRow, aRows[t]!);
  const T = DISTANCE_TILE;
  const pack = new Float64Array(n * T);
  for (let t = 0; t < aRows.length; t++) {
    const a = aRows[t]!;
    for (let b = a + 1; b < n; b++) distances[a * n + b] = 0;
  }
  for (let s = 0; s < length; s += T) {
    const w = Math.min(T, length - s);
    for (let r = firstRow; r < n; r++) {
      const row = rows[r]!;
      const base = r * T;
      for (let i = 0; i < w; i++) pack[base + i] = row[s + i]!;
    }
    for (let t = 0; t < aRows.length; t++) {
      const a = aRows[t]!;
      if (t + 1 < aRows.length && aRows[t + 1] === a + 1) {
        // Rows a and a + 1 together against b ≥ a + 2, four b at a time: 6 loads feed 8 independent sums.
        pairTile(pack, distances, n, T, w, a, a + 1);
        let b = a + 2;
        for (; b + 3 < n; b += 4) blockTile(pack, distances, n, T, w, a, b);
        for (; b < n; b++) {
          pairTile(pack, distances, n, T, w, a, b);
          pairTile(pack, distances, n, T, w, a + 1, b);
        }
        t++;
        continue;
      }
      const aBase = a * T;
      const dRow = a * n;
      let b = a + 1;
      for (; b + 3 < n; b += 4) {
        const b0 = b * T, b1 = b0 + T, b2 = b1 + T, b3 = b2 + T;
        let s0 = distances[dRow + b]!, s1 = distances[dRow + b + 1]!, s2 = distances[dRow + b + 2]!, s3 = distances[dRow + b + 3]!;
        for (let i = 0; i < w; i++) {
          const x = pack[aBase + i]!;
          const d0 = x - pack[b0 + i]!;
          const d1 = x - pack[b1 + i]!;
          const d2 = x - pack[b2 + i]!;
          const d3 = x - pack[b3 + i]!;
          s0 += d0 * d0;
          s1 += d1 * d1;
          s2 += d2 * d2;
          s3 += d3 * d3;
        }
        distances[dRow + b] = s0;
        distances[dRow + b + 1] = s1;
        distances[dRow + b + 2] = s2;
        distances[dRow + b + 3] = s3;
      }
      for (; b < n; b++) pairTile(pack, distances, n, T, w, a, b);
    }
  }
  for (let t = 0; t < aRows.length; t++) {
    const a = aRows[t]!;
    for (let b = a + 1; b < n; b++) distances[b * n + a] = distances[a * n + b]!;
  }
}

/** One tile of pair (a, b): D[a·n + b] += Σ (x_a[i] − x_b[i])² over the tile, in index order. */
function pairTile(pack: Float64Array, distances: Float64Array, n: number, T: number, w: number, a: number, b: number): void {
  const aBase = a * T;
  const bBase = b * T;
  let sum = distances[a * n + b]!;
  for (let i = 0; i < w; i++) {
    const d = pack[aBase + i]! - pack[bBase + i]!;
    sum += d * d;
  }
  distances[a * n + b] = sum;
}

/** One tile of the 8 pairs {a, a + 1} × {b, …, b + 3}, each summed in index order. */
function blockTile(pack: Float64Array, distances: Float64Array, n: number, T: number, w: number, a: number, b: number): void {
  const x0 = a * T, x1 = x0 + T;
  const y0 = b * T, y1 = y0 + T, y2 = y1 + T, y3 = y2 + T;
  const r0 = a * n + b, r1 = r0 + n;
  let s00 = distances[r0]!, s01 = distances[r0 + 1]!, s02 = distances[r0 + 2]!, s03 = distances[r0 + 3]!;
  let s10 = distances[r1]!, s11 = distances[r1 + 1]!, s12 = distances[r1 + 2]!, s13 = distances[r1 + 3]!;
  for (let i = 0; i < w; i++) {
    const u = pack[x0 + i]!, v = pack[x1 + i]!;
    const p0 = pack[y0 + i]!, p1 = pack[y1 + i]!, p2 = pack[y2 + i]!, p3 = pack[y3 + i]!;
    const d00 = u - p0, d01 = u - p1, d02 = u - p2, d03 = u - p3;
    const d10 = v - p0, d11 = v - p1, d12 = v - p2, d13 = v - p3;
    s00 += d00 * d00;
    s01 += d01 * d01;
    s02 += d02 * d02;
    s03 += d03 * d03;
    s10 += d10 * d10;
    s11 += d11 * d11;
    s12 += d12 * d12;
    s13 += d13 * d13;
  }
  distances[r0] = s00;
  distances[r0 + 1] = s01;
  distances[r0 + 2] = s02;
  distances[r0 + 3] = s03;
  distances[r1] = s10;
  distances[r1 + 1] = s11;
  distances[r1 + 2] = s12;
  distances[r1 + 3] = s13;
}
