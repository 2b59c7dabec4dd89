/**
 * Task policies as the ModelRegistry takes them. The privacy options live in the policy so that every party reads
 * the same rules from the chain: devices (encrypt? clip and noise?), oracles (aggregate ciphertexts?), the key holder
 * (decrypt for this task?) and auditors.
 */
import type { AbiParameterToPrimitiveType, ExtractAbiFunction } from "abitype";
import type { modelRegistryAbi } from "./abis.generated.ts";

export type TaskPolicy = AbiParameterToPrimitiveType<ExtractAbiFunction<typeof modelRegistryAbi, "setPolicy">["inputs"][1]>;

export interface PrivacyOptions {
  encryptedAggregation: boolean;
  /** L2 clip norm of a device's update delta, scaled by 1e6 (0 = no differential privacy). */
  dpClipNorm: number;
  /** Gaussian noise multiplier sigma, scaled by 1e6 (0 = no noise). */
  dpNoiseMultiplier: number;
}

/** Plaintext updates, no differential privacy. */
export const noPrivacy: PrivacyOptions = { encryptedAggregation: false, dpClipNorm: 0, dpNoiseMultiplier: 0 };

/** On-chain fixed point (1e6) from a real number, for dpClipNorm and dpNoiseMultiplier. */
export function privacyScaled(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${what} must be a finite number >= 0, got ${value}`);
  const scaled = Math.round(value * 1e6);
  if (scaled > 0xffff_ffff) throw new Error(`${what} ${value} does not fit the policy's uint32 (max ${0xffff_ffff / 1e6})`);
  return scaled;
}

/**
 * δ of every task's (ε, δ) guarantee. Not on chain: it is a reporting convention, well below 1/n for any
 * consortium's device count, and fixing it keeps ε comparable across tasks and rounds.
 */
export const DP_DELTA = 1e-5;

/** A task's privacy settings in real units, as devices, oracles and the key holder apply them. */
export interface TaskPrivacy {
  encryptedAggregation: boolean;
  /** Present when the policy asks for clipping (with or without noise). */
  dp: { clipNorm: number; noiseMultiplier: number; expectedParticipants: number; delta: number } | undefined;
}

export function privacyOf(policy: Pick<TaskPolicy, "encryptedAggregation" | "dpClipNorm" | "dpNoiseMultiplier" | "minParticipants">): TaskPrivacy {
  return {
    encryptedAggregation: policy.encryptedAggregation,
    dp: policy.dpClipNorm > 0
      ? { clipNorm: policy.dpClipNorm / 1e6, noiseMultiplier: policy.dpNoiseMultiplier / 1e6, expectedParticipants: Math.max(1, policy.minParticipants), delta: DP_DELTA }
      : undefined,
  };
}
