/**
 * Piecewise-linear encoding (PLE) of numeric features, after Gorishniy, Rubachev & Babenko (2022), "On Embeddings
 * for Numerical Features in Tabular Deep Learning". A feature x becomes [x, e_1, …, e_T] with
 * e_t = clamp((x − b_{t−1}) / (b_t − b_{t−1}), 0, 1) over fixed edges b_0 < … < b_T: a thermometer code that is
 * linear inside its bin. A small MLP on raw standardised inputs has to spend units carving out thresholds that sit in
 * a feature's tails (AI4I's power and heat-dissipation failures); with PLE a single weight per bin can express them.
 *
 * The encoding is a pure per-row transform with label-free, fixed edges, so in federated training every device,
 * oracle and evaluator derives the same columns from its own rows without sharing anything.
 */
import { makeDataset, type Dataset } from "./dataset.ts";

export interface PiecewiseLinearOptions {
  /** Bin edges b_0 < b_1 < … < b_T, in the units the column already has (standardised z for AI4I). */
  edges: readonly number[];
  /** Names of the columns to encode; every other column passes through unchanged. */
  columns: readonly string[];
}

/** Name of the t-th (1-based) PLE column of a feature, e.g. "Power [W]#ple3". */
export function pleColumnName(feature: string, bin: number): string {
  return `${feature}#ple${bin}`;
}

/** The feature a column encodes: "Power [W]" for "Power [W]#ple3", and the name itself for any other column. */
export function sourceFeatureOf(column: string): string {
  const marker = column.lastIndexOf("#ple");
  return marker > 0 && /^\d+$/.test(column.slice(marker + 4)) ? column.slice(0, marker) : column;
}

/**
 * Input columns grouped by the feature they encode, in first-column order: a feature and its PLE bins form one group,
 * every other column its own. Attributions are reported per group, since one feature's bins only mean something
 * together (shuffling one bin alone breaks the thermometer code, and importance would be split over correlated bins).
 */
export function featureGroups(columns: readonly string[]): { name: string; columns: number[] }[] {
  const groups = new Map<string, number[]>();
  columns.forEach((column, index) => {
    const name = sourceFeatureOf(column);
    const group = groups.get(name);
    if (group) group.push(index);
    else groups.set(name, [index]);
  });
  return [...groups].map(([name, indices]) => ({ name, columns: indices }));
}

/** Uniform edges from `from` to `to` (inclusive) every `step`; rounded so the values are exact decimals. */
export function uniformEdges(from: number, to: number, step: number): number[] {
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw new Error(`uniformEdges needs finite from < to, got ${from}..${to}`);
  if (!(step > 0 && Number.isFinite(step))) throw new Error(`uniformEdges step must be positive, got ${step}`);
  const count = Math.round((to - from) / step);
  if (Math.abs(from + count * step - to) > 1e-9 * Math.max(1, Math.abs(to))) throw new Error(`uniformEdges: ${to} − ${from} is not a multiple of ${step}`);
  // Rounding to 1e-9 removes float drift (e.g. −3.5 + 7 · 0.5 must be exactly 0) so every party builds equal edges.
  return Array.from({ length: count + 1 }, (_, i) => Math.round((from + i * step) * 1e9) / 1e9);
}

function checkEdges(edges: readonly number[]): void {
  if (edges.length < 2) throw new Error(`piecewise-linear encoding needs at least 2 edges, got ${edges.length}`);
  edges.forEach((b, i) => {
    if (!Number.isFinite(b)) throw new Error(`edge ${i} is not finite: ${b}`);
    if (i > 0 && !(b > edges[i - 1]!)) throw new Error(`edges must be strictly increasing: edge ${i} (${b}) ≤ edge ${i - 1} (${edges[i - 1]})`);
  });
}

/**
 * Returns a new dataset in which each column in `options.columns` is followed by its T = edges.length − 1 PLE
 * columns; column order is otherwise kept. Labels are copied. Fails on an unknown or repeated column name.
 */
export function piecewiseLinearEncode(dataset: Dataset, options: PiecewiseLinearOptions): Dataset {
  const { edges } = options;
  checkEdges(edges);
  const encode = new Set<string>();
  for (const name of options.columns) {
    if (!dataset.featureNames.includes(name)) throw new Error(`piecewise-linear encoding: no column "${name}" in [${dataset.featureNames.join(", ")}]`);
    if (encode.has(name)) throw new Error(`piecewise-linear encoding: column "${name}" listed twice`);
    encode.add(name);
  }
  const bins = edges.length - 1;
  const featureNames = dataset.featureNames.flatMap((name) => (encode.has(name) ? [name, ...Array.from({ length: bins }, (_, t) => pleColumnName(name, t + 1))] : [name]));
  const inWidth = dataset.featureNames.length;
  const outWidth = featureNames.length;
  const encoded = dataset.featureNames.map((name) => encode.has(name));
  const features = new Float32Array(dataset.rows * outWidth);
  for (let r = 0; r < dataset.rows; r++) {
    let o = r * outWidth;
    for (let j = 0; j < inWidth; j++) {
      const x = dataset.features[r * inWidth + j]!;
      features[o++] = x;
      if (!encoded[j]) continue;
      for (let t = 1; t <= bins; t++) {
        const lo = edges[t - 1]!;
        const hi = edges[t]!;
        // NaN stays NaN (never silently 0 or 1), so a bad input still shows up downstream.
        features[o++] = Number.isNaN(x) ? NaN : Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
      }
    }
  }
  return makeDataset(features, dataset.labels.slice(), featureNames);
}
