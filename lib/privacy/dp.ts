/**
 * Device-side differential privacy for federated rounds: DP-FedAvg (McMahan et al. 2018, "Learning Differentially
 * Private Recurrent Language Models") with the Gaussian noise split across the round's devices.
 *
 * Oracles must agree on the aggregate to the bit, so they cannot add secret noise; and under CKKS they only ever see
 * ciphertexts. Each device therefore clips its delta to L2 norm C and adds N(0, (σC)²/K) per coordinate, K being the
 * round's expected number of participants: the sum of K such updates carries N(0, σ²C²) noise, the Gaussian mechanism
 * with noise multiplier σ for a sum whose sensitivity (one device's contribution) is C. See docs/privacy.md for the
 * threat model and what this does and does not protect.
 *
 * Pure functions over typed arrays; the only effect is drawing randomness from a GaussianSource.
 */

import { l2Norm } from "../model/weights.ts";

/** The Euclidean norm the oracle's check uses (float64 accumulation in index order), re-exported for callers. */
export { l2Norm };

export interface DpConfig {
  /** C: the L2 norm each device's delta (trained − base) is clipped to. */
  clipNorm: number;
  /** σ: noise std on the round's sum, in units of C. 0 disables DP (ε = ∞). */
  noiseMultiplier: number;
  /** K: the participants the noise is split across (the policy's minimum participants). */
  expectedParticipants: number;
  /** δ of the (ε, δ) guarantee reported by the accountant. */
  delta: number;
}

function invalid(field: string, requirement: string, value: unknown): never {
  throw new Error(`invalid DP config: ${field} must be ${requirement}, got ${String(value)}`);
}

/** Returns the config unchanged if it is usable, else throws naming the offending field. */
export function validateDpConfig(config: DpConfig): DpConfig {
  const { clipNorm, noiseMultiplier, expectedParticipants, delta } = config;
  if (typeof clipNorm !== "number" || !Number.isFinite(clipNorm) || clipNorm <= 0) invalid("clipNorm", "a finite number > 0", clipNorm);
  if (typeof noiseMultiplier !== "number" || !Number.isFinite(noiseMultiplier) || noiseMultiplier < 0) invalid("noiseMultiplier", "a finite number ≥ 0", noiseMultiplier);
  if (!Number.isSafeInteger(expectedParticipants) || expectedParticipants < 1) invalid("expectedParticipants", "an integer ≥ 1", expectedParticipants);
  if (typeof delta !== "number" || !(delta > 0 && delta < 1)) invalid("delta", "a number strictly between 0 and 1", delta);
  return config;
}

/** Per-coordinate noise std each device adds: σC/√K. */
export function perDeviceNoiseStd(config: DpConfig): number {
  return (config.noiseMultiplier * config.clipNorm) / Math.sqrt(config.expectedParticipants);
}


/**
 * Scales `delta` down to L2 norm ≤ clipNorm (unchanged, but copied, if already within). The bound holds for the
 * float32 result as l2Norm measures it, not just before rounding: the sensitivity argument needs it exactly.
 * `norm` is the input's norm; `scale` the factor applied.
 */
export function clipDelta(delta: Float32Array, clipNorm: number): { clipped: Float32Array; norm: number; scale: number } {
  if (!Number.isFinite(clipNorm) || clipNorm <= 0) throw new Error(`clip norm must be a finite number > 0, got ${clipNorm}`);
  const norm = l2Norm(delta);
  if (!Number.isFinite(norm)) throw new Error(`cannot clip a delta whose norm is ${norm} (non-finite or overflowing values)`);
  if (norm <= clipNorm) return { clipped: Float32Array.from(delta), norm, scale: 1 };
  let scale = clipNorm / norm;
  const clipped = new Float32Array(delta.length);
  // Rounding each coordinate to float32 can push the norm a few ulps past C; shrink until it does not.
  for (;;) {
    for (let i = 0; i < delta.length; i++) clipped[i] = delta[i]! * scale;
    const clippedNorm = l2Norm(clipped);
    if (clippedNorm <= clipNorm) return { clipped, norm, scale };
    scale *= (clipNorm / clippedNorm) * (1 - 2 ** -20);
  }
}

/** Standard normal draws. */
export interface GaussianSource {
  next(): number;
}

const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/** Box–Muller over a source of 53-bit uniforms in [0, 1); caches the second draw of each pair. */
function boxMuller(uniform: () => number): GaussianSource {
  let spare = 0;
  let hasSpare = false;
  return {
    next() {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      // 1 − u lies in (0, 1], so the log is finite; the smallest value, 2⁻⁵³, caps |z| at about 8.57.
      const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
      const angle = 2 * Math.PI * uniform();
      spare = radius * Math.sin(angle);
      hasSpare = true;
      return radius * Math.cos(angle);
    },
  };
}

function uniform53(hi32: number, lo32: number): number {
  return ((hi32 >>> 5) * TWO_POW_26 + (lo32 >>> 6)) / TWO_POW_53;
}

/** crypto.getRandomValues fills at most 65,536 bytes per call. */
const RANDOM_WORDS = 16_384;

/**
 * Gaussian draws from the platform CSPRNG (crypto.getRandomValues). This is what devices must use: noise an
 * observer could predict or replay could be subtracted, and the guarantee would be gone.
 */
