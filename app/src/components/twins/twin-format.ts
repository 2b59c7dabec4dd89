/** Words and numbers of the Twins page: anomalies, predictions and model versions as a person reads them. */
import type { Anomaly, ModelRef, Prediction } from "../../../../twin/records.ts";
import type { LineSeries } from "../charts/LineChart";

const number = (value: number, digits = 2) => (Number.isInteger(value) ? String(value) : value.toFixed(digits));

export function formatRul(rul: number | null): string {
  return rul === null ? "—" : `${rul.toFixed(1)} cycles`;
}

export function modelLabel(model: ModelRef | null): string {
  return model === null ? "none yet" : `v${model.versionId}`;
}

/** Local wall-clock time of a Unix-ms timestamp, with milliseconds (readings are 50 ms apart). */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export const anomalyKindWords: Record<Anomaly["kind"], string> = {
  bounds: "out of bounds",
  residual: "residual",
  drift: "drift",
};

/** What the detector saw, with its numbers: the bounds, or the expectation and the score against its threshold. */
export function describeAnomaly(anomaly: Anomaly): string {
  const value = `${number(anomaly.value, 3)} ${anomaly.unit}`.trim();
  switch (anomaly.kind) {
    case "bounds":
      return `${value} outside the operating bounds [${anomaly.min}, ${anomaly.max}]`;
    case "residual":
      return `${value}, expected ${number(anomaly.expected, 3)}: z-score ${number(anomaly.zScore)} ≥ ${anomaly.threshold}`;
    case "drift":
      return `${value}, expected ${number(anomaly.expected, 3)}: CUSUM ${number(anomaly.driftScore)} ≥ ${anomaly.threshold}`;
  }
}

/** Newest first, as the page lists them (the API returns the oldest first). */
export function newestFirst<T extends { timestamp: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => b.timestamp - a.timestamp);
}

/**
 * Predicted RUL over time, one series per model version (so a switch of version shows as a new line), x in
 * minutes before the newest prediction.
 */
export function rulSeries(predictions: readonly Prediction[]): LineSeries[] {
  if (predictions.length === 0) return [];
  const newest = Math.max(...predictions.map((prediction) => prediction.timestamp));
  const byVersion = new Map<number, Map<number, { x: number; y: number }>>();
  for (const prediction of [...predictions].sort((a, b) => a.timestamp - b.timestamp)) {
    const points = byVersion.get(prediction.model.versionId) ?? new Map<number, { x: number; y: number }>();
    const x = (prediction.timestamp - newest) / 60_000;
    // The chart keys points by x: one point per instant and version.
    points.set(x, { x, y: prediction.rul });
    byVersion.set(prediction.model.versionId, points);
  }
  return [...byVersion.entries()].sort(([a], [b]) => a - b).map(([versionId, points]) => ({ name: `model v${versionId}`, points: [...points.values()] }));
}
