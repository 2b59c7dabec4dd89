/** The XAI report an oracle publishes with each proposed model (JSON, stored by CID). */
import type { LayersModel } from "@tensorflow/tfjs";
import { subset, type Dataset, type TaskKind } from "../../lib/data/dataset.ts";
import type { TfModule } from "../../lib/model/tf.ts";
import { predict } from "../../lib/model/train.ts";
import { featureGroups } from "../../lib/data/piecewise-linear.ts";
import { gradientTimesInput, lossOf, permutationImportance } from "./importance.ts";

export interface XaiReport {
  featureNames: string[];
  permutationImportance: number[];
  gradientTimesInput: number[];
  /** The loss permutation importance is measured in, and its value on the rows used. */
  metric: { name: "rmse" | "logloss"; value: number };
  rows: number;
  version: 1;
}

export interface XaiReportOptions {
  seed: number;
  repeats?: number;
  /** Evaluate on at most this many rows (an evenly spaced, deterministic subset); default 2000. */
  maxRows?: number;
}

/** Evenly spaced rows, so the same data always yields the same subset (no randomness needed). */
export function evenlySpacedRows(data: Dataset, maxRows: number): Dataset {
  if (data.rows <= maxRows) return data;
  return subset(data, Array.from({ length: maxRows }, (_, i) => Math.floor((i * data.rows) / maxRows)));
}

export function xaiReport(tf: TfModule, model: LayersModel, data: Dataset, kind: TaskKind, options: XaiReportOptions): XaiReport {
  const rows = evenlySpacedRows(data, options.maxRows ?? 2000);
  const round = (values: number[]) => values.map((x) => Number(x.toPrecision(6)));
  return {
    featureNames: featureGroups(rows.featureNames).map((group) => group.name),
    permutationImportance: round(permutationImportance(tf, model, rows, kind, { seed: options.seed, repeats: options.repeats ?? 1 })),
    gradientTimesInput: round(gradientTimesInput(tf, model, rows)),
    metric: { name: kind === "regression" ? "rmse" : "logloss", value: Number(lossOf(kind, predict(tf, model, rows), rows.labels).toPrecision(6)) },
    rows: rows.rows,
    version: 1,
  };
}
