/**
 * Local training and evaluation. Every call compiles a fresh optimiser (the spec's: Adam unless it says momentum) and
 * disposes it afterwards, since a federated round starts from the global weights, not from another device's optimiser
 * state. Data order comes from a seeded permutation per epoch instead of tfjs's Math.random shuffle, so a run is
 * reproducible.
 */
import type { LayersModel, Tensor } from "@tensorflow/tfjs";
import { mulberry32, permutation, type Dataset, type TaskKind } from "../data/dataset.ts";
import { bestThreshold, classificationScore, rmse, type ClassificationScore } from "./metrics.ts";
import { specOf } from "./model.ts";
import type { ModelOptimizer } from "./spec.ts";
import type { TfModule } from "./tf.ts";

/** Momentum coefficient of the "momentum" optimiser (the usual 0.9). */
const MOMENTUM = 0.9;

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Defaults to the model's spec (buildModel) or 1e-3. */
  learningRate?: number;
  /** Defaults to the model's spec, else inferred from the output activation (sigmoid = classification). */
  kind?: TaskKind;
  /**
   * Classification only: the loss weight of a failure (label 1) row relative to a healthy one (default 1). A rare
   * failure class (AI4I: ~3.4%) otherwise contributes too little gradient for the network to carve out its regions.
   */
  positiveWeight?: number;
  /** Defaults to the model's spec, else Adam. */
  optimizer?: ModelOptimizer;
}

export function modelKind(model: LayersModel): TaskKind {
  const spec = specOf(model);
  if (spec) return spec.kind;
  const last = model.layers[model.layers.length - 1];
  const activation = last?.getConfig()["activation"];
  return activation === "sigmoid" ? "classification" : "regression";
}

function requireRows(data: Dataset, model: LayersModel): void {
  const inputShape = model.inputs[0]?.shape;
  const width = inputShape?.[1];
  if (typeof width === "number" && width !== data.featureNames.length) throw new Error(`model expects ${width} features, data has ${data.featureNames.length}`);
  if (data.features.length !== data.rows * data.featureNames.length || data.labels.length !== data.rows) throw new Error("dataset arrays do not match its row count");
}

export async function trainLocal(tf: TfModule, model: LayersModel, data: Dataset, options: TrainOptions): Promise<{ loss: number }> {
  requireRows(data, model);
  if (data.rows === 0) throw new Error("cannot train on an empty dataset");
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new Error(`epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
  const kind = options.kind ?? modelKind(model);
  const positiveWeight = options.positiveWeight ?? 1;
  if (!(positiveWeight > 0 && Number.isFinite(positiveWeight))) throw new Error(`positiveWeight must be positive, got ${positiveWeight}`);
  if (positiveWeight !== 1 && kind !== "classification") throw new Error("positiveWeight applies to classification only");
  const learningRate = options.learningRate ?? specOf(model)?.learningRate ?? 1e-3;
  const optimizer = (options.optimizer ?? specOf(model)?.optimizer ?? "adam") === "momentum" ? tf.train.momentum(learningRate, MOMENTUM) : tf.train.adam(learningRate);
  model.compile({ optimizer, loss: kind === "regression" ? "meanSquaredError" : "binaryCrossentropy" });
  const width = data.featureNames.length;
  const x = tf.tensor2d(data.features.slice(), [data.rows, width]);
  const y = tf.tensor2d(data.labels.slice(), [data.rows, 1]);
  const random = mulberry32(options.seed);
  let loss = NaN;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = tf.tensor1d(Int32Array.from(permutation(data.rows, random)), "int32");
      const xs = tf.gather(x, order);
      const ys = tf.gather(y, order);
      order.dispose();
      try {
        const history = await model.fit(xs, ys, { epochs: 1, batchSize: options.batchSize, shuffle: false, verbose: 0, ...(positiveWeight !== 1 ? { classWeight: { 0: 1, 1: positiveWeight } } : {}) });
        loss = Number(history.history["loss"]?.[0]);
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
  } finally {
    x.dispose();
    y.dispose();
    optimizer.dispose();
  }
  return { loss };
}

/** Model outputs for every row (RUL, or P(failure)), computed in chunks to bound memory. */
export function predict(tf: TfModule, model: LayersModel, data: Dataset): Float32Array {
  requireRows(data, model);
  const width = data.featureNames.length;
  const out = new Float32Array(data.rows);
  const chunk = 8192;
  for (let start = 0; start < data.rows; start += chunk) {
    const end = Math.min(data.rows, start + chunk);
    const values = tf.tidy(() => {
      const input = tf.tensor2d(data.features.slice(start * width, end * width), [end - start, width]);
      // predict() defaults to batches of 32, which makes inference ~50× slower than one call per chunk.
      return (model.predict(input, { batchSize: end - start }) as Tensor).dataSync();
    });
    out.set(values, start);
  }
  return out;
}

export type Evaluation = { rmse: number } | ClassificationScore;

/**
 * RMSE for regression; for classification F1 of the failure class and accuracy at `threshold` (default 0.5;
 * tune it with tuneThreshold on validation data, then pass it here for test data).
 */
export function evaluate(tf: TfModule, model: LayersModel, data: Dataset, kind: TaskKind, options: { threshold?: number } = {}): Evaluation {
  const predictions = predict(tf, model, data);
  if (kind === "regression") return { rmse: rmse(predictions, data.labels) };
  return classificationScore(predictions, data.labels, options.threshold ?? 0.5);
}

/** The decision threshold with the best F1 on (validation) data. */
export function tuneThreshold(tf: TfModule, model: LayersModel, validation: Dataset): number {
  return bestThreshold(predict(tf, model, validation), validation.labels);
}
