import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { createWalletClient, custom, parseEventLogs, type Address, type Hex } from "viem";
import { orderScoreChanges } from "../../lib/chain/reputation-batch.ts";
import { makeFixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";
import { openRound } from "../helpers/rounds.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

/** The batch in the order applyRoundChanges requires; these tests' devices all belong to organisation 1. */
const inOrder = <T extends { deviceAccount: Address; delta: number; reason: number }>(changes: T[]): T[] => orderScoreChanges(changes, () => 1);

describe("Reputation", () => {
  it("starts everyone at the start score and moves devices and their organisation together", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const [a, b] = [f.seed.devices[0]!.address, f.seed.devices[1]!.address];
    expect(await oracle.read.deviceScore([a])).to.equal(500);
    const roundId = await openRound(f);
    await f.send(oracle.write.applyRoundChanges([roundId, inOrder([{ deviceAccount: a, delta: 40, reason: 1 }, { deviceAccount: b, delta: -25, reason: 3 }])]));
    expect(await oracle.read.deviceScore([a])).to.equal(540);
    expect(await oracle.read.deviceScore([b])).to.equal(475);
    expect(await oracle.read.organisationScore([1])).to.equal(515);
    expect(await oracle.read.isRoundScored([roundId])).to.equal(true);
  });

  it("changes scores once per round, and only for known rounds and devices", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const a = f.seed.devices[0]!.address;
    const roundId = await openRound(f);
    await f.send(oracle.write.applyRoundChanges([roundId, [{ deviceAccount: a, delta: 1, reason: 1 }]]));
    await expectRevert(oracle.write.applyRoundChanges([roundId, [{ deviceAccount: a, delta: 1, reason: 1 }]]), "RoundAlreadyScored", [roundId]);
    await expectRevert(oracle.write.applyRoundChanges([77n, [{ deviceAccount: a, delta: 1, reason: 1 }]]), "UnknownRound", [77n]);
    await expectRevert(oracle.write.applyRoundChanges([roundId + 1n, []]), "EmptyBatch");
    const ghost = "0x000000000000000000000000000000000000dEaD";
    const round2 = await (async () => { await networkHelpers.time.increase(3601n); return openRound(f); })();
    await expectRevert(oracle.write.applyRoundChanges([round2, [{ deviceAccount: ghost, delta: 1, reason: 1 }]]), "UnknownDevice", [ghost]);
    const tooMany = Array.from({ length: 1025 }, () => ({ deviceAccount: a, delta: 0, reason: 0 }));
    await expectRevert(oracle.write.applyRoundChanges([round2, tooMany]), "BatchTooLarge", [1025n, 1024n]);
  });

  it("takes a batch only by organisation, then device address, so no device is scored twice in a round", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const change = (device: { address: Address }) => ({ deviceAccount: device.address, delta: 10, reason: 1 });
    const [low, high] = inOrder(f.seed.devices.filter((d) => d.organisationId === 1).slice(0, 2).map(change));
    const other = change(f.seed.devices.find((d) => d.organisationId === 2)!);
    const roundId = await openRound(f);
    await expectRevert(oracle.write.applyRoundChanges([roundId, [high!, low!]]), "UnorderedBatch", [1n]);
    await expectRevert(oracle.write.applyRoundChanges([roundId, [low!, high!, high!]]), "UnorderedBatch", [2n]);
    await expectRevert(oracle.write.applyRoundChanges([roundId, [other, low!, high!]]), "UnorderedBatch", [1n]);
    expect(await oracle.read.isRoundScored([roundId])).to.equal(false);
    await f.send(oracle.write.applyRoundChanges([roundId, [low!, high!, other]]));
    expect(await oracle.read.deviceScore([low!.deviceAccount])).to.equal(510);
    expect(await oracle.read.organisationScore([1])).to.equal(520);
    expect(await oracle.read.organisationScore([2])).to.equal(510);
  });

  it("records an organisation's net change over the batch as one event, clamping after every change", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    await f.send(f.as(f.wallets.governance).reputation.write.setSuspendThreshold([0]));
    const [a, b] = f.seed.devices.filter((d) => d.organisationId === 1).map((d) => d.address);
    const batch = inOrder([{ deviceAccount: a!, delta: 700, reason: 1 }, { deviceAccount: b!, delta: -300, reason: 3 }]);
    // The organisation clamps between its devices' changes, in batch order: 500 → 1000 (not 1200) → 700, or 500 → 200 → 900.
    let expected = 500;
    for (const change of batch) expected = Math.min(1000, Math.max(0, expected + change.delta));
    const roundId = await openRound(f);
    const receipt = await f.send(oracle.write.applyRoundChanges([roundId, batch]));
    const events = parseEventLogs({ abi: oracle.abi, logs: receipt.logs, eventName: "ScoreChanged" });
    expect(events.filter((e) => e.args.subject === 0).map((e) => e.args.score)).to.deep.equal(batch.map((change) => Math.min(1000, Math.max(0, 500 + change.delta))));
    const organisationEvents = events.filter((e) => e.args.subject === 1).map((e) => [e.args.previous, e.args.score, e.args.reason]);
    expect(organisationEvents).to.deep.equal([[500, expected, 0]]);
    expect(await oracle.read.organisationScore([1])).to.equal(expected);
  });

  it("keeps device scores in the registry's device record, which only the Reputation contract writes", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const devices = f.as(f.wallets.auditor).devices;
    const a = f.seed.devices[0]!.address;
    expect((await devices.read.device([a])).reputationScored).to.equal(false);
    await f.send(oracle.write.applyRoundChanges([await openRound(f), [{ deviceAccount: a, delta: -7, reason: 3 }]]));
    const record = await devices.read.device([a]);
    expect([record.reputationScore, record.reputationScored]).to.deep.equal([493, true]);
    // Packed: organisation id, score << 32, scored << 48, status << 49.
    expect((await devices.read.scoringRecords([[a]]))[0]).to.equal(1n | (493n << 32n) | (1n << 48n) | (1n << 49n));
    // The Reputation contract's own calls are checked too: arrays that pair up, and registered devices only.
    await networkHelpers.impersonateAccount(f.addresses.Reputation);
    await networkHelpers.setBalance(f.addresses.Reputation, 10n ** 18n);
    const asReputation = f.as(createWalletClient({ account: f.addresses.Reputation, chain: f.clients.publicClient.chain, transport: custom(connection.provider, { retryCount: 0 }) }) as unknown as typeof f.wallets.governance).devices;
    await expectRevert(asReputation.write.recordReputationScores([[a], [1, 2]]), "LengthMismatch", [1n, 2n]);
    const ghost = "0x000000000000000000000000000000000000dEaD";
    await expectRevert(asReputation.write.recordReputationScores([[ghost], [1]]), "UnknownDevice", [ghost]);
  });

  it("clamps scores to 0..1000", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const a = f.seed.devices[0]!.address;
    await f.send(f.as(f.wallets.governance).reputation.write.setSuspendThreshold([0]));
    let roundId = await openRound(f);
    await f.send(oracle.write.applyRoundChanges([roundId, [{ deviceAccount: a, delta: 32_000, reason: 1 }]]));
    expect(await oracle.read.deviceScore([a])).to.equal(1000);
    await networkHelpers.time.increase(3601n);
    roundId = await openRound(f);
    await f.send(oracle.write.applyRoundChanges([roundId, [{ deviceAccount: a, delta: -32_000, reason: 2 }]]));
    expect(await oracle.read.deviceScore([a])).to.equal(0);
    expect(await oracle.read.organisationScore([1])).to.equal(0);
    await expectRevert(f.as(f.wallets.governance).reputation.write.setStartScore([1001]), "ScoreOutOfRange", [1001]);
    await expectRevert(f.as(f.wallets.governance).reputation.write.setSuspendThreshold([1001]), "ScoreOutOfRange", [1001]);
  });

  it("suspends a device that falls below the threshold in the same transaction; only ADMIN lifts it", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const [a, b] = [f.seed.devices[0]!.address, f.seed.devices[1]!.address];
    const roundId = await openRound(f);
    // Threshold 200: a drops to 199 and is suspended; b drops to exactly 200 and stays active.
    await f.send(oracle.write.applyRoundChanges([roundId, inOrder([{ deviceAccount: a, delta: -301, reason: 3 }, { deviceAccount: b, delta: -300, reason: 3 }])]));
    const devices = f.as(f.wallets.members[0]!).devices;
    const record = await devices.read.device([a]);
    expect(record.status).to.equal(2);
    expect(record.reputationHold).to.equal(true);
    expect((await devices.read.device([b])).status).to.equal(1);
    await expectRevert(devices.write.reactivateDevice([a]), "ReputationHold", [a]);
    await f.send(f.as(f.wallets.governance).devices.write.reactivateDevice([a]));
    expect(await devices.read.isActive([a])).to.equal(true);
    // A device already suspended is left as it is.
    await f.send(devices.write.suspendDevice([b]));
    await networkHelpers.time.increase(3601n);
    const round2 = await openRound(f);
    await f.send(oracle.write.applyRoundChanges([round2, [{ deviceAccount: b, delta: -100, reason: 3 }]]));
    expect((await devices.read.device([b])).reputationHold).to.equal(false);
  });
});

