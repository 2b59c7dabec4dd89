/**
 * Applies XAI-guided weights to a round's updates before any aggregation strategy: updates whose explanation
 * weight is low are excluded, and the survivors' sample counts are scaled by their weight, so FedAvg-style
 * strategies weight them accordingly while order-statistic strategies (median, trimmed mean, Krum) simply see
 * fewer suspicious inputs.
 */
import type { ClientUpdate } from "../aggregation/strategy.ts";

export interface XaiFilterOptions {
  /** Updates with a weight below this are excluded (default 0.25). */
  minWeight?: number;
  /** Never keep fewer than this many updates; the best-weighted are kept (default half, rounded up). */
  minKept?: number;
}

export function applyXaiWeights(updates: readonly ClientUpdate[], weights: readonly number[], options: XaiFilterOptions = {}): { updates: ClientUpdate[]; kept: number[] } {
  if (weights.length !== updates.length) throw new Error(`${weights.length} XAI weights for ${updates.length} updates`);
  const minWeight = options.minWeight ?? 0.25;
  const minKept = Math.min(updates.length, options.minKept ?? Math.ceil(updates.length / 2));
  const ranked = weights.map((w, k) => ({ w: Number.isFinite(w) ? w : 0, k })).sort((a, b) => b.w - a.w || a.k - b.k);
  const kept = ranked.filter((entry, rank) => entry.w >= minWeight || rank < minKept).map((entry) => entry.k).sort((a, b) => a - b);
  return {
    // A tiny floor keeps a forced-in zero-weight update from zeroing FedAvg's total.
    updates: kept.map((k) => ({ ...updates[k]!, sampleCount: updates[k]!.sampleCount * Math.max(weights[k]!, 1e-3) })),
    kept,
  };
}
