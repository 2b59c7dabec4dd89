/**
 * Tasks, their rounds and the lineage of their model versions, as the ModelRegistry's and UpdateLedger's events
 * tell them. Pure, so it is tested without a chain; the pages feed it the chain log and complete it with
 * `version(id)` reads (the genesis model's CID, hash and metric are only in storage).
 */
import type { Address, Hex } from "viem";
import type { EventOf } from "@/lib/chain-log";
import { verdictName } from "../../../../lib/chain/status.ts";

type HistoryEventName =
  | "TaskCreated"
  | "PolicyUpdated"
  | "RoundOpened"
  | "ParticipationRecorded"
  | "UpdatesCommitted"
  | "RoundVoided"
  | "RoundExpiredRecorded"
  | "VersionProposed"
  | "Attested"
  | "DissentRecorded"
  | "VersionValidated"
  | "VersionDeployed"
  | "VersionRejected";

/** Only what the derivation reads, so tests can build events by hand. */
export type HistoryEvent = { [name in HistoryEventName]: Pick<EventOf<name>, "eventName" | "args" | "blockNumber"> }[HistoryEventName];

export const historyEventNames = [
  "TaskCreated",
  "PolicyUpdated",
  "RoundOpened",
  "ParticipationRecorded",
  "UpdatesCommitted",
  "RoundVoided",
  "RoundExpiredRecorded",
  "VersionProposed",
  "Attested",
  "DissentRecorded",
  "VersionValidated",
  "VersionDeployed",
  "VersionRejected",
] as const satisfies readonly HistoryEventName[];

export type TaskPolicyRecord = EventOf<"PolicyUpdated">["args"]["policy"];

/** deployed = the task's current version; validated = passed the policy and was replaced since. */
export type VersionStatusName = "deployed" | "validated" | "rejected" | "proposed";

export interface VersionVote {
  kind: "proposed" | "attested" | "dissent";
  oracle: Address;
  blockNumber: bigint;
  /** The hash a dissenting oracle computed. */
  weightsHash?: Hex;
}

export interface TaskVersion {
  id: bigint;
  taskId: Hex;
  /** The version the round trained on; undefined for the genesis model. */
  parent: bigint | undefined;
  roundId: bigint | undefined;
  status: VersionStatusName;
  /** Why a rejected version was rejected, in words. */
  rejection?: string;
  /** 1e6-scaled; the genesis metric is only known from a `version(id)` read. */
  metric: bigint | undefined;
  cid: string | undefined;
  weightsHash: Hex | undefined;
  xaiReportCid: string | undefined;
  proposer: Address | undefined;
  proposedBlock: bigint;
  decidedBlock: bigint | undefined;
  votes: VersionVote[];
}

export type RoundOutcome = "open" | "committed" | "proposed" | "deployed" | "rejected" | "voided" | "expired";

export interface RoundRecord {
  id: bigint;
  taskId: Hex;
  baseVersion: bigint;
  /** Unix seconds. */
  deadline: bigint;
  openedBlock: bigint;
  participantCount: number;
  committed: boolean;
  updatesCid: string | undefined;
  committedBy: Address | undefined;
  proposedVersion: bigint | undefined;
  /** From events alone: a round past its deadline reads as expired only once the chain records it (or see `roundStatus`). */
  outcome: RoundOutcome;
  /** Why a rejected round's version was rejected, in words. */
  rejection?: string;
}

export interface TaskHistory {
  taskId: Hex;
  name: string;
  createdBlock: bigint;
  genesisVersion: bigint;
  policy: TaskPolicyRecord | undefined;
  deployedVersion: bigint;
  /** In id order, genesis first. */
  versions: TaskVersion[];
  /** In id order. */
  rounds: RoundRecord[];
}

const voidReasons: Record<number, string> = { 1: "a committed device was not registered", 2: "a committed device was revoked", 3: "a committed device was suspended" };

export function voidReasonWords(reason: number): string {
  return voidReasons[reason] ?? `fraud proof reason ${reason}`;
}

