import { parallelDistances, parallelMedian, parallelTrimmedMean, parallelWeightedSum } from "./parallel.ts";

/** Decode a round's updates into an UpdateMatrix's rows and the weighted strategies sum them without copying. */
export { UpdateMatrix } from "./wasm-kernels.ts";

/**
 * Aggregation strategies: pure functions over Float32Array weight vectors behind one interface, selected by name
 * (as Flower's strategies are). Every strategy is deterministic to the bit: updates are taken in the order given
 * (callers sort them, e.g. by device address), sums accumulate in float64 in a fixed order, and the result is
 * rounded to float32 once, so independent oracles compute the same weights hash.
 */
export interface ClientUpdate {
  /** The update's flattened weights; every update of a round has the same length. */
  weights: Float32Array;
  /** n_k: local training samples. */
  sampleCount: number;
  /** q_k in [0, 1]: data quality from local validation (optional). */
  quality?: number;
  /** r_k in [0, 1]: on-chain reputation, normalised (optional). */
  reputation?: number;
}

export interface AggregationResult {
  weights: Float32Array;
  /** Positions (in the input order) of the updates that contributed. */
  selected: number[];
}

export type Aggregate = (updates: readonly ClientUpdate[]) => AggregationResult;

function requireUniformLength(updates: readonly ClientUpdate[]): number {
  if (updates.length === 0) throw new Error("nothing to aggregate: no updates");
  const length = updates[0]!.weights.length;
  for (const [index, update] of updates.entries()) {
    if (update.weights.length !== length) throw new Error(`update ${index} has ${update.weights.length} weights, expected ${length}`);
  }
  return length;
}

/** Σ c_k · w_k over the given updates, accumulated in float64 in input order, rounded to float32 once. */
export function weightedSum(updates: readonly ClientUpdate[], coefficients: readonly number[]): Float32Array {
  const length = requireUniformLength(updates);
  const result = new Float32Array(length);
  parallelWeightedSum(updates.map((u) => u.weights), coefficients, result);
  return result;
}

/** FedAvg: w = Σ (n_k / n) · w_k. */
export const fedAvg: Aggregate = (updates) => {
  requireUniformLength(updates);
  const total = updates.reduce((sum, u) => sum + u.sampleCount, 0);
  if (!(total > 0)) throw new Error("FedAvg needs a positive total sample count");
  return { weights: weightedSum(updates, updates.map((u) => u.sampleCount / total)), selected: updates.map((_, k) => k) };
};

/** Generalised weights w_k ∝ a·n_k/n + b·q_k + c·r_k, normalised to sum to 1. */
export function generalisedWeighting(a: number, b: number, c: number): Aggregate {
  return (updates) => {
    requireUniformLength(updates);
    const total = updates.reduce((sum, u) => sum + u.sampleCount, 0);
    const raw = updates.map((u) => a * (u.sampleCount / total) + b * (u.quality ?? 0) + c * (u.reputation ?? 0));
    const norm = raw.reduce((sum, x) => sum + x, 0);
    if (!(norm > 0)) throw new Error("generalised weighting gave every update zero weight");
    return { weights: weightedSum(updates, raw.map((x) => x / norm)), selected: updates.map((_, k) => k) };
  };
}

/**
 * Coordinate-wise median; with an even count, the mean of the two middle values. Values are ordered as
 * Float64Array.prototype.sort orders them (−0 before +0, NaN last); see kernels.ts for the selection.
 */
export const coordinateMedian: Aggregate = (updates) => {
  const length = requireUniformLength(updates);
  const result = new Float32Array(length);
  parallelMedian(updates.map((u) => u.weights), result);
  return { weights: result, selected: updates.map((_, k) => k) };
};

/**
 * Coordinate-wise trimmed mean: drops the `trim` smallest and `trim` largest values of each coordinate and averages
 * the rest, summed in float64 in ascending order.
 */
