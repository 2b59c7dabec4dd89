/**
 * Everything the model audit needs from the chain, read once for the whole history: one paginated log scan per
 * contract (ModelRegistry, UpdateLedger, DeviceRegistry, the AccessManager's ORACLE grants), indexed for pure
 * lookups, plus the version views (the recorded parent and status live only in storage) read on demand and
 * block timestamps read only when a role grant's delay makes membership depend on the time.
 */
import type { Address, Hex } from "viem";
import { accessManagerAbi, deviceRegistryAbi, encryptionKeyRegistryAbi, modelRegistryAbi, updateLedgerAbi } from "../../lib/chain/abis.generated.ts";
import type { LogPosition } from "../../lib/chain/logs.ts";
import { Role } from "../../lib/chain/roles.ts";
import { deviceHistoryEvents, roleEvents, roleMembershipAt, type DeviceHistoryLog, type LogPlace, type RoleLog, type RoleMembershipAt } from "../../lib/provenance/history.ts";
import { readLogsCached, type AuditSources } from "../sources.ts";
import type { PolicyRecord } from "./policy.ts";

export interface TaskRecord {
  taskId: Hex;
  name: string;
  genesisVersion: bigint;
  place: LogPlace;
}
export interface RoundRecord {
  taskId: Hex;
  roundId: bigint;
  baseVersion: bigint;
  deadline: bigint;
  place: LogPlace;
}
export interface ProposalRecord {
  taskId: Hex;
  versionId: bigint;
  roundId: bigint;
  proposer: Address;
  cid: string;
  weightsHash: Hex;
  metric: bigint;
  participantsRoot: Hex;
  xaiReportCid: string;
  place: LogPlace;
}
export interface VoteRecord {
  versionId: bigint;
  oracle: Address;
  count: number;
  place: LogPlace;
}
export interface DecisionRecord {
  taskId: Hex;
  versionId: bigint;
  deployed: boolean;
  previousVersion: bigint | null;
  verdict: number | null;
  place: LogPlace;
}
export interface CommitmentRecord {
  roundId: bigint;
  oracle: Address;
  root: Hex;
  count: number;
  updatesCid: string;
  place: LogPlace;
}
export interface SubmissionRecord {
  roundId: bigint;
  device: Address;
  oracle: Address;
  weightsHash: Hex;
  updateCid: string;
  sampleCount: bigint;
  nonce: bigint;
  leaf: Hex;
  place: LogPlace;
}

/** EncryptionKeyRegistry.AggregateDecrypted: what the key holder decrypted for a round, and into what. */
export interface DecryptionRecord {
  roundId: bigint;
  keyId: bigint;
  holder: Address;
  aggregateHash: Hex;
  resultHash: Hex;
  resultCid: string;
  place: LogPlace;
}

/** ModelRegistry.version(id) as read. */
export interface VersionView {
  taskId: Hex;
  parent: bigint;
  roundId: bigint;
  proposer: Address;
  status: number;
  verdict: number;
  attestations: number;
  participants: number;
  metric: bigint;
  weightsHash: Hex;
  participantsRoot: Hex;
  cid: string;
  xaiReportCid: string;
}

export interface ChainIndex {
  head: bigint;
  tasks: Map<string, TaskRecord>;
  policies: Map<string, PolicyRecord[]>;
  rounds: Map<string, RoundRecord>;
  proposals: Map<string, ProposalRecord>;
  attestations: Map<string, VoteRecord[]>;
  dissents: Map<string, VoteRecord[]>;
  decisions: Map<string, DecisionRecord>;
  /** Every VersionDeployed, in chain order (genesis deployments included). */
  deployments: DecisionRecord[];
  voided: Map<string, { reason: number; place: LogPlace }>;
  commitments: Map<string, CommitmentRecord[]>;
  submissions: Map<string, SubmissionRecord[]>;
  /** DeviceRegistry's history events by lower-case device address. */
  deviceLogs: Map<string, DeviceHistoryLog[]>;
  oracleRoleLogs: RoleLog[];
  /** AggregateDecrypted by round. */
  decryptions: Map<string, DecryptionRecord>;
  /** KeyPublished: each key's publication. */
  keys: Map<string, { keyId: bigint; holder: Address; publicKeyHash: Hex; place: LogPlace }>;
  keyHolderRoleLogs: RoleLog[];
}

const placeOf = (log: LogPlace): LogPlace => ({ blockNumber: log.blockNumber, logIndex: log.logIndex, transactionHash: log.transactionHash });
const key = (value: bigint | string) => (typeof value === "bigint" ? value.toString() : value.toLowerCase());

function push<K, V>(map: Map<K, V[]>, k: K, value: V): void {
  const list = map.get(k);
  if (list) list.push(value);
  else map.set(k, [value]);
}