/** Every task with its versions and rounds, from events in chain order. */
export function deriveTaskHistories(events: readonly HistoryEvent[]): TaskHistory[] {
  const tasks = new Map<Hex, TaskHistory>();
  const versions = new Map<bigint, TaskVersion>();
  const rounds = new Map<bigint, RoundRecord>();
  for (const event of events) {
    switch (event.eventName) {
      case "TaskCreated": {
        const { taskId, name, genesisVersion } = event.args;
        const genesis: TaskVersion = {
          id: genesisVersion, taskId, parent: undefined, roundId: undefined, status: "deployed", metric: undefined, cid: undefined,
          weightsHash: undefined, xaiReportCid: undefined, proposer: undefined, proposedBlock: event.blockNumber, decidedBlock: event.blockNumber, votes: [],
        };
        versions.set(genesisVersion, genesis);
        tasks.set(taskId, { taskId, name, createdBlock: event.blockNumber, genesisVersion, policy: undefined, deployedVersion: genesisVersion, versions: [genesis], rounds: [] });
        break;
      }
      case "PolicyUpdated": {
        const task = tasks.get(event.args.taskId);
        if (task) task.policy = event.args.policy;
        break;
      }
      case "RoundOpened": {
        const { taskId, roundId, baseVersion, deadline } = event.args;
        const round: RoundRecord = {
          id: roundId, taskId, baseVersion, deadline, openedBlock: event.blockNumber, participantCount: 0, committed: false,
          updatesCid: undefined, committedBy: undefined, proposedVersion: undefined, outcome: "open",
        };
        rounds.set(roundId, round);
        tasks.get(taskId)?.rounds.push(round);
        break;
      }
      case "ParticipationRecorded": {
        const round = rounds.get(event.args.roundId);
        if (!round) break;
        round.participantCount = event.args.participantCount;
        round.committed = event.args.committed;
        if (event.args.committed) round.outcome = "committed";
        break;
      }
      case "UpdatesCommitted": {
        const round = rounds.get(event.args.roundId);
        if (!round) break;
        round.updatesCid = event.args.updatesCid;
        round.committedBy = event.args.oracle;
        break;
      }
      case "RoundExpiredRecorded": {
        const round = rounds.get(event.args.roundId);
        if (round) round.outcome = "expired";
        break;
      }
      case "RoundVoided": {
        const round = rounds.get(event.args.roundId);
        if (!round) break;
        round.outcome = "voided";
        round.rejection = `round voided: ${voidReasonWords(event.args.reason)}`;
        const proposed = round.proposedVersion === undefined ? undefined : versions.get(round.proposedVersion);
        if (proposed) {
          proposed.status = "rejected";
          proposed.rejection = round.rejection;
          proposed.decidedBlock = event.blockNumber;
        }
        break;
      }
      case "VersionProposed": {
        const { taskId, versionId, roundId, proposer, cid, weightsHash, metric, xaiReportCid } = event.args;
        const round = rounds.get(roundId);
        const version: TaskVersion = {
          id: versionId, taskId, parent: round?.baseVersion, roundId, status: "proposed", metric, cid, weightsHash,
          xaiReportCid: xaiReportCid === "" ? undefined : xaiReportCid, proposer, proposedBlock: event.blockNumber, decidedBlock: undefined,
          votes: [{ kind: "proposed", oracle: proposer, blockNumber: event.blockNumber }],
        };
        versions.set(versionId, version);
        tasks.get(taskId)?.versions.push(version);
        if (round) {
          round.proposedVersion = versionId;
          round.outcome = "proposed";
        }
        break;
      }
      case "Attested": {
        const version = versions.get(event.args.versionId);
        // The proposer's own attestation is emitted with the proposal; it is already its "proposed" vote.
        if (!version || event.args.oracle === version.proposer) break;
        version.votes.push({ kind: "attested", oracle: event.args.oracle, blockNumber: event.blockNumber });
        break;
      }
      case "DissentRecorded": {
        versions.get(event.args.versionId)?.votes.push({ kind: "dissent", oracle: event.args.oracle, blockNumber: event.blockNumber, weightsHash: event.args.weightsHash });
        break;
      }
      case "VersionValidated":
        break;
      case "VersionDeployed": {
        const { taskId, versionId, previousVersion } = event.args;
        const task = tasks.get(taskId);
        const version = versions.get(versionId);
        const previous = versions.get(previousVersion);
        if (previous && previous.status === "deployed") previous.status = "validated";
        if (version) {
          version.status = "deployed";
          version.decidedBlock = event.blockNumber;
          const round = version.roundId === undefined ? undefined : rounds.get(version.roundId);
          if (round) round.outcome = "deployed";
        }
        if (task) task.deployedVersion = versionId;
        break;
      }
      case "VersionRejected": {
        const version = versions.get(event.args.versionId);
        if (!version) break;
        version.status = "rejected";
        version.rejection = verdictName[event.args.verdict] ?? `verdict ${event.args.verdict}`;
        version.decidedBlock = event.blockNumber;
        const round = version.roundId === undefined ? undefined : rounds.get(version.roundId);
        if (round) {
          round.outcome = "rejected";
          round.rejection = version.rejection;
        }
        break;
      }
    }
  }
  for (const task of tasks.values()) {
    task.versions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    task.rounds.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return [...tasks.values()];
}

/** The fields of a `ModelRegistry.version(id)` read the events do not carry (the genesis model's) or date. */
export interface VersionRead {
  cid: string;
  weightsHash: Hex;
  metric: bigint;
  xaiReportCid: string;
  /** Unix seconds. */
  proposedAt: number;
  decidedAt: number;
}

/** Fills what only storage knows (the genesis CID, hash and metric) into the event-derived versions. */
export function withVersionReads(versions: readonly TaskVersion[], reads: ReadonlyMap<bigint, VersionRead>): (TaskVersion & { proposedAt?: number; decidedAt?: number })[] {
  return versions.map((version) => {
    const read = reads.get(version.id);
    if (!read) return version;
    return {
      ...version,
      metric: version.metric ?? read.metric,
      cid: version.cid ?? (read.cid || undefined),
      weightsHash: version.weightsHash ?? read.weightsHash,
      xaiReportCid: version.xaiReportCid ?? (read.xaiReportCid || undefined),
      proposedAt: read.proposedAt,
      decidedAt: read.decidedAt || undefined,
    };
  });
}

/** Rounds still running by their events whose deadline has passed are expired (the chain's `roundStatus` agrees). */
export function effectiveOutcome(round: RoundRecord, nowSeconds: number): RoundOutcome {
  const live = round.outcome === "open" || round.outcome === "committed" || round.outcome === "proposed";
  return live && nowSeconds > Number(round.deadline) ? "expired" : round.outcome;
}
