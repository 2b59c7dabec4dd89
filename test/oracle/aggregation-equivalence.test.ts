import { expect } from "chai";
import { mulberry32 } from "../../lib/data/dataset.ts";
import { describe, it } from "node:test";
import {
  coordinateMedian,
  fedAvg,
  generalisedWeighting,
  multiKrum,
  normClipping,
  strategyFor,
  trimmedMean,
  weightedSum,
  type Aggregate,
  UpdateMatrix,
  type ClientUpdate,
} from "../../oracle/aggregation/strategy.ts";
import { configureParallelism, parallelDistances } from "../../oracle/aggregation/parallel.ts";
import { configureSlices, DEFAULT_SLICES } from "../../oracle/aggregation/wasm-kernels.ts";
import { ACCEPTED_ERROR, GRAM_ERROR, GRAM_MIN_ROWS, UNDERFLOW_ERROR } from "../../oracle/aggregation/kernels.ts";

/*
 * Reference: the original straightforward implementation of the strategies (commit d763ac8), kept verbatim but for
 * Krum's distances, which are now the Gram form on centred rows where its error bound allows and blocked float32
 * differences elsewhere (refKrumDistances), so SIMD can compute them. The optimised kernels must reproduce it bit for
 * bit (independent oracles compare the weights hash on chain).
 */
type Update = ClientUpdate;
interface Result {
  weights: Float32Array;
  selected: number[];
}
type RefAggregate = (updates: readonly Update[]) => Result;

function refRequireUniformLength(updates: readonly Update[]): number {
  if (updates.length === 0) throw new Error("nothing to aggregate: no updates");
  const length = updates[0]!.weights.length;
  for (const [index, update] of updates.entries()) {
    if (update.weights.length !== length) throw new Error(`update ${index} has ${update.weights.length} weights, expected ${length}`);
  }
  return length;
}

/** Σ c_k · w_k over the given updates, accumulated in float64 in input order, rounded to float32 once. */
function refWeightedSum(updates: readonly Update[], coefficients: readonly number[]): Float32Array {
  const length = refRequireUniformLength(updates);
  const accumulator = new Float64Array(length);
  for (let k = 0; k < updates.length; k++) {
    const weights = updates[k]!.weights;
    const c = coefficients[k]!;
    for (let i = 0; i < length; i++) accumulator[i]! += c * weights[i]!;
  }
  return Float32Array.from(accumulator);
}

/** FedAvg: w = Σ (n_k / n) · w_k. */
const refFedAvg: RefAggregate = (updates) => {
  refRequireUniformLength(updates);
  const total = updates.reduce((sum, u) => sum + u.sampleCount, 0);
  if (!(total > 0)) throw new Error("FedAvg needs a positive total sample count");
  return { weights: refWeightedSum(updates, updates.map((u) => u.sampleCount / total)), selected: updates.map((_, k) => k) };
};

/** Generalised weights w_k ∝ a·n_k/n + b·q_k + c·r_k, normalised to sum to 1. */
function refGeneralisedWeighting(a: number, b: number, c: number): RefAggregate {
  return (updates) => {
    refRequireUniformLength(updates);
    const total = updates.reduce((sum, u) => sum + u.sampleCount, 0);
    const raw = updates.map((u) => a * (u.sampleCount / total) + b * (u.quality ?? 0) + c * (u.reputation ?? 0));
    const norm = raw.reduce((sum, x) => sum + x, 0);
    if (!(norm > 0)) throw new Error("generalised weighting gave every update zero weight");
    return { weights: refWeightedSum(updates, raw.map((x) => x / norm)), selected: updates.map((_, k) => k) };
  };
}

/** Coordinate-wise median; with an even count, the mean of the two middle values. */
const refCoordinateMedian: RefAggregate = (updates) => {
  const length = refRequireUniformLength(updates);
  const n = updates.length;
  const column = new Float64Array(n);
  const result = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < n; k++) column[k] = updates[k]!.weights[i]!;
    column.sort();
    const middle = n >> 1;
    result[i] = n % 2 === 1 ? column[middle]! : (column[middle - 1]! + column[middle]!) / 2;
  }
  return { weights: result, selected: updates.map((_, k) => k) };
};