export function cryptoGaussian(): GaussianSource {
  const words = new Uint32Array(RANDOM_WORDS);
  let position = RANDOM_WORDS;
  return boxMuller(() => {
    if (position === RANDOM_WORDS) {
      globalThis.crypto.getRandomValues(words);
      position = 0;
    }
    const value = uniform53(words[position]!, words[position + 1]!);
    position += 2;
    return value;
  });
}

/**
 * Reproducible Gaussian draws (sfc32 seeded through splitmix32), FOR TESTS AND BENCHMARKS ONLY: anyone who knows
 * or guesses the seed can remove the noise, so a device using this has no privacy at all. Reproducible for a given
 * seed on a given Node/V8 version (Math.log/sin/cos are not specified to the bit across engines).
 */
export function seededGaussian(seed: number): GaussianSource {
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
  let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1);
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  const sfc32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) sfc32();
  return boxMuller(() => uniform53(sfc32(), sfc32()));
}

/**
 * What an honest device publishes: base + clip(trained − base, C) + N(0, (σC)²/K) per coordinate, rounded to
 * float32 once. Call it once per round and publish (and resend) those same bytes: a second, independently noised
 * release of the same clipped delta would average the noise down and spend privacy twice.
 * `deltaNorm` is the unclipped delta's norm; `clipped` whether clipping changed it.
 */
export function privatiseUpdate(
  base: Float32Array,
  trained: Float32Array,
  config: DpConfig,
  noise: GaussianSource,
): { weights: Float32Array; deltaNorm: number; clipped: boolean } {
  validateDpConfig(config);
  if (trained.length !== base.length) throw new Error(`trained weights have ${trained.length} parameters, the base has ${base.length}`);
  const delta = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) delta[i] = trained[i]! - base[i]!;
  const { clipped, norm, scale } = clipDelta(delta, config.clipNorm);
  const std = perDeviceNoiseStd(config);
  const weights = new Float32Array(base.length);
  if (std === 0) {
    for (let i = 0; i < base.length; i++) weights[i] = base[i]! + clipped[i]!;
  } else {
    for (let i = 0; i < base.length; i++) weights[i] = base[i]! + clipped[i]! + std * noise.next();
  }
  return { weights, deltaNorm: norm, clipped: scale !== 1 };
}

/**
 * The DP aggregate: base + (1/n) Σ_k (update_k − base). Uniform, not sample-weighted: with weights n_k/n one device's
 * influence, and so the sensitivity, would scale with its sample count. Deterministic to the bit for a given order
 * (float64 accumulation in the order given, one rounding to float32), so oracles must agree on the order (e.g. by
 * device address).
 */
export function uniformMeanUpdate(base: Float32Array, updates: readonly Float32Array[]): Float32Array {
  if (updates.length === 0) throw new Error("nothing to aggregate: no updates");
  for (const [index, update] of updates.entries()) {
    if (update.length !== base.length) throw new Error(`update ${index} has ${update.length} parameters, the base has ${base.length}`);
  }
  const sum = new Float64Array(base.length);
  for (const update of updates) {
    for (let i = 0; i < base.length; i++) sum[i] = sum[i]! + (update[i]! - base[i]!);
  }
  const count = updates.length;
  const result = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) result[i] = base[i]! + sum[i]! / count;
  return result;
}

/** ⟨clipped delta, noise⟩ ~ N(0, s²‖δ‖²): exceeds 6 standard deviations with probability ≈ 1e-9. */
const CROSS_TERM_TAIL = 6;
/** Laurent–Massart: P(χ²_d ≥ d + 2√(dx) + 2x) ≤ e^(−x); x = 20 gives ≈ 2e-9. */
const CHI_SQUARE_TAIL = 20;

/**
 * Largest L2 norm of (published − base) an honest device produces except with probability ≈ 3e-9, for the oracle's
 * norm check. ‖δ + n‖² = ‖δ‖² + 2⟨δ, n⟩ + ‖n‖² with ‖δ‖ ≤ C, each term bounded by its tail; this is never looser
 * than the triangle-inequality bound C + (σC/√K)(√d + 6) (for d ≥ 2) and much tighter once the noise dominates.
 *
 * The published weights are float32, so (published − base) differs from δ + n by rounding, up to 2⁻²⁴ of each
 * weight: pass `baseNorm` (‖base‖) to allow for it, or clipped updates can fail by a few ulps (certainly with σ = 0).
 *
 * This checks plausibility, not clipping: a device that skips the noise can publish a delta of norm up to this
 * bound, which in high dimension is ≈ σC√(d/K), far above C.
 */
export function maxPlausibleNoisedNorm(config: DpConfig, dimension: number, baseNorm = 0): number {
  validateDpConfig(config);
  if (!Number.isSafeInteger(dimension) || dimension < 1) throw new Error(`dimension must be an integer ≥ 1, got ${dimension}`);
  if (!Number.isFinite(baseNorm) || baseNorm < 0) throw new Error(`baseNorm must be a finite number ≥ 0, got ${baseNorm}`);
  const c = config.clipNorm;
  const s = perDeviceNoiseStd(config);
  const chiSquare = dimension + 2 * Math.sqrt(dimension * CHI_SQUARE_TAIL) + 2 * CHI_SQUARE_TAIL;
  const bound = Math.sqrt(c * c + 2 * CROSS_TERM_TAIL * s * c + s * s * chiSquare);
  // Float32 rounding (2⁻²⁴ relative, 2⁻¹⁴⁹ absolute for subnormals), with a factor 4 of margin for float64 error.
  const rounding = 2 ** -22 * (baseNorm + bound) + Math.sqrt(dimension) * 2 ** -147;
  return bound + rounding;
}
