/**
 * Reputation as the Reputation contract's events tell it: every ScoreChanged (subject 0 = a device, its id the
 * device address in the low 20 bytes, with the reason for its change; subject 1 = an organisation, its id the
 * organisation id, once per round with its net change), joined with the registry's events for names. Subjects
 * never scored read as the start score, as on chain. Pure, so it is tested without a chain.
 */
import { getAddress, type Address, type Hex } from "viem";
import type { EventOf } from "@/lib/chain-log";
import { bytes32Label } from "@/lib/event-words";
import { scoreOutcome, type ScoreOutcome } from "../rounds/rejection-reasons";

type ReputationEventName = "ScoreChanged" | "DeviceRegistered" | "DeviceStatusChanged" | "MembershipRequested" | "AssetRegistered";
export type ReputationEvent = { [name in ReputationEventName]: Pick<EventOf<name>, "eventName" | "args" | "blockNumber"> }[ReputationEventName];
export const reputationEventNames = ["ScoreChanged", "DeviceRegistered", "DeviceStatusChanged", "MembershipRequested", "AssetRegistered"] as const satisfies readonly ReputationEventName[];

export const SUBJECT_DEVICE = 0;
export const SUBJECT_ORGANISATION = 1;

export function deviceOfSubject(subjectId: Hex): Address {
  return getAddress(`0x${subjectId.slice(-40)}`);
}

export function organisationOfSubject(subjectId: Hex): number {
  return Number(BigInt(subjectId));
}

export interface ScorePoint {
  roundId: bigint;
  /** The score once the round's changes were applied. */
  score: number;
}

export interface SubjectRecord {
  kind: "device" | "organisation";
  /** Stable key for tables and selection: `device:<address>` or `organisation:<id>`. */
  key: string;
  label: string;
  organisationId: number | undefined;
  organisationName: string | undefined;
  /** Asset the device is attached to (devices only). */
  assetLabel: string | undefined;
  score: number;
  history: ScorePoint[];
  counts: Record<ScoreOutcome, number>;
  /** The change the last scored round made. */
  lastChange: number | undefined;
  lastRound: bigint | undefined;
  /** A device the Reputation contract suspended and that is still suspended. */
  suspendedByReputation: boolean;
}

const emptyCounts = (): Record<ScoreOutcome, number> => ({ accepted: 0, rejected: 0, outlier: 0, other: 0 });

export function deriveReputation(events: readonly ReputationEvent[], startScore: number): SubjectRecord[] {
  const organisationNames = new Map<number, string>();
  const assetLabels = new Map<bigint, string>();
  const subjects = new Map<string, SubjectRecord>();
  const firstScoreInRound = new Map<string, { roundId: bigint; previous: number }>();
  const subject = (kind: SubjectRecord["kind"], key: string, label: string, organisationId: number | undefined): SubjectRecord => {
    let record = subjects.get(key);
    if (!record) {
      record = { kind, key, label, organisationId, organisationName: undefined, assetLabel: undefined, score: startScore, history: [], counts: emptyCounts(), lastChange: undefined, lastRound: undefined, suspendedByReputation: false };
      subjects.set(key, record);
    }
    return record;
  };
  for (const event of events) {
    switch (event.eventName) {
      case "MembershipRequested":
        organisationNames.set(event.args.organisationId, event.args.name);
        subject("organisation", `organisation:${event.args.organisationId}`, event.args.name, event.args.organisationId).label = event.args.name;
        break;
      case "AssetRegistered":
        assetLabels.set(event.args.assetId, bytes32Label(event.args.label));
        break;
      case "DeviceRegistered": {
        const device = getAddress(event.args.deviceAccount);
        const record = subject("device", `device:${device.toLowerCase()}`, device, event.args.organisationId);
        record.organisationId = event.args.organisationId;
        record.assetLabel = assetLabels.get(event.args.assetId);
        break;
      }
      case "DeviceStatusChanged": {
        const record = subjects.get(`device:${event.args.deviceAccount.toLowerCase()}`);
        if (record) record.suspendedByReputation = event.args.status === 2 && event.args.byReputation;
        break;
      }
      case "ScoreChanged": {
        const { subject: kind, subjectId, roundId, previous, score, reason } = event.args;
        let record: SubjectRecord;
        if (kind === SUBJECT_DEVICE) {
          const device = deviceOfSubject(subjectId);
          record = subject("device", `device:${device.toLowerCase()}`, device, undefined);
          // An organisation's own event is its round's net change (REASON_ROUND_NET): its outcomes are its devices'.
          const organisationId = record.organisationId;
          record.counts[scoreOutcome(reason)] += 1;
          if (organisationId !== undefined) subject("organisation", `organisation:${organisationId}`, `organisation ${organisationId}`, organisationId).counts[scoreOutcome(reason)] += 1;
        } else {
          const id = organisationOfSubject(subjectId);
          record = subject("organisation", `organisation:${id}`, `organisation ${id}`, id);
        }
        const last = record.history.at(-1);
        if (last && last.roundId === roundId) last.score = score;
        else record.history.push({ roundId, score });
        const first = firstScoreInRound.get(record.key);
        if (!first || first.roundId !== roundId) firstScoreInRound.set(record.key, { roundId, previous });
        record.score = score;
        record.lastRound = roundId;
        record.lastChange = score - (firstScoreInRound.get(record.key)?.previous ?? previous);
        break;
      }
    }
  }
  for (const record of subjects.values()) {
    if (record.organisationId !== undefined) record.organisationName = organisationNames.get(record.organisationId);
    if (record.kind === "organisation" && record.organisationId !== undefined) record.label = organisationNames.get(record.organisationId) ?? record.label;
  }
  return [...subjects.values()];
}

/** Score per round from the start score (round 0), for the history charts. */
export function scoreSeries(record: Pick<SubjectRecord, "history">, startScore: number): { x: number; y: number }[] {
  return [{ x: 0, y: startScore }, ...record.history.map((point) => ({ x: Number(point.roundId), y: point.score }))];
}

export type SortKey = "kind" | "label" | "organisation" | "score" | "lastChange" | "accepted" | "rejected" | "outlier";
export type SortDirection = "ascending" | "descending";

const sortValue: Record<SortKey, (record: SubjectRecord) => string | number> = {
  kind: (record) => record.kind,
  label: (record) => record.label.toLowerCase(),
  organisation: (record) => (record.organisationName ?? "").toLowerCase(),
  score: (record) => record.score,
  lastChange: (record) => record.lastChange ?? 0,
  accepted: (record) => record.counts.accepted,
  rejected: (record) => record.counts.rejected,
  outlier: (record) => record.counts.outlier,
};

export function sortSubjects(records: readonly SubjectRecord[], key: SortKey, direction: SortDirection): SubjectRecord[] {
  const value = sortValue[key];
  const sign = direction === "ascending" ? 1 : -1;
  return [...records].sort((a, b) => {
    const left = value(a);
    const right = value(b);
    const order = typeof left === "number" && typeof right === "number" ? left - right : String(left).localeCompare(String(right));
    // Ties keep a readable order: organisations before devices, then by name.
    return sign * order || a.kind.localeCompare(b.kind) * -1 || a.label.localeCompare(b.label);
  });
}