/** Coordinate-wise trimmed mean: drops the `trim` smallest and `trim` largest values of each coordinate. */
function refTrimmedMean(trimFraction: number): RefAggregate {
  return (updates) => {
    const length = refRequireUniformLength(updates);
    const n = updates.length;
    const trim = Math.floor(trimFraction * n);
    if (trimFraction < 0 || 2 * trim >= n) throw new Error(`trimmed mean cannot drop ${trim} from each end of ${n} updates`);
    const column = new Float64Array(n);
    const result = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      for (let k = 0; k < n; k++) column[k] = updates[k]!.weights[i]!;
      column.sort();
      let sum = 0;
      for (let k = trim; k < n - trim; k++) sum += column[k]!;
      result[i] = sum / (n - 2 * trim);
    }
    return { weights: result, selected: updates.map((_, k) => k) };
  };
}

function refSquaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

/**
 * The direct squared distance (kernels.wat, pair_distances): float32 differences, squared in float32 and summed in four
 * float32 lanes (lane j takes the coordinates ≡ j mod 4) within blocks of 256 coordinates, from +0; each block's
 * lanes are added in float64 as (l0 + l2) + (l1 + l3), and the block values summed in float64 in block order from +0.
 * Rows count as zero-padded to whole blocks. (Math.fround of one float64 operation on float32 inputs is the correctly
 * rounded float32 operation.)
 */
function refKrumDistance(a: Float32Array, b: Float32Array): number {
  let total = 0;
  for (let start = 0; start < a.length; start += 256) {
    const lanes = [0, 0, 0, 0];
    for (let i = start; i < start + 256; i++) {
      const d = i < a.length ? Math.fround(a[i]! - b[i]!) : 0;
      lanes[i % 4] = Math.fround(lanes[i % 4]! + Math.fround(d * d));
    }
    total += lanes[0]! + lanes[2]! + (lanes[1]! + lanes[3]!);
  }
  return total;
}

/** The same blocked sum for the dot product Σ a·b (kernels.wat, dot1x1). */
function refDot(a: Float32Array, b: Float32Array): number {
  let total = 0;
  for (let start = 0; start < a.length; start += 256) {
    const lanes = [0, 0, 0, 0];
    for (let i = start; i < Math.min(start + 256, a.length); i++) lanes[i % 4] = Math.fround(lanes[i % 4]! + Math.fround(a[i]! * b[i]!));
    total += lanes[0]! + lanes[2]! + (lanes[1]! + lanes[3]!);
  }
  return total;
}

/**
 * Krum's squared distances, written out plainly (kernels.ts explains the bound): below GRAM_MIN_ROWS rows, the direct
 * distance of every pair; from there, rows centred on the coordinate-wise median of 5 evenly spaced rows (NaN where
 * any of them is NaN; −0 below +0), then for each pair the Gram form (G_aa + G_bb) − 2·G_ab when
 * GRAM_ERROR·(√G_aa + √G_bb)² + UNDERFLOW_ERROR·(padded length) ≤ ACCEPTED_ERROR·d and d is positive and finite, else
 * the direct distance of the uncentred rows.
 */
function refKrumDistances(rows: readonly Float32Array[]): number[][] {
  const n = rows.length;
  const length = rows[0]!.length;
  if (n < GRAM_MIN_ROWS) return rows.map((a, i) => rows.map((b, j) => (i === j ? 0 : refKrumDistance(a, b))));
  const picked = Array.from({ length: 5 }, (_, j) => rows[Math.floor((j * n) / 5)]!);
  const centre = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const values = Float64Array.from(picked, (row) => row[i]!);
    centre[i] = values.some(Number.isNaN) ? Number.NaN : values.sort()[2]!;
  }
  const centred = rows.map((row) => Float32Array.from(row, (x, i) => x - centre[i]!));
  const gram = centred.map((a) => centred.map((b) => refDot(a, b)));
  const padded = Math.ceil(length / 256) * 256;
  return rows.map((_, a) =>
    rows.map((__, b) => {
      if (a === b) return 0;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const d = gram[lo]![lo]! + gram[hi]![hi]! - 2 * gram[lo]![hi]!;
      const s = Math.sqrt(gram[lo]![lo]!) + Math.sqrt(gram[hi]![hi]!);
      const bound = GRAM_ERROR * s * s + UNDERFLOW_ERROR * padded;
      return Number.isFinite(d) && d > 0 && bound <= ACCEPTED_ERROR * d ? d : refKrumDistance(rows[lo]!, rows[hi]!);
    }),
  );
}

