/**
 * Pure functions for XAI-guided weighting: an update whose explanation (feature importance vector) disagrees
 * with the consensus of the round is suspicious, whatever its weights look like coordinate by coordinate.
 */

/** Cosine similarity in [-1, 1]; 1 when both vectors are zero (they agree there is nothing), 0 when only one is. */
export function importanceAgreement(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`importance vectors differ in length: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) return 0;
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/** Coordinate-wise median of importance vectors: the round's consensus explanation, robust to a minority. */
export function medianImportance(importances: readonly (readonly number[])[]): number[] {
  if (importances.length === 0) throw new Error("no importance vectors");
  const width = importances[0]!.length;
  return Array.from({ length: width }, (_, j) => {
    const column = importances.map((v) => {
      if (v.length !== width) throw new Error("importance vectors differ in length");
      return v[j]!;
    });
    column.sort((x, y) => x - y);
    const mid = column.length >> 1;
    return column.length % 2 === 1 ? column[mid]! : (column[mid - 1]! + column[mid]!) / 2;
  });
}

const l1 = (v: readonly number[]) => v.reduce((s, x) => s + Math.abs(x), 0);

export interface XaiWeightOptions {
  /** Exponent on the clipped cosine: higher punishes partial disagreement harder (default 2). */
  sharpness?: number;
}

/**
 * One weight in [0, 1] per update: (max(0, cos(imp_k, median)))^sharpness × min(ρ, 1/ρ), where ρ is the ratio
 * of the update's L1 importance mass to the median's. Direction catches models that rely on the wrong
 * features (or on the right ones with inverted sign, as label flipping does); the mass ratio catches models
 * whose loss reacts far more (or less) strongly to the features than the consensus, as scaled updates do.
 */
export function xaiGuidedWeights(importances: readonly (readonly number[])[], options: XaiWeightOptions = {}): number[] {
  const sharpness = options.sharpness ?? 2;
  const consensus = medianImportance(importances);
  const consensusMass = l1(consensus);
  return importances.map((v) => {
    const direction = Math.pow(Math.max(0, importanceAgreement(v, consensus)), sharpness);
    const mass = l1(v);
    const ratio = consensusMass === 0 && mass === 0 ? 1 : consensusMass === 0 || mass === 0 ? 0 : mass / consensusMass;
    const weight = direction * Math.min(ratio, 1 / ratio);
    return Number.isFinite(weight) ? weight : 0;
  });
}