/** Reads and indexes the whole history up to the audit's head (through the cache when enabled). */
export async function loadChainIndex(sources: AuditSources): Promise<ChainIndex> {
  const { reader, addresses } = sources;
  const head = await sources.head();
  const modelEvents = ["TaskCreated", "PolicyUpdated", "RoundOpened", "VersionProposed", "Attested", "DissentRecorded", "VersionDeployed", "VersionRejected", "RoundVoided"] as const;
  const [modelLogs, ledgerLogs, deviceLogs, roleLogs, keyLogs, keyHolderRoleLogs] = await Promise.all([
    readLogsCached(sources, `${addresses.ModelRegistry}:model`, (fromBlock, toBlock) => reader.read({ address: addresses.ModelRegistry, abi: modelRegistryAbi, eventName: modelEvents, fromBlock, toBlock })),
    readLogsCached(sources, `${addresses.UpdateLedger}:ledger`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.UpdateLedger, abi: updateLedgerAbi, eventName: ["UpdatesCommitted", "UpdateSubmitted"], fromBlock, toBlock }),
    ),
    readLogsCached(sources, `${addresses.DeviceRegistry}:devices`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, eventName: deviceHistoryEvents, fromBlock, toBlock }),
    ),
    readLogsCached(sources, `${addresses.AccessManager}:oracle-role`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.AccessManager, abi: accessManagerAbi, eventName: roleEvents, args: { roleId: Role.ORACLE }, fromBlock, toBlock }),
    ),
    readLogsCached(sources, `${addresses.EncryptionKeyRegistry}:keys`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.EncryptionKeyRegistry, abi: encryptionKeyRegistryAbi, eventName: ["KeyPublished", "AggregateDecrypted"], fromBlock, toBlock }),
    ),
    readLogsCached(sources, `${addresses.AccessManager}:key-holder-role`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.AccessManager, abi: accessManagerAbi, eventName: roleEvents, args: { roleId: Role.KEY_HOLDER }, fromBlock, toBlock }),
    ),
  ]);

  const index: ChainIndex = {
    head,
    tasks: new Map(),
    policies: new Map(),
    rounds: new Map(),
    proposals: new Map(),
    attestations: new Map(),
    dissents: new Map(),
    decisions: new Map(),
    deployments: [],
    voided: new Map(),
    commitments: new Map(),
    submissions: new Map(),
    deviceLogs: new Map(),
    oracleRoleLogs: roleLogs as RoleLog[],
    decryptions: new Map(),
    keys: new Map(),
    keyHolderRoleLogs: keyHolderRoleLogs as RoleLog[],
  };
  for (const log of modelLogs) {
    const place = placeOf(log);
    switch (log.eventName) {
      case "TaskCreated":
        index.tasks.set(key(log.args.taskId), { taskId: log.args.taskId, name: log.args.name, genesisVersion: log.args.genesisVersion, place });
        break;
      case "PolicyUpdated": {
        const p = log.args.policy;
        push(index.policies, key(log.args.taskId), {
          taskId: log.args.taskId,
          policy: { metricId: p.metricId, higherIsBetter: p.higherIsBetter, threshold: p.threshold, minImprovement: p.minImprovement, minParticipants: p.minParticipants, quorum: p.quorum, encryptedAggregation: p.encryptedAggregation, dpClipNorm: p.dpClipNorm },
          place,
        });
        break;
      }
      case "RoundOpened":
        index.rounds.set(key(log.args.roundId), { taskId: log.args.taskId, roundId: log.args.roundId, baseVersion: log.args.baseVersion, deadline: log.args.deadline, place });
        break;
      case "VersionProposed": {
        const a = log.args;
        index.proposals.set(key(a.versionId), { taskId: a.taskId, versionId: a.versionId, roundId: a.roundId, proposer: a.proposer, cid: a.cid, weightsHash: a.weightsHash, metric: a.metric, participantsRoot: a.participantsRoot, xaiReportCid: a.xaiReportCid, place });
        break;
      }
      case "Attested":
        push(index.attestations, key(log.args.versionId), { versionId: log.args.versionId, oracle: log.args.oracle, count: log.args.attestations, place });
        break;
      case "DissentRecorded":
        push(index.dissents, key(log.args.versionId), { versionId: log.args.versionId, oracle: log.args.oracle, count: 0, place });
        break;
      case "VersionDeployed": {
        const decision = { taskId: log.args.taskId, versionId: log.args.versionId, deployed: true, previousVersion: log.args.previousVersion, verdict: null, place };
        index.decisions.set(key(log.args.versionId), decision);
        index.deployments.push(decision);
        break;
      }
      case "VersionRejected":
        index.decisions.set(key(log.args.versionId), { taskId: log.args.taskId, versionId: log.args.versionId, deployed: false, previousVersion: null, verdict: log.args.verdict, place });
        break;
      case "RoundVoided":
        index.voided.set(key(log.args.roundId), { reason: log.args.reason, place });
        break;
    }
  }
  for (const log of ledgerLogs) {
    const place = placeOf(log);
    if (log.eventName === "UpdatesCommitted") {
      push(index.commitments, key(log.args.roundId), { roundId: log.args.roundId, oracle: log.args.oracle, root: log.args.participantsRoot, count: log.args.count, updatesCid: log.args.updatesCid, place });
    } else {
      const a = log.args;
      push(index.submissions, key(a.roundId), { roundId: a.roundId, device: a.deviceAccount, oracle: a.oracle, weightsHash: a.weightsHash, updateCid: a.updateCid, sampleCount: a.sampleCount, nonce: a.nonce, leaf: a.leaf, place });
    }
  }
  for (const log of deviceLogs as DeviceHistoryLog[]) push(index.deviceLogs, key(log.args.deviceAccount), log);
  for (const log of keyLogs) {
    const place = placeOf(log);
    if (log.eventName === "KeyPublished") {
      index.keys.set(key(log.args.keyId), { keyId: log.args.keyId, holder: log.args.holder, publicKeyHash: log.args.publicKeyHash, place });
    } else {
      const a = log.args;
      index.decryptions.set(key(a.roundId), { roundId: a.roundId, keyId: a.keyId, holder: a.holder, aggregateHash: a.aggregateHash, resultHash: a.resultHash, resultCid: a.resultCid, place });
    }
  }
  return index;
}

