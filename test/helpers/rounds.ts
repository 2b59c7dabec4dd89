import { keccak256, toBytes, type Hex } from "viem";
import { buildUpdateTree, type UpdateLeaf } from "../../lib/chain/update-tree.ts";
import type { Fixture } from "./fixture.ts";

export const HOUR = 3600n;

export async function latestTimestamp(fixture: Fixture): Promise<bigint> {
  return (await fixture.clients.publicClient.getBlock()).timestamp;
}

/** Opens a round on the deployed version, as the first oracle, with a deadline `ttl` seconds from now. */
export async function openRound(fixture: Fixture, ttl = HOUR, taskId: Hex = fixture.taskId): Promise<bigint> {
  const oracle = fixture.as(fixture.wallets.oracles[0]!);
  const base = await oracle.models.read.deployedVersion([taskId]);
  await fixture.send(oracle.models.write.openRound([taskId, base, (await latestTimestamp(fixture)) + ttl]));
  return oracle.models.read.roundCount();
}

/** Update leaves for the first `count` seeded devices (or the ones given). */
export function updateLeaves(fixture: Fixture, count: number, salt = "u"): UpdateLeaf[] {
  return fixture.seed.devices.slice(0, count).map((device, index) => ({
    device: device.address,
    contentHash: keccak256(toBytes(`${salt}-${index}`)),
    cid: `QmUpdate${salt}${index}`,
    sampleCount: BigInt(100 + index),
    nonce: BigInt(index + 1),
  }));
}

/** Commits the leaves as the round's participation, as the first oracle. */
export async function commit(fixture: Fixture, roundId: bigint, leaves: UpdateLeaf[]) {
  const tree = buildUpdateTree(leaves);
  const oracle = fixture.as(fixture.wallets.oracles[0]!);
  await fixture.send(oracle.updates.write.commitUpdates([roundId, tree.root as Hex, leaves.length, "QmSealedUpdates"]));
  return tree;
}

export const weightsHashA = keccak256(toBytes("aggregate-A"));
export const weightsHashB = keccak256(toBytes("aggregate-B"));

/** Proposes a model for the round (metric 1e6-scaled), as oracle `oracleIndex`; returns the version id. */
export async function propose(fixture: Fixture, roundId: bigint, metric: bigint, oracleIndex = 0, weightsHash: Hex = weightsHashA): Promise<bigint> {
  const oracle = fixture.as(fixture.wallets.oracles[oracleIndex]!);
  const round = await oracle.models.read.round([roundId]);
  await fixture.send(oracle.models.write.proposeModel([roundId, { cid: "QmModel", weightsHash, metric, participantsRoot: round.participantsRoot, xaiReportCid: "QmXai" }]));
  return oracle.models.read.versionCount();
}

/** Opens, commits (2 devices by default) and proposes; returns the ids. */
export async function proposedRound(fixture: Fixture, metric: bigint, participants = 2) {
  const roundId = await openRound(fixture);
  const tree = await commit(fixture, roundId, updateLeaves(fixture, participants));
  const versionId = await propose(fixture, roundId, metric);
  return { roundId, versionId, tree };
}
