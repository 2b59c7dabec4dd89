import type { Address } from "viem";
import { compareAddresses } from "./addresses.ts";

/** One device's entry in Reputation.applyRoundChanges. */
export interface ScoreChange {
  deviceAccount: Address;
  delta: number;
  reason: number;
}

/** The organisation id in a word of DeviceRegistry.scoringRecords (its low 32 bits). */
export function organisationOfScoringRecord(record: bigint): number {
  return Number(record & 0xffff_ffffn);
}

/** A device's score from its word of DeviceRegistry.scoringRecords: bits 32-47, or the start score if never scored (bit 48). */
export function deviceScoreOfScoringRecord(record: bigint, startScore: number): number {
  return (record >> 48n) & 1n ? Number((record >> 32n) & 0xffffn) : startScore;
}

/**
 * A round's changes in the order applyRoundChanges takes them: by organisation, then by device address, so that each
 * organisation's changes form one run and no device can appear twice.
 */
export function orderScoreChanges<T extends ScoreChange>(changes: readonly T[], organisationOf: (deviceAccount: Address) => number): T[] {
  return [...changes].sort((a, b) => organisationOf(a.deviceAccount) - organisationOf(b.deviceAccount) || compareAddresses(a.deviceAccount, b.deviceAccount));
}