/** The version deployed for the task just before `at` (from VersionDeployed logs), or undefined before the task existed. */
export function deployedVersionAt(index: ChainIndex, taskId: Hex, at: LogPosition): bigint | undefined {
  let found: DecisionRecord | undefined;
  for (const deployment of index.deployments) {
    if (deployment.taskId.toLowerCase() !== taskId.toLowerCase()) continue;
    const before = deployment.place.blockNumber < at.blockNumber || (deployment.place.blockNumber === at.blockNumber && (at.logIndex === undefined || deployment.place.logIndex < at.logIndex));
    if (before) found = deployment;
  }
  return found?.versionId;
}

/** Reads views and block timestamps on demand, memoised for the audit, each counted. */
export interface ChainReads {
  version(versionId: bigint): Promise<VersionView>;
  timestamp(blockNumber: bigint): Promise<bigint>;
  /** ORACLE membership just before `at`; reads the block timestamp only when a pending grant makes it matter. */
  oracleAt(account: Address, at: LogPosition): Promise<RoleMembershipAt>;
  /** KEY_HOLDER membership just before `at`. */
  keyHolderAt(account: Address, at: LogPosition): Promise<RoleMembershipAt>;
}

export function chainReads(sources: AuditSources, index: ChainIndex): ChainReads {
  const versions = new Map<string, Promise<VersionView>>();
  const timestamps = new Map<string, Promise<bigint>>();
  const timestamp = (blockNumber: bigint) => {
    let found = timestamps.get(blockNumber.toString());
    if (!found) {
      sources.counters.rpcCalls++;
      found = sources.client.getBlock({ blockNumber }).then((block) => block.timestamp);
      timestamps.set(blockNumber.toString(), found);
    }
    return found;
  };
  return {
    version(versionId) {
      let found = versions.get(versionId.toString());
      if (!found) {
        sources.counters.rpcCalls++;
        found = sources.client
          .readContract({ address: sources.addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "version", args: [versionId], blockNumber: index.head })
          .then((v) => ({
            taskId: v.taskId,
            parent: v.parent,
            roundId: v.roundId,
            proposer: v.proposer,
            status: v.status,
            verdict: v.verdict,
            attestations: v.attestations,
            participants: v.participants,
            metric: v.metric,
            weightsHash: v.weightsHash,
            participantsRoot: v.participantsRoot,
            cid: v.cid,
            xaiReportCid: v.xaiReportCid,
          }));
        versions.set(versionId.toString(), found);
      }
      return found;
    },
    timestamp,
    oracleAt: (account, at) => roleAt(Role.ORACLE, index.oracleRoleLogs, account, at),
    keyHolderAt: (account, at) => roleAt(Role.KEY_HOLDER, index.keyHolderRoleLogs, account, at),
  };

  async function roleAt(roleId: bigint, logs: RoleLog[], account: Address, at: LogPosition): Promise<RoleMembershipAt> {
    // Membership depends on the time only through a grant's `since`; when the earliest and the latest possible
    // timestamps agree, the block's own timestamp is not needed.
    const early = roleMembershipAt(roleId, account, logs, at, 0n);
    const late = roleMembershipAt(roleId, account, logs, at, 2n ** 64n);
    if (early.member === late.member) return { ...late, timestamp: late.since ?? 0n };
    return roleMembershipAt(roleId, account, logs, at, await timestamp(at.blockNumber));
  }
}
