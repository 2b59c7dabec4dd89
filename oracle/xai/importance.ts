/**
 * Model-agnostic feature attributions used by the oracles. They run the model but do no I/O, and every random
 * choice comes from the seed, so two oracles computing the report for the same model get the same numbers.
 */
import type { LayersModel, Tensor, Tensor2D } from "@tensorflow/tfjs";
import { mulberry32, permutation, type Dataset, type TaskKind } from "../../lib/data/dataset.ts";
import { featureGroups } from "../../lib/data/piecewise-linear.ts";
import { logLoss, rmse } from "../../lib/model/metrics.ts";
import type { TfModule } from "../../lib/model/tf.ts";
import { predict } from "../../lib/model/train.ts";

export interface PermutationOptions {
  seed: number;
  /** Shuffles per feature, averaged (default 1). */
  repeats?: number;
}

/** The loss the importance is measured in: RMSE for regression, log-loss for classification (smoother than F1 on few failures). */
export function lossOf(kind: TaskKind, predictions: Float32Array, labels: Float32Array): number {
  return kind === "regression" ? rmse(predictions, labels) : logLoss(predictions, labels);
}

/**
 * Permutation importance (Breiman 2001): how much the loss grows when one feature is shuffled, breaking its link
 * with the label. One value per feature (featureGroups: a feature's encoded columns are shuffled together, with one
 * row order); near 0 for unused features, negative if shuffling helps.
 */
export function permutationImportance(tf: TfModule, model: LayersModel, data: Dataset, kind: TaskKind, options: PermutationOptions): number[] {
  const repeats = options.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive integer, got ${repeats}`);
  if (data.rows < 2) throw new Error("permutation importance needs at least 2 rows");
  const width = data.featureNames.length;
  const groups = featureGroups(data.featureNames);
  const baseline = lossOf(kind, predict(tf, model, data), data.labels);
  const random = mulberry32(options.seed);
  const totals = new Float64Array(groups.length);
  // Several shuffled copies go through the model in one predict call; far cheaper than one call per feature.
  const featuresPerBatch = Math.max(1, Math.min(groups.length, Math.floor(65536 / data.rows)));
  for (let r = 0; r < repeats; r++) {
    for (let first = 0; first < groups.length; first += featuresPerBatch) {
      const count = Math.min(featuresPerBatch, groups.length - first);
      const batch = new Float32Array(count * data.features.length);
      for (let k = 0; k < count; k++) {
        const copy = batch.subarray(k * data.features.length, (k + 1) * data.features.length);
        copy.set(data.features);
        const order = permutation(data.rows, random);
        for (const j of groups[first + k]!.columns) {
          for (let row = 0; row < data.rows; row++) copy[row * width + j] = data.features[order[row]! * width + j]!;
        }
      }
      const predictions = predict(tf, model, { features: batch, labels: new Float32Array(count * data.rows), rows: count * data.rows, featureNames: data.featureNames });
      for (let k = 0; k < count; k++) {
        totals[first + k]! += lossOf(kind, predictions.subarray(k * data.rows, (k + 1) * data.rows), data.labels) - baseline;
      }
    }
  }
  return Array.from(totals, (t) => t / repeats);
}

/**
 * Gradient × input (Shrikumar et al. 2016): mean over rows of |∂output/∂x_j · x_j|, per feature; a feature encoded
 * in several columns (featureGroups) gets the sum over its columns.
 */
export function gradientTimesInput(tf: TfModule, model: LayersModel, data: Dataset): number[] {
  return gradientAttribution(tf, model, data, true);
}

/** Like gradientTimesInput but signed (mean of ∂output/∂x_j · x_j): it shows the direction a feature pushes the output. */
export function signedGradientTimesInput(tf: TfModule, model: LayersModel, data: Dataset): number[] {
  return gradientAttribution(tf, model, data, false);
}

function gradientAttribution(tf: TfModule, model: LayersModel, data: Dataset, absolute: boolean): number[] {
  const width = data.featureNames.length;
  if (data.rows === 0) throw new Error("gradient × input needs at least one row");
  const sums = new Float64Array(width);
  const chunk = 4096;
  const gradient = tf.grad((x: Tensor) => (model.apply(x) as Tensor).sum());
  for (let start = 0; start < data.rows; start += chunk) {
    const end = Math.min(data.rows, start + chunk);
    const values = tf.tidy(() => {
      const x: Tensor2D = tf.tensor2d(data.features.slice(start * width, end * width), [end - start, width]);
      const product = gradient(x).mul(x);
      return (absolute ? product.abs() : product).sum(0).dataSync();
    });
    for (let j = 0; j < width; j++) sums[j]! += values[j]!;
  }
  return featureGroups(data.featureNames).map((group) => group.columns.reduce((total, j) => total + sums[j]!, 0) / data.rows);
}
