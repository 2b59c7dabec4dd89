/** Pure evaluation metrics over typed arrays. */

function requireSameLength(predictions: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (predictions.length !== labels.length) throw new Error(`${predictions.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new Error("cannot score an empty dataset");
}

export function rmse(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  requireSameLength(predictions, labels);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = predictions[i]! - labels[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum / labels.length);
}

export interface ClassificationScore {
  f1: number;
  accuracy: number;
  threshold: number;
}

/** F1 of the positive (failure) class and accuracy when P(positive) >= threshold is called positive. */
export function classificationScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ClassificationScore {
  requireSameLength(probabilities, labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = probabilities[i]! >= threshold;
    const actual = labels[i]! >= 0.5;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    if (predicted === actual) correct++;
  }
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { f1, accuracy: correct / labels.length, threshold };
}

/** The threshold in a fixed grid (0.05..0.95) with the best F1; ties go to the threshold nearest 0.5. */
export function bestThreshold(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let best = { f1: -1, threshold: 0.5 };
  const grid = Array.from({ length: 19 }, (_, i) => Math.round((0.05 + 0.05 * i) * 100) / 100).sort((a, b) => Math.abs(a - 0.5) - Math.abs(b - 0.5));
  for (const threshold of grid) {
    const { f1 } = classificationScore(probabilities, labels, threshold);
    if (f1 > best.f1) best = { f1, threshold };
  }
  return best.threshold;
}

/** Mean binary cross-entropy, with probabilities clipped away from 0 and 1. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  requireSameLength(probabilities, labels);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i]!));
    sum -= labels[i]! >= 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}