describe("ProvenanceAnchor", () => {
  async function anchored() {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const readings = Array.from({ length: 1024 }, (_, i) => [BigInt(1_700_000_000 + i), BigInt(641_000 + (i % 7))] as [bigint, bigint]);
    const tree = StandardMerkleTree.of(readings, ["uint256", "int256"], { sortLeaves: false });
    const header = { deviceAccount: f.seed.devices[0]!.address, startTime: 1_700_000_000n, endTime: 1_700_001_023n, readingCount: 1024, root: tree.root as Hex, dataCid: "QmWindowData" };
    const gateway = f.wallets.gateways[0]!;
    await f.send(f.as(gateway).provenance.write.anchorWindow([header]));
    return { f, tree, header, gateway: gateway.account.address, provenance: f.as(f.wallets.auditor).provenance };
  }

  it("verifies a reading's inclusion against the anchored window, at proof depth 10", async () => {
    const { tree, header, gateway, provenance } = await anchored();
    expect(await provenance.read.windowCount()).to.equal(1n);
    const proof = tree.getProof(517) as Hex[];
    expect(proof.length).to.equal(10);
    expect(await provenance.read.verifyReading([1n, header, gateway, tree.leafHash(tree.at(517)!) as Hex, proof])).to.equal(true);
    expect(await provenance.read.windowDigest([1n])).to.equal(await provenance.read.headerDigest([header, gateway]));
  });

  it("rejects a tampered reading, a wrong header, a wrong gateway and an unknown window", async () => {
    const { f, tree, header, gateway, provenance } = await anchored();
    const proof = tree.getProof(517) as Hex[];
    const leaf = tree.leafHash(tree.at(517)!) as Hex;
    const [time, value] = tree.at(517)!;
    const tampered = StandardMerkleTree.of([[time, value + 1n]], ["uint256", "int256"]).leafHash([time, value + 1n]) as Hex;
    expect(await provenance.read.verifyReading([1n, header, gateway, tampered, proof]), "tampered").to.equal(false);
    expect(await provenance.read.verifyReading([1n, { ...header, dataCid: "QmOther" }, gateway, leaf, proof]), "other data").to.equal(false);
    expect(await provenance.read.verifyReading([1n, { ...header, readingCount: 1023 }, gateway, leaf, proof]), "other count").to.equal(false);
    expect(await provenance.read.verifyReading([1n, header, f.wallets.gateways[1]!.account.address, leaf, proof]), "other gateway").to.equal(false);
    expect(await provenance.read.verifyReading([2n, header, gateway, leaf, proof]), "unknown window").to.equal(false);
  });

  it("refuses windows of inactive devices and malformed windows", async () => {
    const { f, header } = await anchored();
    const gateway = f.as(f.wallets.gateways[0]!).provenance;
    await f.send(f.as(f.wallets.members[0]!).devices.write.revokeDevice([header.deviceAccount]));
    await expectRevert(gateway.write.anchorWindow([header]), "DeviceNotActive", [header.deviceAccount]);
    const other = { ...header, deviceAccount: f.seed.devices[2]!.address };
    await expectRevert(gateway.write.anchorWindow([{ ...other, root: `0x${"00".repeat(32)}` }]), "InvalidWindow");
    await expectRevert(gateway.write.anchorWindow([{ ...other, readingCount: 0 }]), "InvalidWindow");
    await expectRevert(gateway.write.anchorWindow([{ ...other, startTime: 5n, endTime: 4n }]), "InvalidWindow");
  });

  it("anchors a batch of windows under consecutive ids, each verifiable", async () => {
    const { f, tree, header, gateway } = await anchored();
    const batch = [0, 1, 2].map((i) => ({ ...header, deviceAccount: f.seed.devices[i]!.address, dataCid: `QmBatch${i}` }));
    const receipt = await f.send(f.as(f.wallets.gateways[0]!).provenance.write.anchorWindows([batch]));
    const events = parseEventLogs({ abi: f.as(f.wallets.auditor).provenance.abi, logs: receipt.logs, eventName: "WindowAnchored" });
    expect(events.map((event) => event.args.windowId)).to.deep.equal([2n, 3n, 4n]);
    expect(events.map((event) => event.args.deviceAccount)).to.deep.equal(batch.map((window) => window.deviceAccount));
    const provenance = f.as(f.wallets.auditor).provenance;
    expect(await provenance.read.windowCount()).to.equal(4n);
    const proof = tree.getProof(3) as Hex[];
    const leaf = tree.leafHash(tree.at(3)!) as Hex;
    expect(await provenance.read.verifyReading([3n, batch[1]!, gateway, leaf, proof])).to.equal(true);
    expect(await provenance.read.verifyReading([3n, batch[2]!, gateway, leaf, proof]), "another window's header").to.equal(false);
  });

  it("refuses an empty or oversized batch, and reverts a whole batch with one inactive device", async () => {
    const { f, header } = await anchored();
    const gateway = f.as(f.wallets.gateways[0]!).provenance;
    await expectRevert(gateway.write.anchorWindows([[]]), "EmptyBatch");
    const maxBatch = await gateway.read.MAX_BATCH();
    await expectRevert(gateway.write.anchorWindows([Array.from({ length: Number(maxBatch) + 1 }, () => header)]), "BatchTooLarge", [maxBatch + 1n, maxBatch]);
    const revoked = f.seed.devices[1]!.address;
    await f.send(f.as(f.wallets.members[0]!).devices.write.revokeDevice([revoked]));
    await expectRevert(gateway.write.anchorWindows([[header, { ...header, deviceAccount: revoked }]]), "DeviceNotActive", [revoked]);
    expect(await gateway.read.windowCount(), "nothing of the reverted batch is anchored").to.equal(1n);
  });
});
