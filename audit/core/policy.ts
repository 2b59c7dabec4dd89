/**
 * The acceptance policy, as the chain applies it: rebuilt from TaskCreated/PolicyUpdated logs (the policy in
 * force at any point of the history) and evaluated exactly as contracts/libraries/ValidationPolicy.sol does.
 * Pure: no I/O.
 */
import type { Hex } from "viem";
import { isBefore, type LogPosition } from "../../lib/chain/logs.ts";
import { verdictName } from "../../lib/chain/status.ts";
import type { LogPlace } from "../../lib/provenance/history.ts";

export interface Policy {
  metricId: Hex;
  higherIsBetter: boolean;
  threshold: bigint;
  minImprovement: bigint;
  minParticipants: number;
  quorum: number;
  /** Updates are CKKS ciphertexts; a version's weights must be the key holder's recorded decryption. */
  encryptedAggregation: boolean;
  /** Differential privacy's clip norm (1e6-scaled; 0 = off): under DP the aggregate is the uniform mean. */
  dpClipNorm: number;
}

export interface PolicyRecord {
  taskId: Hex;
  policy: Policy;
  place: LogPlace;
}

/** ValidationPolicy.Verdict. */
export const Verdict = { Accepted: 0, ThresholdNotMet: 1, InsufficientImprovement: 2, TooFewParticipants: 3 } as const;

export function verdictText(verdict: number): string {
  return verdictName[verdict] ?? `verdict ${verdict}`;
}

/**
 * ValidationPolicy.evaluate: participants first, then the absolute threshold, then the improvement over the deployed
 * metric, in the metric's direction (so the verdict names the most basic failure, as the contract's does).
 */
export function evaluatePolicy(policy: Policy, candidateMetric: bigint, deployedMetric: bigint, participants: bigint | number): number {
  if (BigInt(participants) < BigInt(policy.minParticipants)) return Verdict.TooFewParticipants;
  if (policy.higherIsBetter) {
    if (candidateMetric < policy.threshold) return Verdict.ThresholdNotMet;
    if (candidateMetric - deployedMetric < policy.minImprovement) return Verdict.InsufficientImprovement;
  } else {
    if (candidateMetric > policy.threshold) return Verdict.ThresholdNotMet;
    if (deployedMetric - candidateMetric < policy.minImprovement) return Verdict.InsufficientImprovement;
  }
  return Verdict.Accepted;
}

/** The policy in force just before `at`: the last PolicyUpdated (createTask emits one) of the task before it. */
export function policyAt(records: readonly PolicyRecord[], at: LogPosition): PolicyRecord | undefined {
  let found: PolicyRecord | undefined;
  for (const record of records) {
    if (!isBefore(record.place, at)) continue;
    if (!found || isBefore(found.place, { blockNumber: record.place.blockNumber, logIndex: record.place.logIndex })) found = record;
  }
  return found;
}

/** One line describing why a candidate passes or fails, with the numbers (metrics are 1e6-scaled integers). */
export function explainVerdict(policy: Policy, candidateMetric: bigint, deployedMetric: bigint, participants: bigint | number): string {
  const direction = policy.higherIsBetter ? "≥" : "≤";
  const improvement = policy.higherIsBetter ? candidateMetric - deployedMetric : deployedMetric - candidateMetric;
  return `participants ${participants} (min ${policy.minParticipants}), metric ${candidateMetric} ${direction} threshold ${policy.threshold}, improvement ${improvement} over ${deployedMetric} (min ${policy.minImprovement})`;
}