/**
 * Krum scores (Blanchard et al. 2017): for each update, the sum of squared distances to its n − f − 2 nearest
 * neighbours. Multi-Krum averages (FedAvg) the m best-scored; Krum is m = 1. Ties go to the earlier update.
 */
function refMultiKrum(byzantine: number, selectCount: number): RefAggregate {
  return (updates) => {
    refRequireUniformLength(updates);
    const n = updates.length;
    const neighbours = n - byzantine - 2;
    if (neighbours < 1) throw new Error(`Krum needs n > f + 2 (n = ${n}, f = ${byzantine})`);
    if (selectCount < 1 || selectCount > n) throw new Error(`Multi-Krum cannot select ${selectCount} of ${n}`);
    const distances = refKrumDistances(updates.map((u) => u.weights));
    const scores = distances.map((row, k) => {
      const others = row.filter((_, j) => j !== k).sort((x, y) => x - y);
      return others.slice(0, neighbours).reduce((sum, d) => sum + d, 0);
    });
    const ranked = scores.map((score, k) => ({ score, k })).sort((x, y) => x.score - y.score || x.k - y.k);
    const selected = ranked.slice(0, selectCount).map((entry) => entry.k).sort((x, y) => x - y);
    const averaged = refFedAvg(selected.map((k) => updates[k]!));
    return { weights: averaged.weights, selected };
  };
}

/** Scales each update to an L2 norm of at most `maxNorm`, then aggregates with `inner`. */
function refNormClipping(maxNorm: number, inner: RefAggregate): RefAggregate {
  if (!(maxNorm > 0)) throw new Error("the clipping norm must be positive");
  return (updates) =>
    inner(
      updates.map((update) => {
        const norm = Math.sqrt(refSquaredDistance(update.weights, new Float32Array(update.weights.length)));
        if (norm <= maxNorm) return update;
        const scale = maxNorm / norm;
        return { ...update, weights: Float32Array.from(update.weights, (w) => w * scale) };
      }),
    );
}


const rng = (seed: number): (() => number) => mulberry32(seed);

type Kind = "smooth" | "ties" | "wide" | "special" | "duplicates";
const KINDS: readonly Kind[] = ["smooth", "ties", "wide", "special", "duplicates"];

function makeUpdates(kind: Kind, n: number, length: number, seed: number): Update[] {
  const u = rng(seed * 7919 + n * 31 + length);
  const base = Float32Array.from({ length }, () => (u() - 0.5) * 0.2);
  const tieValues = [-1, -0, 0, 0.5, 1, 2, 1e-3, -1e-3];
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e-45, -1e-45, 3e-39, 3.4e38, -3.4e38];
  const rows: Float32Array[] = [];
  for (let k = 0; k < n; k++) {
    const w = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      switch (kind) {
        case "smooth":
        case "duplicates":
          w[i] = base[i]! + (u() - 0.5) * 0.01 * (1 + (k % 3)) + (k % 10 === 9 ? 5 : 0);
          break;
        case "ties":
          w[i] = tieValues[Math.floor(u() * tieValues.length)]!;
          break;
        case "wide":
          w[i] = (u() < 0.5 ? -1 : 1) * (1 + u()) * 2 ** Math.floor(u() * 240 - 140);
          break;
        case "special":
          w[i] = u() < 0.05 ? specials[Math.floor(u() * specials.length)]! : base[i]! + (u() - 0.5) * 0.02;
          break;
      }
    }
    if (kind === "special") {
      // NaNs with the sign bit set or a payload: they still sort last.
      const bits = new Int32Array(w.buffer);
      for (let i = 0; i < length; i++) if (u() < 0.02) bits[i] = u() < 0.5 ? 0xffc00000 | 0 : 0x7f800001 + Math.floor(u() * 1000);
    }
    // "duplicates": every third update repeats an earlier one exactly (Krum score ties).
    rows.push(kind === "duplicates" && k >= 3 && k % 3 === 0 ? rows[k - 3]!.slice() : w);
  }
  return rows.map((weights, k) => ({ weights, sampleCount: 1 + ((k * 37 + seed) % 50), quality: (k % 7) / 7, reputation: (k % 5) / 5 }));
}

