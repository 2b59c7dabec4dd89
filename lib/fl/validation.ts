import type { LayersModel } from "@tensorflow/tfjs";
import { subset, type Dataset, type TaskKind } from "../data/dataset.ts";
import type { TfModule } from "../model/tf.ts";
import { logLoss } from "../model/metrics.ts";
import { evaluate, predict, tuneThreshold } from "../model/train.ts";

/** The name of the metric a task's on-chain policy judges: RMSE for regression, log-loss for classification. */
export const policyMetricOf = (kind: TaskKind): "rmse" | "logloss" => (kind === "regression" ? "rmse" : "logloss");

/**
 * The metric an oracle records for a model (both lower-is-better): RMSE for regression; validation log-loss for
 * classification. F1 of a rare failure class jumps about in early rounds (a model first learns "no failure"), so a
 * policy on F1 would reject every early version and the base would never move; log-loss falls as the model learns.
 * Failure F1 is reported too, at a decision threshold tuned on one half of the held-out rows (even rows) and measured
 * on the other half (odd rows).
 */
export function validationMetric(tf: TfModule, model: LayersModel, validation: Dataset, kind: TaskKind): { metric: number; f1?: number; threshold?: number } {
  if (kind === "regression") {
    const evaluation = evaluate(tf, model, validation, kind);
    if (!("rmse" in evaluation)) throw new Error("a regression evaluation without RMSE");
    return { metric: evaluation.rmse };
  }
  const rows = Array.from({ length: validation.rows }, (_, i) => i);
  const tuning = subset(validation, rows.filter((i) => i % 2 === 0));
  const scoring = subset(validation, rows.filter((i) => i % 2 === 1));
  const threshold = tuneThreshold(tf, model, tuning);
  const evaluation = evaluate(tf, model, scoring, kind, { threshold });
  if (!("f1" in evaluation)) throw new Error("a classification evaluation without F1");
  return { metric: logLoss(predict(tf, model, validation), validation.labels), f1: evaluation.f1, threshold };
}