export function trimmedMean(trimFraction: number): Aggregate {
  return (updates) => {
    const length = requireUniformLength(updates);
    const n = updates.length;
    const trim = Math.floor(trimFraction * n);
    if (trimFraction < 0 || 2 * trim >= n) throw new Error(`trimmed mean cannot drop ${trim} from each end of ${n} updates`);
    const result = new Float32Array(length);
    parallelTrimmedMean(updates.map((u) => u.weights), trim, result);
    return { weights: result, selected: updates.map((_, k) => k) };
  };
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

/**
 * Krum scores (Blanchard et al. 2017): for each update, the sum of squared distances to its n − f − 2 nearest
 * neighbours. Multi-Krum averages (FedAvg) the m best-scored; Krum is m = 1. Ties go to the earlier update.
 */
export function multiKrum(byzantine: number, selectCount: number): Aggregate {
  return (updates) => {
    requireUniformLength(updates);
    const n = updates.length;
    const neighbours = n - byzantine - 2;
    if (neighbours < 1) throw new Error(`Krum needs n > f + 2 (n = ${n}, f = ${byzantine})`);
    if (selectCount < 1 || selectCount > n) throw new Error(`Multi-Krum cannot select ${selectCount} of ${n}`);
    const distances = parallelDistances(updates.map((u) => u.weights));
    const others = new Float64Array(n - 1);
    const scores = Array.from({ length: n }, (_, k) => {
      const row = distances.subarray(k * n, (k + 1) * n);
      others.set(row.subarray(0, k), 0);
      others.set(row.subarray(k + 1), k);
      if (others.some(Number.isNaN)) {
        // NaN distances make the comparator below inconsistent, so the order is whatever Array.prototype.sort makes
        // of it: reproduce that exact call.
        const list = Array.from(row).filter((_, j) => j !== k).sort((x, y) => x - y);
        return list.slice(0, neighbours).reduce((sum, d) => sum + d, 0);
      }
      // Without NaN the comparator is a total order (distances are never −0), so a numeric sort gives the same sequence.
      others.sort();
      let sum = 0;
      for (let j = 0, m = Math.min(neighbours, n - 1); j < m; j++) sum += others[j]!;
      return sum;
    });
    const ranked = scores.map((score, k) => ({ score, k })).sort((x, y) => x.score - y.score || x.k - y.k);
    const selected = ranked.slice(0, selectCount).map((entry) => entry.k).sort((x, y) => x - y);
    const averaged = fedAvg(selected.map((k) => updates[k]!));
    return { weights: averaged.weights, selected };
  };
}

/** Scales each update to an L2 norm of at most `maxNorm`, then aggregates with `inner`. */
export function normClipping(maxNorm: number, inner: Aggregate): Aggregate {
  if (!(maxNorm > 0)) throw new Error("the clipping norm must be positive");
  return (updates) =>
    inner(
      updates.map((update) => {
        const norm = Math.sqrt(squaredDistance(update.weights, new Float32Array(update.weights.length)));
        if (norm <= maxNorm) return update;
        const scale = maxNorm / norm;
        return { ...update, weights: Float32Array.from(update.weights, (w) => w * scale) };
      }),
    );
}

/** The strategies by name, with their parameters. */
export type StrategyConfig =
  | { name: "fedavg" }
  | { name: "weighted"; a: number; b: number; c: number }
  | { name: "median" }
  | { name: "trimmed_mean"; trimFraction: number }
  | { name: "krum"; byzantine: number }
  | { name: "multi_krum"; byzantine: number; select: number }
  | { name: "clipped_fedavg"; maxNorm: number };

export function strategyFor(config: StrategyConfig): Aggregate {
  switch (config.name) {
    case "fedavg":
      return fedAvg;
    case "weighted":
      return generalisedWeighting(config.a, config.b, config.c);
    case "median":
      return coordinateMedian;
    case "trimmed_mean":
      return trimmedMean(config.trimFraction);
    case "krum":
      return multiKrum(config.byzantine, 1);
    case "multi_krum":
      return multiKrum(config.byzantine, config.select);
    case "clipped_fedavg":
      return normClipping(config.maxNorm, fedAvg);
  }
}
