import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { stringToHex, type Hex } from "viem";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";
import { HOUR, commit, latestTimestamp, openRound, propose, proposedRound, updateLeaves, weightsHashA, weightsHashB } from "../helpers/rounds.ts";
import { noPrivacy } from "../../lib/chain/policy.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

// The test task: RMSE (lower is better), threshold 20.0, min improvement 0.5 over the deployed 30.0, 2 participants, quorum 2.
const THRESHOLD = 20_000_000n;
const VersionStatus = { Proposed: 1, Validated: 2, Rejected: 3 } as const;
const Verdict = { Accepted: 0, ThresholdNotMet: 1, InsufficientImprovement: 2, TooFewParticipants: 3 } as const;
const RoundStatus = { Open: 1, Committed: 2, Proposed: 3, Deployed: 4, Rejected: 5, Voided: 6, Expired: 7 } as const;

async function attest(f: Fixture, versionId: bigint, oracleIndex: number, weightsHash: Hex = weightsHashA) {
  return f.send(f.as(f.wallets.oracles[oracleIndex]!).models.write.attest([versionId, weightsHash]));
}

describe("ModelRegistry: tasks, rounds and validation", () => {
  it("registers the genesis version as deployed, with its lineage root", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const models = f.as(f.wallets.auditor).models;
    const deployed = await models.read.deployedVersion([f.taskId]);
    const genesis = await models.read.version([deployed]);
    expect(genesis.status).to.equal(VersionStatus.Validated);
    expect(genesis.parent).to.equal(0n);
    expect(genesis.cid).to.equal(f.seed.tasks[0]!.genesisCid);
    const task = await models.read.task([f.taskId]);
    expect(task.policy.quorum).to.equal(2);
    expect(task.name).to.equal("cmapss-rul");
    expect(await models.read.taskIds([0n, 10n])).to.deep.equal([f.taskId]);
  });

  it("keeps a version proposed while the quorum is not reached", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const { versionId, roundId } = await proposedRound(f, 15_000_000n);
    const models = f.as(f.wallets.auditor).models;
    expect((await models.read.version([versionId])).status).to.equal(VersionStatus.Proposed);
    expect(await models.read.deployedVersion([f.taskId])).to.equal(1n);
    expect(await models.read.roundStatus([roundId])).to.equal(RoundStatus.Proposed);
  });

  it("deploys when the threshold is met exactly, and records parent, round, proposer and attesters", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const { versionId, roundId } = await proposedRound(f, THRESHOLD);
    await attest(f, versionId, 1);
    const models = f.as(f.wallets.auditor).models;
    expect(await models.read.deployedVersion([f.taskId])).to.equal(versionId);
    const version = await models.read.version([versionId]);
    expect(version.status).to.equal(VersionStatus.Validated);
    expect(version.parent).to.equal(1n);
    expect(version.roundId).to.equal(roundId);
    expect(version.proposer).to.equal(f.wallets.oracles[0]!.account.address);
    expect(await models.read.attestersOf([versionId])).to.deep.equal([f.wallets.oracles[0]!.account.address, f.wallets.oracles[1]!.account.address]);
    expect(await models.read.roundStatus([roundId])).to.equal(RoundStatus.Deployed);
    expect(await models.read.versionsOfTask([f.taskId, 0n, 10n])).to.deep.equal([1n, versionId]);
  });

  it("rejects a version that misses the threshold by one unit, naming the reason", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const { versionId, roundId } = await proposedRound(f, THRESHOLD + 1n);
    await attest(f, versionId, 1);
    const models = f.as(f.wallets.auditor).models;
    const version = await models.read.version([versionId]);
    expect(version.status).to.equal(VersionStatus.Rejected);
    expect(version.verdict).to.equal(Verdict.ThresholdNotMet);
    expect(await models.read.deployedVersion([f.taskId])).to.equal(1n);
    expect(await models.read.roundStatus([roundId])).to.equal(RoundStatus.Rejected);
  });

  it("rejects too small an improvement over the deployed version, and accepts exactly the minimum", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const first = await proposedRound(f, 18_000_000n);
    await attest(f, first.versionId, 1);
    // Deployed metric is now 18.0; the minimum improvement is 0.5.
    const tooSmall = await proposedRound(f, 17_500_001n);
    await attest(f, tooSmall.versionId, 1);
    const models = f.as(f.wallets.auditor).models;
    expect((await models.read.version([tooSmall.versionId])).verdict).to.equal(Verdict.InsufficientImprovement);
    expect(await models.read.deployedVersion([f.taskId])).to.equal(first.versionId);
    const exact = await proposedRound(f, 17_500_000n);
    await attest(f, exact.versionId, 1);
    expect(await models.read.deployedVersion([f.taskId])).to.equal(exact.versionId);
    expect((await models.read.version([exact.versionId])).parent).to.equal(first.versionId);
  });

  it("rejects a version aggregated from fewer devices than the policy asks", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const { versionId } = await proposedRound(f, 15_000_000n, 1);
    await attest(f, versionId, 1);
    expect((await f.as(f.wallets.auditor).models.read.version([versionId])).verdict).to.equal(Verdict.TooFewParticipants);
  });

  it("judges a higher-is-better task in its own direction", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const governance = f.as(f.wallets.governance).models;
    // F1: at least 0.8, and at least 0.01 better than the deployed version (genesis 0.7).
    const policy = { metricId: stringToHex("f1", { size: 32 }), higherIsBetter: true, threshold: 800_000n, minImprovement: 10_000n, minParticipants: 2, quorum: 2, ...noPrivacy };
    await f.send(governance.write.createTask(["f1-task", policy, "QmGenesisF1", weightsHashB, 700_000n]));
    const f1Task = (await governance.read.taskIds([1n, 1n]))[0]!;
    const roundWithMetric = async (metric: bigint) => {
      const roundId = await openRound(f, HOUR, f1Task);
      await commit(f, roundId, updateLeaves(f, 2));
      const versionId = await propose(f, roundId, metric);
      await attest(f, versionId, 1);
      return governance.read.version([versionId]);
    };
    expect((await roundWithMetric(799_999n)).verdict).to.equal(Verdict.ThresholdNotMet);
    expect((await roundWithMetric(805_000n)).status).to.equal(VersionStatus.Validated);
    expect((await roundWithMetric(814_999n)).verdict).to.equal(Verdict.InsufficientImprovement);
    expect((await roundWithMetric(815_000n)).status).to.equal(VersionStatus.Validated);
  });

  it("refuses a second attestation from the same oracle, and the proposer's own", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    await f.send(f.as(f.wallets.governance).models.write.setPolicy([f.taskId, { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: THRESHOLD, minImprovement: 500_000n, minParticipants: 2, quorum: 3, ...noPrivacy }]));
    const { versionId } = await proposedRound(f, 15_000_000n);
    const oracle0 = f.wallets.oracles[0]!.account.address;
    const oracle1 = f.wallets.oracles[1]!.account.address;
    await expectRevert(f.as(f.wallets.oracles[0]!).models.write.attest([versionId, weightsHashA]), "DuplicateAttestation", [versionId, oracle0]);
    await attest(f, versionId, 1);
    await expectRevert(f.as(f.wallets.oracles[1]!).models.write.attest([versionId, weightsHashA]), "DuplicateAttestation", [versionId, oracle1]);
  });

  it("records an attestation to a different hash as a dissent that does not count toward the quorum", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const { versionId } = await proposedRound(f, 15_000_000n);
    const receipt = await attest(f, versionId, 1, weightsHashB);
    const models = f.as(f.wallets.auditor).models;
    const version = await models.read.version([versionId]);
    expect(version.dissents).to.equal(1);
    expect(version.attestations).to.equal(1);
    expect(version.status).to.equal(VersionStatus.Proposed);
    expect(receipt.logs.length).to.equal(1);
    expect(await models.read.hasVoted([versionId, f.wallets.oracles[1]!.account.address])).to.equal(true);
    await attest(f, versionId, 2);
    expect(await models.read.deployedVersion([f.taskId])).to.equal(versionId);
  });

  it("refuses commitment, proposal and attestation after the round's deadline", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!);
    const late = await openRound(f, 60n);
    const deadline = (await oracle.models.read.round([late])).deadline;
    await networkHelpers.time.increaseTo(deadline + 1n);
    await expectRevert(oracle.updates.write.commitUpdates([late, weightsHashA, 2, "QmSealedUpdates"]), "RoundExpired", [late, deadline]);
    expect(await oracle.models.read.roundStatus([late])).to.equal(RoundStatus.Expired);

    const proposedLate = await proposedRound(f, 15_000_000n);
    const proposedDeadline = (await oracle.models.read.round([proposedLate.roundId])).deadline;
    await networkHelpers.time.increaseTo(proposedDeadline + 1n);
    await expectRevert(f.as(f.wallets.oracles[1]!).models.write.attest([proposedLate.versionId, weightsHashA]), "RoundExpired", [proposedLate.roundId, proposedDeadline]);

    const committedLate = await openRound(f, 60n);
    await commit(f, committedLate, updateLeaves(f, 2));
    await networkHelpers.time.increase(120n);
    await expectRevert(propose(f, committedLate, 15_000_000n), "RoundExpired");
    // The expired round is recorded as such when the next one opens.
    const next = await openRound(f);
    expect((await oracle.models.read.round([committedLate])).status).to.equal(RoundStatus.Expired);
    expect(await oracle.models.read.roundStatus([next])).to.equal(RoundStatus.Open);
  });

  it("allows one live round per task, on the deployed version only", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!);
    const live = await openRound(f);
    const now = await latestTimestamp(f);
    await expectRevert(oracle.models.write.openRound([f.taskId, 1n, now + HOUR]), "RoundStillLive", [live]);
    const { versionId } = await (async () => {
      await commit(f, live, updateLeaves(f, 2));
      return { versionId: await propose(f, live, 15_000_000n) };
    })();
    await attest(f, versionId, 1);
    await expectRevert(oracle.models.write.openRound([f.taskId, 1n, now + HOUR]), "BaseVersionNotDeployed", [1n, versionId]);
    await expectRevert(oracle.models.write.openRound([f.taskId, versionId, now - 1n]), "DeadlineNotInFuture");
    await expectRevert(oracle.models.write.openRound([weightsHashB, 1n, now + HOUR]), "UnknownTask", [weightsHashB]);
  });

  it("refuses proposals that do not match the recorded participation", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!);
    const roundId = await openRound(f);
    await expectRevert(propose(f, roundId, 15_000_000n), "NoParticipants", [roundId]);
    const tree = await commit(f, roundId, updateLeaves(f, 2));
    await expectRevert(oracle.models.write.proposeModel([roundId, { cid: "QmM", weightsHash: weightsHashA, metric: 1n, participantsRoot: weightsHashB, xaiReportCid: "" }]), "ParticipantsRootMismatch", [tree.root, weightsHashB]);
    await expectRevert(oracle.models.write.proposeModel([roundId, { cid: "", weightsHash: weightsHashA, metric: 1n, participantsRoot: tree.root as Hex, xaiReportCid: "" }]), "InvalidModel");
    await propose(f, roundId, 15_000_000n);
    await expectRevert(propose(f, roundId, 15_000_000n), "InvalidRoundStatus");
    await expectRevert(oracle.models.write.attest([999n, weightsHashA]), "VersionNotProposed");
    await expectRevert(oracle.updates.write.commitUpdates([roundId, weightsHashA, 2, "QmSealedUpdates"]), "InvalidRoundStatus");
  });

  it("deploys immediately on proposal when the quorum is one", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    await f.send(f.as(f.wallets.governance).models.write.setPolicy([f.taskId, { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: THRESHOLD, minImprovement: 0n, minParticipants: 1, quorum: 1, ...noPrivacy }]));
    const { versionId } = await proposedRound(f, 15_000_000n);
    expect(await f.as(f.wallets.auditor).models.read.deployedVersion([f.taskId])).to.equal(versionId);
  });

  it("validates task and policy input", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const models = f.as(f.wallets.governance).models;
    const good = { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: 1n, minImprovement: 0n, minParticipants: 1, quorum: 1, ...noPrivacy };
    await expectRevert(models.write.createTask(["cmapss-rul", good, "QmG", weightsHashA, 0n]), "TaskAlreadyExists");
    await expectRevert(models.write.createTask(["", good, "QmG", weightsHashA, 0n]), "InvalidTaskName");
    await expectRevert(models.write.createTask(["t", { ...good, quorum: 0 }, "QmG", weightsHashA, 0n]), "MalformedPolicy");
    await expectRevert(models.write.createTask(["t", good, "", weightsHashA, 0n]), "InvalidModel");
    await expectRevert(models.write.setPolicy([f.taskId, { ...good, minParticipants: 0 }]), "MalformedPolicy");
    await expectRevert(models.write.setPolicy([weightsHashA, good]), "UnknownTask");
    await expectRevert(models.read.deployedVersion([weightsHashA]), "UnknownTask");
    expect(await models.read.taskCount()).to.equal(1n);
    expect(await models.read.versionsOfTask([f.taskId, 5n, 10n])).to.deep.equal([]);
  });
});
