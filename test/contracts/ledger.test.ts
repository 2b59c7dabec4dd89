import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toBytes, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildUpdateTree, type UpdateLeaf } from "../../lib/chain/update-tree.ts";
import { signModelUpdate, type ModelUpdate } from "../../lib/chain/typed-data.ts";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";
import { HOUR, commit, latestTimestamp, openRound, propose, updateLeaves, weightsHashA } from "../helpers/rounds.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const RoundStatus = { Open: 1, Committed: 2, Proposed: 3, Voided: 6 } as const;

async function signedUpdate(f: Fixture, roundId: bigint, deviceIndex: number, overrides: Partial<ModelUpdate> = {}, ledger = f.addresses.UpdateLedger) {
  const update: ModelUpdate = {
    taskId: f.taskId,
    roundId,
    baseVersion: 1n,
    updateCid: `QmUpdate${deviceIndex}`,
    weightsHash: keccak256(toBytes(`w${deviceIndex}`)),
    sampleCount: 150n,
    metrics: [14_200_000n, -3n],
    nonce: BigInt(deviceIndex + 1),
    deadline: (await latestTimestamp(f)) + HOUR,
    ...overrides,
  };
  const signature = await signModelUpdate(privateKeyToAccount(f.seed.devices[deviceIndex]!.privateKey), f.clients.publicClient.chain.id, ledger, update);
  return { update, signature };
}

describe("UpdateLedger: per-device submissions", () => {
  it("accepts a device-signed update and folds it into the round's running digest", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!);
    const roundId = await openRound(f);
    const first = await signedUpdate(f, roundId, 0);
    const second = await signedUpdate(f, roundId, 1);
    expect(await oracle.updates.read.updateDigest([first.update])).to.be.a("string");
    await f.send(oracle.updates.write.submitUpdate([first.update, first.signature]));
    await f.send(oracle.updates.write.submitUpdate([second.update, second.signature]));
    const device0 = f.seed.devices[0]!.address;
    const leaf0 = await oracle.updates.read.submissionOf([roundId, device0]);
    expect(leaf0).to.equal(await oracle.updates.read.updateLeaf([device0, first.update.weightsHash, first.update.updateCid, first.update.sampleCount, first.update.nonce]));
    const round = await oracle.models.read.round([roundId]);
    expect(round.participantCount).to.equal(2);
    expect(round.committed).to.equal(false);
    expect(await oracle.updates.read.isNonceUsed([device0, 1n])).to.equal(true);
    // A proposal over submissions names their digest, and deploys like any other.
    const versionId = await propose(f, roundId, 15_000_000n);
    await f.send(f.as(f.wallets.oracles[1]!).models.write.attest([versionId, weightsHashA]));
    expect(await oracle.models.read.deployedVersion([f.taskId])).to.equal(versionId);
  });

  it("refuses a replayed nonce, a duplicate, an expired signature and a mismatched round", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).updates;
    const roundId = await openRound(f);
    const device0 = f.seed.devices[0]!.address;
    const { update, signature } = await signedUpdate(f, roundId, 0);
    await f.send(oracle.write.submitUpdate([update, signature]));
    await expectRevert(oracle.write.submitUpdate([update, signature]), "NonceAlreadyUsed", [device0, update.nonce]);
    const again = await signedUpdate(f, roundId, 0, { nonce: 99n });
    await expectRevert(oracle.write.submitUpdate([again.update, again.signature]), "DuplicateSubmission", [roundId, device0]);
    const expired = await signedUpdate(f, roundId, 1, { deadline: (await latestTimestamp(f)) - 1n });
    await expectRevert(oracle.write.submitUpdate([expired.update, expired.signature]), "SignatureExpired");
    const wrongBase = await signedUpdate(f, roundId, 1, { baseVersion: 7n });
    await expectRevert(oracle.write.submitUpdate([wrongBase.update, wrongBase.signature]), "BaseVersionMismatch", [1n, 7n]);
    const wrongTask = await signedUpdate(f, roundId, 1, { taskId: weightsHashA });
    await expectRevert(oracle.write.submitUpdate([wrongTask.update, wrongTask.signature]), "TaskMismatch");
    const empty = await signedUpdate(f, roundId, 1, { sampleCount: 0n });
    await expectRevert(oracle.write.submitUpdate([empty.update, empty.signature]), "InvalidUpdate");
  });

  it("refuses a tampered update, a signature for another contract, and an inactive device", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).updates;
    const roundId = await openRound(f);
    const { update, signature } = await signedUpdate(f, roundId, 0);
    // Changing any signed field changes the recovered signer, which is no registered device.
    await expectRevert(oracle.write.submitUpdate([{ ...update, sampleCount: 1_000_000n }, signature]), "DeviceNotActive");
    const elsewhere = await signedUpdate(f, roundId, 0, {}, f.addresses.ModelRegistry);
    await expectRevert(oracle.write.submitUpdate([elsewhere.update, elsewhere.signature]), "DeviceNotActive");
    await f.send(f.as(f.wallets.members[0]!).devices.write.suspendDevice([f.seed.devices[1]!.address]));
    const suspended = await signedUpdate(f, roundId, 1);
    await expectRevert(oracle.write.submitUpdate([suspended.update, suspended.signature]), "DeviceNotActive", [f.seed.devices[1]!.address]);
  });
});