function expectSame(actual: { weights: Float32Array; selected: number[] }, expected: { weights: Float32Array; selected: number[] }, label: string): void {
  expect(actual.selected, `${label}: selected`).to.deep.equal(expected.selected);
  expect(actual.weights.length, `${label}: length`).to.equal(expected.weights.length);
  for (let i = 0; i < expected.weights.length; i++) {
    if (!Object.is(actual.weights[i], expected.weights[i])) {
      expect.fail(`${label}: weight ${i} is ${actual.weights[i]}, reference ${expected.weights[i]}`);
    }
  }
}

const SIZES = [3, 4, 5, 10, 11, 12, 100] as const;
const LENGTHS = [1, 63, 65, 300, 4100] as const;

function strategies(n: number): { name: string; ours: Aggregate; ref: RefAggregate }[] {
  const f = Math.max(0, Math.min(Math.floor(n / 10), n - 3));
  const list = [
    { name: "fedavg", ours: fedAvg, ref: refFedAvg },
    { name: "weighted", ours: generalisedWeighting(0.5, 0.3, 0.2), ref: refGeneralisedWeighting(0.5, 0.3, 0.2) },
    { name: "median", ours: coordinateMedian, ref: refCoordinateMedian },
    { name: "trimmed_mean 0.2", ours: trimmedMean(0.2), ref: refTrimmedMean(0.2) },
    { name: "trimmed_mean 0.34", ours: trimmedMean(0.34), ref: refTrimmedMean(0.34) },
    { name: "trimmed_mean 0", ours: trimmedMean(0), ref: refTrimmedMean(0) },
    { name: `krum f=${f}`, ours: multiKrum(f, 1), ref: refMultiKrum(f, 1) },
    { name: `multi_krum f=${f} m=${Math.ceil(n / 2)}`, ours: multiKrum(f, Math.ceil(n / 2)), ref: refMultiKrum(f, Math.ceil(n / 2)) },
    { name: "clipped_fedavg", ours: normClipping(0.5, fedAvg), ref: refNormClipping(0.5, refFedAvg) },
  ];
  return list;
}

export function checkAll(sizes: readonly number[] = SIZES, lengths: readonly number[] = LENGTHS, seeds = 2): number {
  let checked = 0;
  for (const kind of KINDS) {
    for (const n of sizes) {
      for (const length of lengths) {
        if (n === 100 && length > 300 && kind !== "smooth" && kind !== "wide") continue;
        for (let seed = 1; seed <= seeds; seed++) {
          const updates = makeUpdates(kind, n, length, seed);
          for (const { name, ours, ref } of strategies(n)) {
            expectSame(ours(updates), ref(updates), `${name} ${kind} n=${n} length=${length} seed=${seed}`);
            checked++;
          }
        }
      }
    }
  }
  return checked;
}

/**
 * Every off-diagonal entry of the kernels' distance matrix against refKrumDistances, bit for bit; returns how many were
 * checked and how many of them the Gram form gave (the rest were computed directly).
 */
function checkDistances(sizes: readonly number[], lengths: readonly number[]): { checked: number; gram: number } {
  let checked = 0;
  let gram = 0;
  for (const kind of KINDS) {
    for (const n of sizes) {
      for (const length of lengths) {
        const rows = makeUpdates(kind, n, length, 5).map((u) => u.weights);
        const matrix = parallelDistances(rows);
        const expected = refKrumDistances(rows);
        for (let a = 0; a < n; a++) {
          for (let b = 0; b < n; b++) {
            if (a === b) continue;
            if (!Object.is(matrix[a * n + b], expected[a]![b])) expect.fail(`${kind} n=${n} length=${length}: D[${a}][${b}] is ${matrix[a * n + b]}, reference ${expected[a]![b]}`);
            checked++;
            if (!Object.is(expected[a]![b], refKrumDistance(rows[a]!, rows[b]!))) gram++;
          }
        }
      }
    }
  }
  return { checked, gram };
}

