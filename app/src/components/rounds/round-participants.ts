/**
 * One row per device that took part in a round, joining three sources: the committed set (the sealed-updates
 * document the commitment names), the chain's reputation outcome (ScoreChanged of the round: accepted, rejected,
 * outlier) and each oracle's own view (accepted, or refused with a reason). The chain holds no reasons, so when no
 * oracle remembers the round the chain's outcome is all there is, and the page says so. Pure, for tests.
 */
import { hasRecord, type OracleEntry } from "./oracle-round-view";
import { scoreOutcome, type ScoreOutcome } from "./rejection-reasons";

export interface CommittedUpdate {
  device: string;
  sampleCount: bigint;
  updateCid: string;
}

export interface RoundScore {
  device: string;
  reason: number;
  previous: number;
  score: number;
}

export type OracleVerdict = { oracle: number; verdict: "accepted" } | { oracle: number; verdict: "rejected"; reason: string } | { oracle: number; verdict: "not heard" };

export interface ParticipantRow {
  device: string;
  inCommitment: boolean;
  sampleCount: bigint | undefined;
  chain: { outcome: ScoreOutcome; previous: number; score: number } | undefined;
  /** One entry per oracle that has a record of the round, in oracle order. */
  oracles: OracleVerdict[];
}

export interface RoundJoin {
  rows: ParticipantRow[];
  /** Oracles that sealed, accepted or refused anything in the round. */
  oraclesWithRecord: number[];
  /** Oracles that answered but remember nothing of the round (not its leader, restarted without a journal...). */
  oraclesWithoutRecord: number[];
  unreachable: { oracle: number; error: string }[];
  /** Where accept/reject comes from: the oracles' views, or only the chain's reputation outcome. */
  source: "oracles" | "chain";
}

const key = (device: string) => device.toLowerCase();

export function joinRoundParticipants(input: { committed: readonly CommittedUpdate[] | undefined; scores: readonly RoundScore[]; oracles: readonly OracleEntry[] | undefined }): RoundJoin {
  const rows = new Map<string, ParticipantRow>();
  const row = (device: string): ParticipantRow => {
    let existing = rows.get(key(device));
    if (!existing) {
      existing = { device, inCommitment: false, sampleCount: undefined, chain: undefined, oracles: [] };
      rows.set(key(device), existing);
    }
    return existing;
  };
  for (const update of input.committed ?? []) {
    const entry = row(update.device);
    entry.inCommitment = true;
    entry.sampleCount = update.sampleCount;
  }
  for (const score of input.scores) row(score.device).chain = { outcome: scoreOutcome(score.reason), previous: score.previous, score: score.score };

  const oraclesWithRecord: number[] = [];
  const oraclesWithoutRecord: number[] = [];
  const unreachable: { oracle: number; error: string }[] = [];
  const views = [];
  for (const entry of input.oracles ?? []) {
    if ("error" in entry) unreachable.push({ oracle: entry.oracle, error: entry.error });
    else if (hasRecord(entry.view)) {
      oraclesWithRecord.push(entry.oracle);
      views.push(entry);
    } else oraclesWithoutRecord.push(entry.oracle);
  }
  for (const { view } of views) {
    for (const device of view.accepted) row(device);
    for (const refusal of view.rejected) row(refusal.device);
  }
  for (const entry of rows.values()) {
    entry.oracles = views.map(({ oracle, view }): OracleVerdict => {
      if (view.accepted.some((device) => key(device) === key(entry.device))) return { oracle, verdict: "accepted" };
      const refusal = view.rejected.find((candidate) => key(candidate.device) === key(entry.device));
      return refusal ? { oracle, verdict: "rejected", reason: refusal.reason } : { oracle, verdict: "not heard" };
    });
  }
  // Committed devices first (tree order), then the others by address, so the table reads like the commitment.
  const ordered = [...rows.values()].sort((a, b) => Number(b.inCommitment) - Number(a.inCommitment) || (a.inCommitment ? 0 : key(a.device).localeCompare(key(b.device))));
  return { rows: ordered, oraclesWithRecord, oraclesWithoutRecord, unreachable, source: views.length > 0 ? "oracles" : "chain" };
}

export interface OutcomeCounts {
  accepted: number;
  rejected: number;
  outlier: number;
}

/** Accepted, rejected and outlier updates: by the oracles' views when there are any, else by the chain's scores. */
export function outcomeCounts(join: RoundJoin): OutcomeCounts {
  const counts: OutcomeCounts = { accepted: 0, rejected: 0, outlier: 0 };
  for (const entry of join.rows) {
    if (entry.chain?.outcome === "outlier") counts.outlier += 1;
    if (join.source === "oracles") {
      if (entry.oracles.some((verdict) => verdict.verdict === "accepted")) counts.accepted += 1;
      else if (entry.oracles.some((verdict) => verdict.verdict === "rejected")) counts.rejected += 1;
    } else if (entry.chain?.outcome === "accepted" || entry.chain?.outcome === "outlier") counts.accepted += 1;
    else if (entry.chain?.outcome === "rejected") counts.rejected += 1;
  }
  return counts;
}
