/**
 * The in-memory dataset shapes shared by the loaders, the model and the oracles, plus the small pure helpers
 * every loader needs: row subsets, concatenation, a per-feature normaliser and a seeded PRNG.
 */

export interface Dataset {
  /** Row-major features, rows × featureNames.length. */
  features: Float32Array;
  /** One label per row: RUL in cycles (regression) or 0/1 (classification). */
  labels: Float32Array;
  rows: number;
  featureNames: string[];
}

export type TaskKind = "regression" | "classification";

export interface FederatedData {
  kind: TaskKind;
  /** Task name used on chain: "cmapss-rul" for RUL regression (synthetic and C-MAPSS), "ai4i-failure" for AI4I. */
  taskName: string;
  featureNames: string[];
  /** One training partition per device (non-IID), already normalised with the shared normaliser. */
  devices: Dataset[];
  /** Held-out data for the oracles' validation (never seen by devices). */
  validation: Dataset;
  /** Test data for final reporting. */
  test: Dataset;
}

/** Builds a Dataset, checking that the arrays agree with each other. */
export function makeDataset(features: Float32Array, labels: Float32Array, featureNames: string[]): Dataset {
  const width = featureNames.length;
  if (width === 0) throw new Error("a dataset needs at least one feature");
  const rows = labels.length;
  if (features.length !== rows * width) {
    throw new Error(`features has ${features.length} values, expected ${rows} rows × ${width} features = ${rows * width}`);
  }
  return { features, labels, rows, featureNames: [...featureNames] };
}

export function emptyDataset(featureNames: string[]): Dataset {
  return makeDataset(new Float32Array(0), new Float32Array(0), featureNames);
}

/** The rows at the given indices, in that order (indices may repeat). */
export function subset(dataset: Dataset, rowIndices: ArrayLike<number>): Dataset {
  const width = dataset.featureNames.length;
  const features = new Float32Array(rowIndices.length * width);
  const labels = new Float32Array(rowIndices.length);
  for (let i = 0; i < rowIndices.length; i++) {
    const row = rowIndices[i]!;
    if (!Number.isInteger(row) || row < 0 || row >= dataset.rows) throw new Error(`row index ${row} is outside 0..${dataset.rows - 1}`);
    features.set(dataset.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = dataset.labels[row]!;
  }
  return { features, labels, rows: rowIndices.length, featureNames: [...dataset.featureNames] };
}

/** Stacks datasets with identical feature names. */
export function concat(datasets: readonly Dataset[]): Dataset {
  if (datasets.length === 0) throw new Error("concat needs at least one dataset");
  const featureNames = datasets[0]!.featureNames;
  for (const [index, dataset] of datasets.entries()) {
    if (dataset.featureNames.length !== featureNames.length || dataset.featureNames.some((name, i) => name !== featureNames[i])) {
      throw new Error(`dataset ${index} has features [${dataset.featureNames.join(", ")}], expected [${featureNames.join(", ")}]`);
    }
  }
  const rows = datasets.reduce((sum, d) => sum + d.rows, 0);
  const features = new Float32Array(rows * featureNames.length);
  const labels = new Float32Array(rows);
  let offset = 0;
  for (const dataset of datasets) {
    features.set(dataset.features, offset * featureNames.length);
    labels.set(dataset.labels, offset);
    offset += dataset.rows;
  }
  return { features, labels, rows, featureNames: [...featureNames] };
}

export interface Normaliser {
  mean: Float64Array;
  std: Float64Array;
}

/** Per-feature mean and standard deviation over the rows of `datasets` (float64 accumulation). */
export function fitNormaliser(datasets: readonly Dataset[]): Normaliser {
  if (datasets.length === 0) throw new Error("fitNormaliser needs at least one dataset");
  const width = datasets[0]!.featureNames.length;
  const mean = new Float64Array(width);
  const squares = new Float64Array(width);
  let count = 0;
  for (const dataset of datasets) {
    if (dataset.featureNames.length !== width) throw new Error("fitNormaliser: datasets have different feature counts");
    for (let r = 0; r < dataset.rows; r++) {
      for (let j = 0; j < width; j++) {
        const x = dataset.features[r * width + j]!;
        mean[j]! += x;
        squares[j]! += x * x;
      }
    }
    count += dataset.rows;
  }
  if (count === 0) throw new Error("fitNormaliser: no rows to fit on");
  const std = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    mean[j]! /= count;
    const variance = Math.max(0, squares[j]! / count - mean[j]! * mean[j]!);
    // A constant feature keeps std 1 so normalising maps it to 0 instead of dividing by zero.
    std[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean, std };
}

export function applyNormaliser(normaliser: Normaliser, dataset: Dataset): Dataset {
  const width = dataset.featureNames.length;
  if (normaliser.mean.length !== width) throw new Error(`normaliser has ${normaliser.mean.length} features, dataset has ${width}`);
  const features = new Float32Array(dataset.features.length);
  for (let r = 0; r < dataset.rows; r++) {
    for (let j = 0; j < width; j++) {
      const i = r * width + j;
      features[i] = (dataset.features[i]! - normaliser.mean[j]!) / normaliser.std[j]!;
    }
  }
  return { features, labels: dataset.labels.slice(), rows: dataset.rows, featureNames: [...dataset.featureNames] };
}

/** Fits the normaliser on the union of the device partitions only and applies it to every split. */
export function normaliseFederated(raw: FederatedData): FederatedData & { normaliser: Normaliser } {
  const normaliser = fitNormaliser(raw.devices);
  return {
    ...raw,
    featureNames: [...raw.featureNames],
    devices: raw.devices.map((d) => applyNormaliser(normaliser, d)),
    validation: applyNormaliser(normaliser, raw.validation),
    test: applyNormaliser(normaliser, raw.test),
    normaliser,
  };
}

export type Random = () => number;

/** mulberry32: a tiny 32-bit PRNG; uniform in [0, 1). Same seed, same sequence on every platform. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent-looking child seed, so sub-generators do not share streams. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** Standard normal via Box-Muller. */
export function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher-Yates shuffle, in place; returns the array. */
export function shuffleInPlace<T extends { length: number; [index: number]: unknown }>(array: T, random: Random): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, random: Random): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return shuffleInPlace(indices, random);
}

/** Gamma(shape, 1) sample (Marsaglia-Tsang), used for Dirichlet splits. */
export function gammaSample(shape: number, random: Random): number {
  if (shape < 1) return gammaSample(shape + 1, random) * Math.pow(random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Dirichlet(α, …, α) proportions of length k. */
export function dirichlet(k: number, alpha: number, random: Random): number[] {
  const samples = Array.from({ length: k }, () => gammaSample(alpha, random));
  const total = samples.reduce((s, x) => s + x, 0);
  return samples.map((x) => x / total);
}

/** Assigns items (e.g. engine ids) to `groups` groups after a seeded shuffle, round-robin; every group non-empty if possible. */
export function assignRoundRobin<T>(items: readonly T[], groups: number, random: Random): T[][] {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`groups must be a positive integer, got ${groups}`);
  const shuffled = shuffleInPlace([...items], random);
  const result: T[][] = Array.from({ length: groups }, () => []);
  shuffled.forEach((item, i) => result[i % groups]!.push(item));
  return result;
}