describe("aggregation strategies, bit-identical to the reference implementation", () => {
  it("Krum's distance matrix equals the reference (direct below GRAM_MIN_ROWS rows), alone, sliced and over 2 threads", () => {
    const direct = checkDistances([2, 5, 12], [1, 255, 256, 257, 1100]);
    expect(direct.checked).to.be.greaterThan(1000);
    expect(direct.gram).to.equal(0);
    configureSlices({ sliceBytes: 1 });
    configureParallelism({ threads: 2, minColumnWork: 0, minDistanceWork: 0, ignoreLoad: true });
    try {
      expect(checkDistances([9, 40], [300, 1100]).checked).to.be.greaterThan(1000);
    } finally {
      configureSlices(DEFAULT_SLICES);
      configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity });
    }
  });

  it("Krum's distance matrix from GRAM_MIN_ROWS rows (Gram form where its bound allows, direct elsewhere) equals the reference, alone, sliced and over 2 threads", () => {
    const alone = checkDistances([GRAM_MIN_ROWS, GRAM_MIN_ROWS + 3], [1, 257, 600]);
    // Both forms are exercised: smooth data mostly takes the Gram form, duplicates and specials fall back.
    expect(alone.gram).to.be.greaterThan(alone.checked / 4).and.lessThan(alone.checked * 0.9);
    configureSlices({ sliceBytes: 1 });
    configureParallelism({ threads: 2, minColumnWork: 0, minDistanceWork: 0, ignoreLoad: true });
    try {
      expect(checkDistances([GRAM_MIN_ROWS + 1], [300, 700]).gram).to.be.greaterThan(10_000);
    } finally {
      configureSlices(DEFAULT_SLICES);
      configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity });
    }
  });

  it("Krum and Multi-Krum from GRAM_MIN_ROWS updates select and average as the reference does, alone and over 2 threads", () => {
    for (const threads of [1, 2]) {
      configureParallelism({ threads, minColumnWork: 0, minDistanceWork: 0, ignoreLoad: true });
      try {
        for (const kind of ["smooth", "duplicates", "special"] as const) {
          const updates = makeUpdates(kind, GRAM_MIN_ROWS + 7, 300, threads);
          for (const [f, m] of [[20, 1], [20, 50]] as const) expectSame(multiKrum(f, m)(updates), refMultiKrum(f, m)(updates), `${kind} f=${f} m=${m} threads=${threads}`);
        }
      } finally {
        configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity });
      }
    }
  });

  it("Gram-form distances stay within ACCEPTED_ERROR of the exact distance, and in practice far closer", () => {
    const rows = makeUpdates("smooth", GRAM_MIN_ROWS, 5000, 11).map((u) => u.weights);
    const matrix = parallelDistances(rows);
    let worst = 0;
    for (let a = 0; a < rows.length; a++) {
      for (let b = a + 1; b < rows.length; b++) {
        let exact = 0;
        for (let i = 0; i < 5000; i++) exact += (rows[a]![i]! - rows[b]![i]!) ** 2;
        worst = Math.max(worst, Math.abs(matrix[a * rows.length + b]! - exact) / exact);
      }
    }
    expect(worst).to.be.lessThan(ACCEPTED_ERROR);
    expect(worst).to.be.lessThan(1e-5);
  });

  it("on random data with ties, duplicates, ±0, NaN, ±∞, subnormals and wide exponent ranges", () => {
    expect(checkAll()).to.be.greaterThan(1000);
  });

  it("weightedSum and strategyFor agree with the reference", () => {
    for (const n of [1, 2, 7, 13]) {
      const updates = makeUpdates("smooth", n, 5000, n);
      const coefficients = updates.map((_, k) => (k + 1) / 3);
      const ours = weightedSum(updates, coefficients);
      const ref = refWeightedSum(updates, coefficients);
      expectSame({ weights: ours, selected: [] }, { weights: ref, selected: [] }, `weightedSum n=${n}`);
    }
    const updates = makeUpdates("special", 12, 500, 3);
    expectSame(strategyFor({ name: "krum", byzantine: 2 })(updates), refMultiKrum(2, 1)(updates), "strategyFor krum");
    expectSame(strategyFor({ name: "median" })(updates), refCoordinateMedian(updates), "strategyFor median");
  });

  for (const threads of [2, 3]) {
    it(`split over ${threads} threads (worker_threads) gives the same results`, () => {
      configureParallelism({ threads, minColumnWork: 0, minDistanceWork: 0, minSumWork: 0, ignoreLoad: true });
      try {
        expect(checkAll([3, 4, 10, 11, 100], [1, 63, 65, 300], 1)).to.be.greaterThan(100);
      } finally {
        configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity });
      }
    });
  }

  it("taken in column slices of the kernel memory (one block wide), alone and over 2 threads, gives the same results", () => {
    configureSlices({ sliceBytes: 1, sumSliceBytes: 1, sumSliceMinFloats: 256 });
    try {
      expect(checkAll([3, 4, 10, 11], [63, 300, 700], 1)).to.be.greaterThan(100);
      configureParallelism({ threads: 2, minColumnWork: 0, minDistanceWork: 0, ignoreLoad: true });
      expect(checkAll([4, 11, 100], [300, 700], 1)).to.be.greaterThan(50);
    } finally {
      configureSlices(DEFAULT_SLICES);
      configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity });
    }
  });

  it("sub-arrays of one shared buffer (unaligned to tiles) give the same results", () => {
    const n = 11;
    const length = 777;
    const source = makeUpdates("smooth", n, length, 9);
    const big = new Float32Array(n * length + 3);
    source.forEach((u, k) => big.set(u.weights, 3 + k * length));
    const views = source.map((u, k) => ({ ...u, weights: big.subarray(3 + k * length, 3 + (k + 1) * length) }));
    for (const { name, ours, ref } of strategies(n)) expectSame(ours(views), ref(source), `${name} on subarrays`);
  });

  it("updates held in an UpdateMatrix give the same results: all rows, a run from a later row, rows out of order (copied), alone and over 2 threads", () => {
    const check = () => {
      let checked = 0;
      // 1024 weights make a 4 KiB row, which the matrix pads; 4099 is no whole number of 16-byte groups.
      for (const length of [1, 63, 1024, 4099]) {
        for (const n of [3, 10, 13]) {
          const source = makeUpdates("special", n + 2, length, n);
          const matrix = UpdateMatrix.create(n + 2, length);
          const held = source.map((u, k) => {
            matrix.rows[k]!.set(u.weights);
            return { ...u, weights: matrix.rows[k]! };
          });
          const runs = { all: [held, source], later: [held.slice(2), source.slice(2)], reversed: [[...held].reverse(), [...source].reverse()] } as const;
          for (const [label, [ours, theirs]] of Object.entries(runs)) {
            for (const { name, ours: aggregate, ref } of strategies(ours.length)) {
              expectSame(aggregate(ours), ref(theirs), `${name} on matrix rows (${label}) n=${ours.length} length=${length}`);
              checked++;
            }
          }
        }
      }
      return checked;
    };
    expect(check()).to.be.greaterThan(300);
    configureParallelism({ threads: 2, minColumnWork: 0, minDistanceWork: 0, minSumWork: 0, ignoreLoad: true });
    try {
      expect(check()).to.be.greaterThan(300);
    } finally {
      configureParallelism({ threads: 1, minColumnWork: Infinity, minDistanceWork: Infinity, minSumWork: Infinity });
    }
  });

  it("an UpdateMatrix refuses an empty shape, and a matrix larger than WebAssembly's 4 GiB", () => {
    expect(() => UpdateMatrix.create(0, 10)).to.throw(/at least one row and one weight/);
    expect(() => UpdateMatrix.create(10, 0)).to.throw(/at least one row and one weight/);
    expect(() => UpdateMatrix.create(20_000, 100_000)).to.throw(/more than WebAssembly's 4 GiB/);
  });
});