describe("UpdateLedger: Merkle commitments", () => {
  it("commits 1,000 updates in one transaction; valid proofs verify and forged ones do not", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const roundId = await openRound(f);
    const leaves: UpdateLeaf[] = Array.from({ length: 1000 }, (_, i) => ({
      device: privateKeyToAccount(keccak256(toBytes(`device-${i}`))).address,
      contentHash: keccak256(toBytes(`update-${i}`)),
      cid: `QmUpdate${i}`,
      sampleCount: BigInt(100 + i),
      nonce: BigInt(i),
    }));
    const tree = await commit(f, roundId, leaves);
    const ledger = f.as(f.wallets.auditor).updates;
    const round = await f.as(f.wallets.auditor).models.read.round([roundId]);
    expect(round.participantCount).to.equal(1000);
    expect(round.participantsRoot).to.equal(tree.root);
    for (const index of [0, 1, 499, 998, 999]) {
      const value = tree.at(index)!;
      expect(await ledger.read.verifyInclusion([roundId, ...value, tree.getProof(index) as Hex[]]), `leaf ${index}`).to.equal(true);
    }
    const [device, contentHash, cid, samples, nonce] = tree.at(10)!;
    const proof = tree.getProof(10) as Hex[];
    expect(await ledger.read.verifyInclusion([roundId, device, contentHash, cid, samples + 1n, nonce, proof]), "inflated sample count").to.equal(false);
    expect(await ledger.read.verifyInclusion([roundId, device, keccak256(toBytes("other")), cid, samples, nonce, proof]), "other content").to.equal(false);
    expect(await ledger.read.verifyInclusion([roundId, device, contentHash, cid, samples, nonce, tree.getProof(11) as Hex[]]), "another leaf's proof").to.equal(false);
    expect(await ledger.read.verifyInclusion([roundId, device, contentHash, cid, samples, nonce, proof.slice(1)]), "truncated proof").to.equal(false);
    expect(await ledger.read.verifyInclusion([roundId + 1n, device, contentHash, cid, samples, nonce, proof]), "uncommitted round").to.equal(false);
  });

  it("builds the same root whatever order the updates arrived in, matching OpenZeppelin's StandardMerkleTree", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => ({ device: privateKeyToAccount(keccak256(toBytes(`d${i}`))).address, contentHash: keccak256(toBytes(`${i}`)), cid: `Qm${i}`, sampleCount: BigInt(i + 1), nonce: 0n }));
    const root = buildUpdateTree(leaves).root;
    expect(buildUpdateTree([...leaves].reverse()).root).to.equal(root);
    const sorted = [...leaves].sort((a, b) => a.device.toLowerCase().localeCompare(b.device.toLowerCase()));
    const reference = StandardMerkleTree.of(sorted.map((l) => [l.device, l.contentHash, l.cid, l.sampleCount, l.nonce]), ["address", "bytes32", "string", "uint256", "uint256"], { sortLeaves: false });
    expect(reference.root).to.equal(root);
    expect(() => buildUpdateTree([])).to.throw(/no accepted updates/);
  });

  it("voids a round whose commitment holds a revoked device, on a fraud proof from anyone", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const roundId = await openRound(f);
    const leaves = updateLeaves(f, 3);
    const revoked = leaves[1]!.device;
    await f.send(f.as(f.wallets.members[0]!).devices.write.revokeDevice([revoked]));
    const tree = await commit(f, roundId, leaves);
    const versionId = await propose(f, roundId, 15_000_000n);
    const [index, value] = [...tree.entries()].find(([, v]) => v[0] === revoked)!;
    const challenger = f.as(f.wallets.outsider).updates;
    await f.send(challenger.write.challengeCommitment([roundId, ...value, tree.getProof(index) as Hex[]]));
    const models = f.as(f.wallets.auditor).models;
    expect(await models.read.roundStatus([roundId])).to.equal(RoundStatus.Voided);
    expect((await models.read.version([versionId])).status).to.equal(3);
    await expectRevert(f.as(f.wallets.oracles[1]!).models.write.attest([versionId, weightsHashA]), "VersionNotProposed");
    expect(await models.read.deployedVersion([f.taskId])).to.equal(1n);
    // The task is free for a new round at once.
    await openRound(f);
  });

  it("names the reason for an unregistered or suspended device, and refuses challenges that prove nothing", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const ledger = f.as(f.wallets.outsider).updates;
    const ghost = privateKeyToAccount(keccak256(toBytes("ghost"))).address;
    const leaves = [...updateLeaves(f, 3), { device: ghost, contentHash: weightsHashA, cid: "QmGhost", sampleCount: 1n, nonce: 0n }];
    const suspended = leaves[2]!.device;
    await f.send(f.as(f.wallets.members[1]!).devices.write.suspendDevice([suspended]));
    const roundId = await openRound(f);
    const tree = await commit(f, roundId, leaves);
    const proofFor = (device: string) => {
      const [index, value] = [...tree.entries()].find(([, v]) => v[0] === device)!;
      return [value, tree.getProof(index) as Hex[]] as const;
    };
    const [activeValue, activeProof] = proofFor(leaves[0]!.device);
    await expectRevert(ledger.write.challengeCommitment([roundId, ...activeValue, activeProof]), "DeviceWasEligible", [leaves[0]!.device]);
    await expectRevert(ledger.write.challengeCommitment([roundId, ...activeValue, proofFor(ghost)[1]]), "InvalidProof");
    await expectRevert(ledger.write.challengeCommitment([roundId + 5n, ...activeValue, activeProof]), "NotACommittedRound", [roundId + 5n]);
    const [ghostValue, ghostProof] = proofFor(ghost);
    const receipt = await f.send(ledger.write.challengeCommitment([roundId, ...ghostValue, ghostProof]));
    expect(receipt.status).to.equal("success");
    await expectRevert(ledger.write.challengeCommitment([roundId, ...proofFor(suspended)[0], proofFor(suspended)[1]]), "InvalidRoundStatus");

    const next = await openRound(f);
    const nextTree = await commit(f, next, leaves.slice(0, 3));
    const [index, value] = [...nextTree.entries()].find(([, v]) => v[0] === suspended)!;
    await f.send(ledger.write.challengeCommitment([next, ...value, nextTree.getProof(index) as Hex[]]));
    expect(await f.as(f.wallets.auditor).models.read.roundStatus([next])).to.equal(RoundStatus.Voided);
  });

  it("does not blame a device revoked after the commitment", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const roundId = await openRound(f);
    const leaves = updateLeaves(f, 2);
    const tree = await commit(f, roundId, leaves);
    await f.send(f.as(f.wallets.members[0]!).devices.write.revokeDevice([leaves[0]!.device]));
    const [index, value] = [...tree.entries()].find(([, v]) => v[0] === leaves[0]!.device)!;
    await expectRevert(f.as(f.wallets.outsider).updates.write.challengeCommitment([roundId, ...value, tree.getProof(index) as Hex[]]), "DeviceWasEligible");
    expect(await f.as(f.wallets.auditor).models.read.roundStatus([roundId])).to.equal(RoundStatus.Committed);
  });

  it("refuses an empty commitment and a second one", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).updates;
    const roundId = await openRound(f);
    await expectRevert(oracle.write.commitUpdates([roundId, weightsHashA, 0, "QmSealedUpdates"]), "EmptyCommitment");
    await expectRevert(oracle.write.commitUpdates([roundId, `0x${"00".repeat(32)}`, 3, "QmSealedUpdates"]), "EmptyCommitment");
    await expectRevert(oracle.write.commitUpdates([roundId, weightsHashA, 3, ""]), "EmptyCommitment");
    const { update, signature } = await signedUpdate(f, roundId, 0);
    await f.send(oracle.write.submitUpdate([update, signature]));
    await expectRevert(oracle.write.commitUpdates([roundId, weightsHashA, 3, "QmSealedUpdates"]), "InvalidRoundStatus", [roundId, RoundStatus.Open]);
    await expectRevert(oracle.write.commitUpdates([999n, weightsHashA, 3, "QmSealedUpdates"]), "UnknownRound", [999n]);
  });
});
