/**
 * Builds the shared MLP and moves its weights to and from one flat Float32Array (the unit that is hashed,
 * aggregated and stored). The flat order is model.getWeights() order: per layer kernel then bias.
 */
import * as tfjs from "@tensorflow/tfjs";
import type { LayersModel } from "@tensorflow/tfjs";
import { deriveSeed } from "../data/dataset.ts";
import { validateSpec, type ModelSpec } from "./spec.ts";
import type { TfModule } from "./tf.ts";

const specs = new WeakMap<LayersModel, ModelSpec>();

/** The spec a model was built with, if it was built by buildModel (deserialised models have none). */
export function specOf(model: LayersModel): ModelSpec | undefined {
  return specs.get(model);
}

/** Same spec and seed, same initial weights, bit for bit: every party can rebuild the round-0 model. */
export function buildModel(tf: TfModule, spec: ModelSpec, seed: number): LayersModel {
  validateSpec(spec);
  // Fixed names (instead of tfjs's global counters) keep model.json identical across processes, so the same
  // weights always serialise to the same bytes and CID.
  const model = tf.sequential({ name: "twinledger_mlp" });
  const sizes = [...spec.hidden, spec.outputSize];
  sizes.forEach((units, index) => {
    const last = index === sizes.length - 1;
    model.add(
      tf.layers.dense({
        units,
        name: `dense_${index}`,
        ...(index === 0 ? { inputShape: [spec.inputSize] } : {}),
        activation: last ? (spec.kind === "classification" ? "sigmoid" : "linear") : "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed >>> 0, index) }),
        biasInitializer: last && spec.outputBias ? tf.initializers.constant({ value: spec.outputBias }) : "zeros",
      }),
    );
  });
  specs.set(model, { ...spec, hidden: [...spec.hidden] });
  return model;
}

export function parameterCount(model: LayersModel): number {
  return model.getWeights().reduce((sum, w) => sum + w.size, 0);
}

export function flattenWeights(model: LayersModel): Float32Array {
  // getWeights() hands back the live variables: read them, never dispose them.
  const weights = model.getWeights();
  const flat = new Float32Array(weights.reduce((sum, w) => sum + w.size, 0));
  let offset = 0;
  for (const w of weights) {
    flat.set(w.dataSync() as Float32Array, offset);
    offset += w.size;
  }
  return flat;
}

export function setFlatWeights(model: LayersModel, flat: Float32Array): void {
  const current = model.getWeights();
  const expected = current.reduce((sum, w) => sum + w.size, 0);
  if (flat.length !== expected) throw new Error(`weight vector has ${flat.length} values, the model has ${expected} parameters`);
  let offset = 0;
  const tensors = current.map((w) => {
    // A copy, not a subarray: some backends keep a reference to the array they are given.
    const tensor = tfjs.tensor(flat.slice(offset, offset + w.size), w.shape, "float32");
    offset += w.size;
    return tensor;
  });
  try {
    model.setWeights(tensors);
  } finally {
    for (const t of tensors) t.dispose();
  }
}
