import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { keccak256, parseEventLogs, stringToHex, toBytes } from "viem";
import { encryptionKeyRegistryAbi } from "../../lib/chain/abis.generated.ts";
import { noPrivacy } from "../../lib/chain/policy.ts";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";
import { HOUR, commit, openRound, updateLeaves, weightsHashA } from "../helpers/rounds.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const RoundStatus = { Open: 1, Committed: 2, Expired: 7 } as const;
const basePolicy = { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: 20_000_000n, minImprovement: 0n, minParticipants: 2, quorum: 2 };
const publicKeyHash = keccak256(toBytes("public key bytes"));
const parametersHash = keccak256(toBytes("ckks 8192 [60,40,60] 2^40"));
const aggregateHash = keccak256(toBytes("aggregate ciphertext"));

async function encryptedTask(f: Fixture, minParticipants = 2) {
  await f.send(f.as(f.wallets.governance).models.write.setPolicy([f.taskId, { ...basePolicy, ...noPrivacy, minParticipants, encryptedAggregation: true }]));
}

async function publishKey(f: Fixture, cid = "QmKey1") {
  return f.send(f.as(f.wallets.keyHolder).encryptionKeys.write.publishKey([cid, publicKeyHash, parametersHash]));
}

/** An encrypted task with key 1 published and a round committed with 2 updates. */
async function committedEncryptedRound() {
  const f = await networkHelpers.loadFixture(deployAndSeed);
  await encryptedTask(f);
  await publishKey(f);
  const roundId = await openRound(f);
  await commit(f, roundId, updateLeaves(f, 2));
  return { f, roundId, keys: f.as(f.wallets.keyHolder).encryptionKeys };
}

describe("EncryptionKeyRegistry: CKKS keys and aggregate decryptions", () => {
  it("publishes keys; rotation activates the newest and keeps older ones readable", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const keys = f.as(f.wallets.auditor).encryptionKeys;
    expect(await keys.read.activeKeyId()).to.equal(0n);
    const receipt = await publishKey(f, "QmKey1");
    const [published] = parseEventLogs({ abi: encryptionKeyRegistryAbi, logs: receipt.logs, eventName: "KeyPublished" });
    expect(published!.args).to.deep.include({ keyId: 1n, holder: f.wallets.keyHolder.account.address, publicKeyCid: "QmKey1", publicKeyHash, parametersHash });
    await publishKey(f, "QmKey2");
    expect(await keys.read.activeKeyId()).to.equal(2n);
    expect((await keys.read.key([1n])).publicKeyCid).to.equal("QmKey1");
    expect((await keys.read.key([2n])).publicKeyCid).to.equal("QmKey2");
    await expectRevert(keys.read.key([3n]), "UnknownKey", [3n]);
    await expectRevert(keys.read.key([0n]), "UnknownKey", [0n]);
  });

  it("refuses a key without a CID, a public key hash or a parameters hash", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const keys = f.as(f.wallets.keyHolder).encryptionKeys;
    await expectRevert(keys.write.publishKey(["", publicKeyHash, parametersHash]), "InvalidKey");
    await expectRevert(keys.write.publishKey(["QmKey", `0x${"00".repeat(32)}`, parametersHash]), "InvalidKey");
    await expectRevert(keys.write.publishKey(["QmKey", publicKeyHash, `0x${"00".repeat(32)}`]), "InvalidKey");
  });

  it("records one decryption of a committed round of an encrypted task, with the hashes", async () => {
    const { f, roundId, keys } = await committedEncryptedRound();
    const receipt = await f.send(keys.write.recordDecryption([roundId, 1n, aggregateHash, weightsHashA, "QmAggregate"]));
    const [event] = parseEventLogs({ abi: encryptionKeyRegistryAbi, logs: receipt.logs, eventName: "AggregateDecrypted" });
    expect(event!.args).to.deep.include({ roundId, keyId: 1n, holder: f.wallets.keyHolder.account.address, aggregateHash, resultHash: weightsHashA, resultCid: "QmAggregate" });
    const record = await keys.read.decryptionOf([roundId]);
    expect(record).to.deep.include({ keyId: 1n, aggregateHash, resultHash: weightsHashA, resultCid: "QmAggregate" });
    expect(record.recordedAt).to.equal(Number(receipt.blockNumber));
    await expectRevert(keys.write.recordDecryption([roundId, 1n, aggregateHash, weightsHashA, "QmAggregate"]), "DecryptionAlreadyRecorded", [roundId]);
  });

  it("refuses to record a decryption for a round that is not committed, too small, expired or of a plaintext task", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    await publishKey(f);
    const keys = f.as(f.wallets.keyHolder).encryptionKeys;
    const record = (roundId: bigint) => keys.write.recordDecryption([roundId, 1n, aggregateHash, weightsHashA, "QmAggregate"]);

    const plaintextRound = await openRound(f);
    await commit(f, plaintextRound, updateLeaves(f, 2));
    await expectRevert(record(plaintextRound), "NotEncryptedTask", [f.taskId]);
    await networkHelpers.time.increase(HOUR + 1n);

    await encryptedTask(f, 3);
    const open = await openRound(f);
    await expectRevert(record(open), "RoundNotCommitted", [open, RoundStatus.Open]);
    await commit(f, open, updateLeaves(f, 2));
    await expectRevert(record(open), "TooFewCommittedUpdates", [open, 2, 3]);
    await networkHelpers.time.increase(HOUR + 1n);
    await expectRevert(record(open), "RoundNotCommitted", [open, RoundStatus.Expired]);
    await expectRevert(record(99n), "RoundNotCommitted", [99n, 0]);
  });

  it("refuses an unknown key and empty hashes or CID", async () => {
    const { roundId, keys } = await committedEncryptedRound();
    const zero = `0x${"00".repeat(32)}` as const;
    await expectRevert(keys.write.recordDecryption([roundId, 2n, aggregateHash, weightsHashA, "QmAggregate"]), "UnknownKey", [2n]);
    await expectRevert(keys.write.recordDecryption([roundId, 0n, aggregateHash, weightsHashA, "QmAggregate"]), "UnknownKey", [0n]);
    await expectRevert(keys.write.recordDecryption([roundId, 1n, zero, weightsHashA, "QmAggregate"]), "InvalidDecryption");
    await expectRevert(keys.write.recordDecryption([roundId, 1n, aggregateHash, zero, "QmAggregate"]), "InvalidDecryption");
    await expectRevert(keys.write.recordDecryption([roundId, 1n, aggregateHash, weightsHashA, ""]), "InvalidDecryption");
  });

  it("stores the privacy options in the policy and refuses noise without a clip norm", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const models = f.as(f.wallets.governance).models;
    await f.send(models.write.setPolicy([f.taskId, { ...basePolicy, encryptedAggregation: true, dpClipNorm: 1_000_000, dpNoiseMultiplier: 800_000 }]));
    expect(await models.read.policyOf([f.taskId])).to.deep.include({ encryptedAggregation: true, dpClipNorm: 1_000_000, dpNoiseMultiplier: 800_000 });
    await expectRevert(models.write.setPolicy([f.taskId, { ...basePolicy, encryptedAggregation: false, dpClipNorm: 0, dpNoiseMultiplier: 500_000 }]), "MalformedPolicy");
    await expectRevert(models.read.policyOf([weightsHashA]), "UnknownTask", [weightsHashA]);
  });
});
