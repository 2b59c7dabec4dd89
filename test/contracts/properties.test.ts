import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { parseEventLogs, type Hex } from "viem";
import { modelRegistryAbi } from "../../lib/chain/abis.generated.ts";
import { orderScoreChanges } from "../../lib/chain/reputation-batch.ts";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { commit, latestTimestamp, updateLeaves, weightsHashA, weightsHashB } from "../helpers/rounds.ts";
import { noPrivacy } from "../../lib/chain/policy.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const OPERATIONS_PER_RUN = Number(process.env.PROPERTY_OPS ?? 500);
const DEVICES = 6;

/** One random step of consortium life. Each either succeeds or reverts; both are fine, invariants must hold after it. */
type Operation =
  | { kind: "suspend" | "reactivate" | "revoke"; device: number; byAdmin: boolean }
  | { kind: "reputation"; deltas: number[] }
  | { kind: "round"; participants: number; metric: number; dissent: boolean }
  | { kind: "policy"; threshold: number; minImprovement: number; minParticipants: number }
  | { kind: "wait"; seconds: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("suspend" as const, "reactivate" as const, "revoke" as const), device: fc.nat(DEVICES - 1), byAdmin: fc.boolean() }),
  fc.record({ kind: fc.constant("reputation" as const), deltas: fc.array(fc.integer({ min: -400, max: 300 }), { minLength: DEVICES, maxLength: DEVICES }) }),
  fc.record({ kind: fc.constant("round" as const), participants: fc.integer({ min: 1, max: DEVICES }), metric: fc.integer({ min: 5, max: 40 }), dissent: fc.boolean() }),
  fc.record({ kind: fc.constant("policy" as const), threshold: fc.integer({ min: 10, max: 35 }), minImprovement: fc.integer({ min: 0, max: 3 }), minParticipants: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 7200 }) }),
);

async function attempt(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch {
    // A refused step is part of the sequence; the invariants below judge the state it leaves.
  }
}

/** Plays one operation against the chain. */
async function play(f: Fixture, op: Operation): Promise<void> {
  const devices = f.seed.devices.slice(0, DEVICES);
  switch (op.kind) {
    case "suspend":
    case "reactivate":
    case "revoke": {
      const device = devices[op.device]!;
      const actor = f.as(op.byAdmin ? f.wallets.governance : f.wallets.members[device.organisationId - 1]!).devices;
      const write = { suspend: actor.write.suspendDevice, reactivate: actor.write.reactivateDevice, revoke: actor.write.revokeDevice }[op.kind];
      return attempt(() => f.send(write([device.address])));
    }
    case "reputation":
      return attempt(async () => {
        const oracle = f.as(f.wallets.oracles[0]!);
        const roundId = await oracle.models.read.roundCount();
        const organisationOf = new Map(devices.map((device) => [device.address, device.organisationId]));
        const changes = orderScoreChanges(devices.map((device, i) => ({ deviceAccount: device.address, delta: op.deltas[i]!, reason: op.deltas[i]! >= 0 ? 1 : 3 })), (account) => organisationOf.get(account)!);
        await f.send(oracle.reputation.write.applyRoundChanges([roundId, changes]));
      });
    case "round":
      return attempt(async () => {
        const oracle = f.as(f.wallets.oracles[0]!);
        const base = await oracle.models.read.deployedVersion([f.taskId]);
        await f.send(oracle.models.write.openRound([f.taskId, base, (await latestTimestamp(f)) + 3600n]));
        const roundId = await oracle.models.read.roundCount();
        const tree = await commit(f, roundId, updateLeaves(f, op.participants, `r${roundId}`));
        await f.send(oracle.models.write.proposeModel([roundId, { cid: "QmModel", weightsHash: weightsHashA, metric: BigInt(op.metric) * 1_000_000n, participantsRoot: tree.root as Hex, xaiReportCid: "" }]));
        const versionId = await oracle.models.read.versionCount();
        if (op.dissent) await f.send(f.as(f.wallets.oracles[2]!).models.write.attest([versionId, weightsHashB]));
        await f.send(f.as(f.wallets.oracles[1]!).models.write.attest([versionId, weightsHashA]));
      });
    case "policy":
      return attempt(() =>
        f.send(f.as(f.wallets.governance).models.write.setPolicy([f.taskId, { metricId: `0x${"00".repeat(31)}01`, higherIsBetter: false, threshold: BigInt(op.threshold) * 1_000_000n, minImprovement: BigInt(op.minImprovement) * 1_000_000n, minParticipants: op.minParticipants, quorum: 2, ...noPrivacy }])),
      );
    case "wait":
      await networkHelpers.time.increase(BigInt(op.seconds));
      return;
  }
}

describe("invariants under random operation sequences", () => {
  it(`hold after every one of ${OPERATIONS_PER_RUN} random operations`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: OPERATIONS_PER_RUN, maxLength: OPERATIONS_PER_RUN }), async (operations) => {
        const f = await networkHelpers.loadFixture(deployAndSeed);
        const reader = f.as(f.wallets.auditor);
        const devices = f.seed.devices.slice(0, DEVICES);
        const revoked = new Set<string>();
        let deployedSoFar = 1n;
        let policy = (await reader.models.read.task([f.taskId])).policy;
        for (const op of operations) {
          const fromBlock = (await f.clients.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
          await play(f, op);

          // A revoked device is never active again.
          for (const device of devices) {
            const record = await reader.devices.read.device([device.address]);
            if (revoked.has(device.address)) expect(record.status, `${device.address} came back`).to.equal(3);
            if (record.status === 3) revoked.add(device.address);
          }
          // Every score stays within 0..1000.
          for (const device of devices) expect(await reader.reputation.read.deviceScore([device.address])).to.be.within(0, 1000);
          for (const organisationId of [1, 2, 3]) expect(await reader.reputation.read.organisationScore([organisationId])).to.be.within(0, 1000);

          // At most one deployed version per task, and every deployment met the policy in force when it happened.
          const toBlock = await f.clients.publicClient.getBlockNumber({ cacheTime: 0 });
          const logs = toBlock >= fromBlock ? await f.clients.publicClient.getLogs({ address: f.addresses.ModelRegistry, fromBlock, toBlock }) : [];
          for (const event of parseEventLogs({ abi: modelRegistryAbi, logs })) {
            if (event.eventName === "PolicyUpdated") policy = event.args.policy;
            if (event.eventName !== "VersionDeployed") continue;
            const deployed = await reader.models.read.version([event.args.versionId]);
            const previous = await reader.models.read.version([event.args.previousVersion]);
            expect(event.args.previousVersion).to.equal(deployedSoFar);
            expect(deployed.status).to.equal(2);
            expect(deployed.participants).to.be.at.least(policy.minParticipants);
            expect(deployed.metric <= policy.threshold, "threshold").to.equal(true);
            expect(previous.metric - deployed.metric >= policy.minImprovement, "improvement").to.equal(true);
            expect(deployed.attestations).to.be.at.least(policy.quorum);
            deployedSoFar = event.args.versionId;
          }
          expect(await reader.models.read.deployedVersion([f.taskId])).to.equal(deployedSoFar);
        }
      }),
      { numRuns: 1, endOnFailure: true, verbose: 2 },
    );
  });
});
