/** The network shape shared by devices and oracles: everyone builds the same architecture from the same spec. */
import type { FederatedData, TaskKind } from "../data/dataset.ts";

export interface ModelSpec {
  kind: TaskKind;
  inputSize: number;
  hidden: number[];
  outputSize: number;
  learningRate: number;
  /**
   * Initial output bias (default 0). For RUL regression, starting at the typical label saves the many early
   * steps a zero-initialised net spends just growing its output to ~100 cycles; with many small devices
   * (few local steps per round) that otherwise dominates federated training.
   */
  outputBias?: number;
  /**
   * Local optimiser (default "adam"). "momentum" is SGD with (classical) momentum 0.9. Every round compiles a
   * fresh optimiser, so Adam's per-weight step normalisation restarts from zero state on every device each round
   * and its first steps are full-size in every direction; with many small devices that noise survives averaging.
   * Momentum SGD steps scale with the gradient, so device updates average into a step of the pooled gradient.
   * Part of the spec because devices and oracles must agree on how a round trains.
   */
  optimizer?: ModelOptimizer;
}

export const MODEL_OPTIMIZERS = ["adam", "momentum"] as const;
export type ModelOptimizer = (typeof MODEL_OPTIMIZERS)[number];

export function defaultSpec(data: FederatedData): ModelSpec {
  return {
    kind: data.kind,
    inputSize: data.featureNames.length,
    hidden: [64, 32],
    // One linear output for RUL regression; one sigmoid output (P(failure)) for binary classification.
    outputSize: 1,
    learningRate: data.kind === "regression" ? 2e-3 : 1e-3,
    ...(data.kind === "regression" ? { outputBias: meanDeviceLabel(data) } : {}),
  };
}

/** Mean label over all device partitions, rounded so every party derives the identical value. */
export function meanDeviceLabel(data: FederatedData): number {
  let sum = 0;
  let rows = 0;
  for (const device of data.devices) {
    for (const label of device.labels) sum += label;
    rows += device.rows;
  }
  return rows === 0 ? 0 : Math.round((sum / rows) * 100) / 100;
}

export function validateSpec(spec: ModelSpec): ModelSpec {
  const positiveInt = (name: string, x: number) => {
    if (!Number.isInteger(x) || x < 1) throw new Error(`ModelSpec.${name} must be a positive integer, got ${x}`);
  };
  if (spec.kind !== "regression" && spec.kind !== "classification") throw new Error(`ModelSpec.kind must be regression or classification, got ${String(spec.kind)}`);
  positiveInt("inputSize", spec.inputSize);
  positiveInt("outputSize", spec.outputSize);
  spec.hidden.forEach((h, i) => positiveInt(`hidden[${i}]`, h));
  if (spec.outputBias !== undefined && !Number.isFinite(spec.outputBias)) throw new Error(`ModelSpec.outputBias must be finite, got ${spec.outputBias}`);
  if (spec.optimizer !== undefined && !MODEL_OPTIMIZERS.includes(spec.optimizer)) throw new Error(`ModelSpec.optimizer must be ${MODEL_OPTIMIZERS.join(" or ")}, got ${String(spec.optimizer)}`);
  if (!(spec.learningRate > 0 && Number.isFinite(spec.learningRate))) throw new Error(`ModelSpec.learningRate must be positive, got ${spec.learningRate}`);
  return spec;
}
