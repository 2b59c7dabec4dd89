import { expect } from "chai";
import { network } from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createPublicClient, custom, keccak256, parseEventLogs, toBytes, type Address, type Hex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { accessManagerAbi, deviceRegistryAbi, provenanceAnchorAbi } from "../../lib/chain/abis.generated.ts";
import type { Wallet } from "../../lib/chain/clients.ts";
import { createLogReader, readEventLogs } from "../../lib/chain/logs.ts";
import { Role } from "../../lib/chain/roles.ts";
import { DeviceStatus } from "../../lib/chain/status.ts";
import { kuboCidOf } from "../../lib/ipfs/kubo-cid.ts";
import { openContentStore } from "../../lib/ipfs/store.ts";
import {
  checkAnchorDigest,
  checkNames,
  checkReadingOffchain,
  describeReport,
  deviceStateAt,
  readDeviceHistory,
  roleMembershipAt,
  findWindowAnchor,
  readDeviceStateAt,
  readRoleHistory,
  readRoleMembershipAt,
  roleMembersAt,
  verifyReadingProvenance,
  type ProvenanceReport,
} from "../../lib/provenance/index.ts";
import { encodeWindowDocument, windowDocument, type WindowDocument } from "../../lib/telemetry/document.ts";
import { buildReadingTree, readingLeaf, readingProof, verifyReadingProof, type RawRow } from "../../lib/telemetry/merkle.ts";
import { signWindow, type SignedWindow, type WindowDraft } from "../../lib/telemetry/window.ts";
import { wrangleWindow } from "../../lib/telemetry/wrangle.ts";
import { makeFixture, testPlan, type Fixture } from "../helpers/fixture.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const dataDir = await mkdtemp(join(tmpdir(), "twinledger-provenance-"));
const { store } = await openContentStore({ dataDir });
after(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Org One's schema: T24 in degR, 640..645. The device reports it in kelvin (356 K ≈ 640.8 degR). */
const schema = testPlan.organisations[0]!.metadata.sensors;
const START = 1_700_000_000_000;
const ROWS = 13;

function draft(sequence: number): WindowDraft {
  const rows: RawRow[] = Array.from({ length: ROWS }, (_, i) => [START + sequence * 100_000 + i * 1000, i === 4 ? "356.05" : 356 + i * 0.01]);
  return { sequence, startTime: START + sequence * 100_000, endTime: START + sequence * 100_000 + (ROWS - 1) * 1000, timeFormat: "epoch-ms", channels: [{ name: "T24", unit: "K" }], rows };
}

interface Anchored {
  windowId: bigint;
  window: SignedWindow;
  stored: SignedWindow;
  document: WindowDocument;
  cid: string;
  blockNumber: bigint;
  transactionHash: Hex;
  gateway: Address;
}

/**
 * Signs a window with the device's key (or `signer`'s, claiming to be the device), lets `alter` change what is
 * stored, wrangles against the schema, stores the document on IPFS and anchors it as `gateway`.
 */
async function anchorWindow(f: Fixture, options: { sequence?: number; deviceIndex?: number; signer?: LocalAccount; alter?: (window: SignedWindow) => SignedWindow; gateway?: Wallet } = {}): Promise<Anchored> {
  const device = privateKeyToAccount(f.seed.devices[options.deviceIndex ?? 0]!.privateKey);
  const signer: LocalAccount = options.signer ? { ...options.signer, address: device.address } : device;
  const chainId = await f.clients.publicClient.getChainId();
  const window = await signWindow(signer, chainId, f.addresses.ProvenanceAnchor, draft(options.sequence ?? 1));
  const stored = options.alter ? options.alter(structuredClone(window)) : window;
  const gateway = options.gateway ?? f.wallets.gateways[0]!;
  const document = windowDocument(stored, wrangleWindow(stored, schema), gateway.account.address, Date.now());
  const cid = await store.addFile(encodeWindowDocument(document));
  const header = { deviceAccount: window.device, startTime: BigInt(window.startTime), endTime: BigInt(window.endTime), readingCount: window.rows.length, root: window.root, dataCid: cid };
  const receipt = await f.send(f.as(gateway).provenance.write.anchorWindow([header]));
  const [event] = parseEventLogs({ abi: provenanceAnchorAbi, eventName: "WindowAnchored", logs: receipt.logs });
  return { windowId: event!.args.windowId, window, stored, document, cid, blockNumber: receipt.blockNumber, transactionHash: receipt.transactionHash, gateway: gateway.account.address };
}

function sources(f: Fixture, extra: { maxBlockRange?: bigint; catTimeoutMs?: number } = {}) {
  return { client: f.clients.publicClient, store, addresses: f.addresses, ...extra };
}

const check = (report: ProvenanceReport, name: (typeof checkNames)[number]) => {
  const found = report.checks.find((candidate) => candidate.name === name);
  expect(found, `check ${name}`).to.not.equal(undefined);
  return found!;
};

const failedNames = (report: ProvenanceReport) => report.checks.filter((c) => !c.ok).map((c) => c.name);

const head = async (f: Fixture) => f.clients.publicClient.getBlockNumber({ cacheTime: 0 });

describe("reading provenance", () => {
  it("a genuine reading passes every check, with its whole evidence", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const anchored = await anchorWindow(f);
    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 4);

    expect(failedNames(report), describeReport(report).join("\n")).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(report.checks.map((c) => c.name)).to.deep.equal([...checkNames]);
    const seeded = f.seed.devices[0]!;
    const { evidence } = report;
    expect(evidence.windowId).to.equal(anchored.windowId);
    expect(evidence.blockNumber).to.equal(anchored.blockNumber);
    expect(evidence.transactionHash).to.equal(anchored.transactionHash);
    expect(evidence.gateway).to.equal(anchored.gateway);
    expect(evidence.device).to.equal(seeded.address);
    expect(evidence.firmwareHash).to.equal(seeded.firmwareHash);
    expect(evidence.dataCid).to.equal(anchored.cid);
    expect(evidence.root).to.equal(anchored.window.root);
    expect(evidence.leaf).to.equal(readingLeaf(4, anchored.window.rows[4]!));
    expect(evidence.proof).to.deep.equal(readingProof(buildReadingTree(anchored.window.rows), 4));
    expect(verifyReadingProof(anchored.window.root, evidence.leaf!, evidence.proof!)).to.equal(true);
    expect(evidence.gatewayRole?.member).to.equal(true);
    expect(evidence.deviceState?.statusName).to.equal("active");

    // The reading as sent (a string cell, in kelvin) and as normalised (degR).
    expect(report.reading?.raw).to.deep.equal([START + 100_000 + 4000, "356.05"]);
    expect(report.reading?.channels).to.deep.equal([{ name: "T24", unit: "K" }]);
    expect(report.reading?.normalised.timestamp).to.equal(START + 100_000 + 4000);
    expect(report.reading?.normalised.values[0]!.unit).to.equal("degR");
    expect(report.reading?.normalised.values[0]!.value).to.be.closeTo(356.05 * 1.8, 1e-9);
    expect(report.rpc.getLogsCalls).to.equal(3);
    expect(report.rpc.calls).to.equal(3 + 1 + 1 + 1 + 1 + 1); // 3 getLogs, head, digest, block, chain id, verifyReading
  });

  it("a row outside the window, an unknown window and a missing or malformed document fail with their reasons", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const anchored = await anchorWindow(f);
    const outside = await verifyReadingProvenance(sources(f), anchored.windowId, ROWS);
    expect(outside.ok).to.equal(false);
    expect(check(outside, "reading-index").reason).to.match(/reading 13 is not in the window, which has readings 0\.\.12/);
    expect(check(outside, "window-root").ok).to.equal(true);

    const unknown = await verifyReadingProvenance(sources(f), 99n, 0);
    expect(unknown.ok).to.equal(false);
    expect(check(unknown, "anchor").code).to.equal("no-anchor");
    expect(check(unknown, "anchor").reason).to.match(/no WindowAnchored event for window 99/);

    const gateway = f.as(f.wallets.gateways[0]!).provenance;
    const base = { deviceAccount: f.seed.devices[0]!.address, startTime: 1n, endTime: 2n, readingCount: 1, root: keccak256(toBytes("r")) };
    const absentCid = (await kuboCidOf(toBytes("never stored anywhere"))).toString();
    await f.send(gateway.write.anchorWindow([{ ...base, dataCid: absentCid }]));
    const missing = await verifyReadingProvenance(sources(f, { catTimeoutMs: 300 }), 2n, 0);
    expect(check(missing, "document").code).to.equal("document-unavailable");
    expect(check(missing, "document").reason).to.contain(absentCid);
    expect(check(missing, "anchor-digest").ok).to.equal(true);
    expect(check(missing, "proof-onchain").code).to.equal("not-checked");

    const junkCid = await store.addFile(toBytes(JSON.stringify({ format: "something else" })));
    await f.send(gateway.write.anchorWindow([{ ...base, dataCid: junkCid }]));
    const malformed = await verifyReadingProvenance(sources(f), 3n, 0);
    expect(check(malformed, "document").code).to.equal("document-malformed");
    expect(check(malformed, "document").reason).to.match(/is not a window document: window document is malformed/);
    expect(malformed.ok).to.equal(false);
  });

  it("a reading altered after signing fails as a window root mismatch, and its proof fails here and on chain", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const anchored = await anchorWindow(f, {
      alter: (window) => {
        window.rows[5] = [window.rows[5]![0], 357.5];
        return window;
      },
    });
    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 5);
    expect(report.ok).to.equal(false);
    expect(failedNames(report)).to.deep.equal(["window-root", "proof-offchain", "proof-onchain"]);
    expect(check(report, "window-root").code).to.equal("window-root-mismatch");
    expect(check(report, "window-root").reason).to.match(/readings hash to 0x[0-9a-f]{64}, not to the root 0x[0-9a-f]{64} the device signed: a reading was altered/);
    // The signature is over the root, which was not changed: it still verifies.
    expect(check(report, "device-signature").ok).to.equal(true);
    expect(report.reading?.raw).to.deep.equal([anchored.window.rows[5]![0], 357.5]);
    // An untouched reading of the tampered document cannot be proven either: its proof runs through the altered subtree.
    const neighbour = await verifyReadingProvenance(sources(f), anchored.windowId, 0);
    expect(failedNames(neighbour)).to.deep.equal(["window-root", "proof-offchain", "proof-onchain"]);
  });

  it("a reordered window fails as a window root mismatch", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const anchored = await anchorWindow(f, {
      alter: (window) => {
        [window.rows[3], window.rows[4]] = [window.rows[4]!, window.rows[3]!];
        return window;
      },
    });
    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 3);
    expect(report.ok).to.equal(false);
    expect(check(report, "window-root").code).to.equal("window-root-mismatch");
    expect(check(report, "proof-offchain").ok).to.equal(false);
    expect(check(report, "proof-onchain").ok).to.equal(false);
    expect(check(report, "device-signature").ok).to.equal(true);
    // The same multiset of readings: only the order changed.
    expect(new Set(anchored.stored.rows.map((r) => JSON.stringify(r)))).to.deep.equal(new Set(anchored.window.rows.map((r) => JSON.stringify(r))));
  });

  it("a window signed by another key fails as a bad signature naming the signer", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const impostor = privateKeyToAccount(f.seed.devices[3]!.privateKey);
    const anchored = await anchorWindow(f, { signer: impostor });
    expect(anchored.window.device).to.equal(f.seed.devices[0]!.address);
    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 2);
    expect(report.ok).to.equal(false);
    expect(failedNames(report)).to.deep.equal(["device-signature"]);
    expect(check(report, "device-signature").code).to.equal("bad-signature");
    expect(check(report, "device-signature").reason).to.contain(`signed by ${impostor.address}, not by the device ${f.seed.devices[0]!.address}`);
    // The rows and proofs are intact: only the signature gives the forgery away (the contract does not check it).
    expect(check(report, "proof-onchain").ok).to.equal(true);
  });

  it("the contract's verifyReading agrees with the off-chain verdict in every case", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const cases = [
      await anchorWindow(f, { sequence: 1 }),
      await anchorWindow(f, { sequence: 2, alter: (w) => ((w.rows[7] = [w.rows[7]![0], 1]), w) }),
      await anchorWindow(f, { sequence: 3, alter: (w) => ((w.rows = [...w.rows].reverse()), w) }),
      await anchorWindow(f, { sequence: 4, signer: privateKeyToAccount(f.seed.devices[3]!.privateKey) }),
    ];
    const verdicts: [boolean, boolean][] = [];
    for (const anchored of cases) {
      for (const index of [0, 6, 7, 12]) {
        const report = await verifyReadingProvenance(sources(f), anchored.windowId, index);
        verdicts.push([check(report, "proof-offchain").ok, check(report, "proof-onchain").ok]);
      }
    }
    for (const [offchain, onchain] of verdicts) expect(onchain).to.equal(offchain);
    expect(verdicts.map(([offchain]) => offchain)).to.deep.equal([true, true, true, true, false, false, false, false, false, false, false, false, true, true, true, true]);

    // Given the genuine row instead of the tampered one, both accept it (it is the document that lies).
    const tampered = cases[1]!;
    const leaf = readingLeaf(7, tampered.window.rows[7]!);
    const proof = readingProof(buildReadingTree(tampered.window.rows), 7);
    const anchor = (await findWindowAnchor(createLogReader(f.clients.publicClient), f.addresses.ProvenanceAnchor, tampered.windowId))!;
    expect(verifyReadingProof(anchor.header.root, leaf, proof)).to.equal(true);
    expect(await f.as(f.wallets.auditor).provenance.read.verifyReading([tampered.windowId, anchor.header, anchor.gateway, leaf, proof])).to.equal(true);
  });

  it("pure checks work on evidence in hand, and the digest check catches a changed header", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const anchored = await anchorWindow(f);
    const anchor = (await findWindowAnchor(createLogReader(f.clients.publicClient), f.addresses.ProvenanceAnchor, anchored.windowId))!;
    const context = { chainId: await f.clients.publicClient.getChainId(), provenanceAnchor: f.addresses.ProvenanceAnchor, gateway: anchor.gateway };
    const genuine = await checkReadingOffchain(anchored.document, anchor.header, 9, context);
    expect(genuine.ok).to.equal(true);
    expect(genuine.checks.map((c) => c.name)).to.deep.equal(["document-matches-anchor", "window-root", "device-signature", "reading-index", "normalised-reading", "proof-offchain"]);

    // The same document against another chain's domain: the signature no longer recovers to the device.
    expect((await checkReadingOffchain(anchored.document, anchor.header, 9, { ...context, chainId: 1 })).checks.find((c) => c.name === "device-signature")?.code).to.equal("bad-signature");
    // A header that is not the document's window.
    const otherHeader = { ...anchor.header, readingCount: ROWS + 1, endTime: anchor.header.endTime + 1n };
    const mismatch = (await checkReadingOffchain(anchored.document, otherHeader, 9, context)).checks[0]!;
    expect(mismatch.ok).to.equal(false);
    expect(mismatch.reason).to.contain(`${ROWS} readings ≠ anchored count ${ROWS + 1}`);
    expect(mismatch.reason).to.contain("endTime");
    // Another genuine, correctly signed window of the same device in place of the anchored one.
    const other = await checkReadingOffchain((await anchorWindow(f, { sequence: 2 })).document, anchor.header, 9, context);
    expect(other.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["document-matches-anchor", "proof-offchain"]);
    expect(other.checks[0]!.reason).to.match(/root 0x[0-9a-f]{64} ≠ anchored/);
    // A gateway that rewrote the normalised value of a reading.
    const doctored = structuredClone(anchored.document);
    doctored.normalised.values[9]![0] = 999;
    const normalised = (await checkReadingOffchain(doctored, anchor.header, 9, context)).checks.find((c) => c.name === "normalised-reading")!;
    expect(normalised.code).to.equal("normalisation-mismatch");
    expect(normalised.reason).to.contain("T24 999 should be");

    const stored = await f.as(f.wallets.auditor).provenance.read.windowDigest([anchored.windowId]);
    expect(checkAnchorDigest(stored, anchor.header, anchor.gateway).ok).to.equal(true);
    expect(checkAnchorDigest(stored, { ...anchor.header, dataCid: "QmOther" }, anchor.gateway).code).to.equal("digest-mismatch");
    expect(checkAnchorDigest(stored, anchor.header, f.wallets.gateways[1]!.account.address).ok).to.equal(false);
  });
});

describe("state at the anchor, rebuilt from logs", () => {
  it("reports the firmware in force at anchor time, not a later update's", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const seeded = f.seed.devices[0]!;
    const before = await anchorWindow(f, { sequence: 1 });
    const newFirmware = keccak256(toBytes("turbofan-ecu-firmware-2.0.0"));
    await f.send(f.as(f.wallets.members[0]!).devices.write.updateFirmware([seeded.address, newFirmware]));
    const afterUpdate = await anchorWindow(f, { sequence: 2 });

    const first = await verifyReadingProvenance(sources(f), before.windowId, 0);
    expect(first.ok).to.equal(true);
    expect(first.evidence.firmwareHash).to.equal(seeded.firmwareHash);
    const second = await verifyReadingProvenance(sources(f), afterUpdate.windowId, 0);
    expect(second.ok).to.equal(true);
    expect(second.evidence.firmwareHash).to.equal(newFirmware);
    expect(second.evidence.deviceState!.firmwareSince!.blockNumber > before.blockNumber).to.equal(true);
    expect(second.evidence.deviceState?.inconsistencies).to.deep.equal([]);
    expect((await f.as(f.wallets.auditor).devices.read.device([seeded.address])).firmwareHash).to.equal(newFirmware);
  });

  it("a device revoked after anchoring still shows Active at the anchor block", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const seeded = f.seed.devices[0]!;
    const member = f.as(f.wallets.members[0]!).devices;
    // An earlier suspension and reactivation, so "active" has to come from the right status change.
    await f.send(member.write.suspendDevice([seeded.address]));
    await f.send(member.write.reactivateDevice([seeded.address]));
    const anchored = await anchorWindow(f);
    await f.send(member.write.revokeDevice([seeded.address]));

    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 1);
    expect(report.ok).to.equal(true);
    const state = report.evidence.deviceState!;
    expect(state.statusName).to.equal("active");
    expect(state.statusSince?.blockNumber).to.equal(anchored.blockNumber - 1n);
    expect(await f.as(f.wallets.auditor).devices.read.statusOf([seeded.address])).to.equal(DeviceStatus.Revoked);

    // Control: the same reconstruction now, and while suspended.
    const reader = createLogReader(f.clients.publicClient);
    const now = await readDeviceStateAt(reader, f.addresses.DeviceRegistry, seeded.address, { blockNumber: await head(f) });
    expect(now.statusName).to.equal("revoked");
    const suspended = await readDeviceStateAt(reader, f.addresses.DeviceRegistry, seeded.address, { blockNumber: anchored.blockNumber - 2n });
    expect(suspended.statusName).to.equal("suspended");
    const unregistered = await readDeviceStateAt(reader, f.addresses.DeviceRegistry, f.wallets.outsider.account.address, { blockNumber: await head(f) });
    expect(unregistered.registered).to.equal(false);
    expect(unregistered.firmwareHash).to.equal(null);
  });

  it("a gateway whose role was revoked later still counts as authorised at the anchor block", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const gateway = f.wallets.gateways[0]!;
    const anchored = await anchorWindow(f, { gateway });
    await f.send(f.as(f.wallets.governance).manager.write.revokeRole([Role.GATEWAY, gateway.account.address]));
    const [isMember] = await f.as(f.wallets.auditor).manager.read.hasRole([Role.GATEWAY, gateway.account.address]);
    expect(isMember).to.equal(false);

    const report = await verifyReadingProvenance(sources(f), anchored.windowId, 0);
    expect(report.ok).to.equal(true);
    expect(check(report, "gateway-role").ok).to.equal(true);
    expect(report.evidence.gatewayRole?.revokedAt).to.equal(null);

    // Control: rebuilt at the head, the revocation shows; and for every seeded gateway the rebuild equals hasRole now.
    const reader = createLogReader(f.clients.publicClient);
    const blockNumber = await head(f);
    const later = await readRoleMembershipAt(reader, f.clients.publicClient, f.addresses.AccessManager, Role.GATEWAY, gateway.account.address, { blockNumber });
    expect(later.member).to.equal(false);
    expect(later.revokedAt?.blockNumber).to.equal(blockNumber);
    const timestamp = (await f.clients.publicClient.getBlock({ blockNumber })).timestamp;
    const members = roleMembersAt(Role.GATEWAY, await readRoleHistory(reader, f.addresses.AccessManager, Role.GATEWAY, blockNumber), { blockNumber }, timestamp);
    for (const wallet of f.wallets.gateways) {
      const [live] = await f.as(f.wallets.auditor).manager.read.hasRole([Role.GATEWAY, wallet.account.address]);
      expect(members.get(wallet.account.address.toLowerCase())?.member ?? false, wallet.account.address).to.equal(live);
    }
    // An account that never held GATEWAY.
    const outsider = await readRoleMembershipAt(reader, f.clients.publicClient, f.addresses.AccessManager, Role.GATEWAY, f.wallets.outsider.account.address, { blockNumber });
    expect(outsider.member).to.equal(false);
    expect(outsider.grantedAt).to.equal(null);
  });
  it("a revocation later in the same block as the anchor does not count against it", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const seeded = f.seed.devices[0]!;
    const gateway = f.wallets.gateways[0]!;
    const chainId = await f.clients.publicClient.getChainId();
    const window = await signWindow(privateKeyToAccount(seeded.privateKey), chainId, f.addresses.ProvenanceAnchor, draft(1));
    const document = windowDocument(window, wrangleWindow(window, schema), gateway.account.address, Date.now());
    const cid = await store.addFile(encodeWindowDocument(document));
    const header = { deviceAccount: window.device, startTime: BigInt(window.startTime), endTime: BigInt(window.endTime), readingCount: window.rows.length, root: window.root, dataCid: cid };

    // One block: the anchor, then the device's revocation and the gateway's.
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    let hashes: Hex[];
    try {
      hashes = [
        await f.as(gateway).provenance.write.anchorWindow([header], { gas: 500_000n }),
        await f.as(f.wallets.members[0]!).devices.write.revokeDevice([seeded.address], { gas: 500_000n }),
        await f.as(f.wallets.governance).manager.write.revokeRole([Role.GATEWAY, gateway.account.address], { gas: 500_000n }),
      ];
      await networkHelpers.mine();
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const receipts = await Promise.all(hashes.map((hash) => f.clients.publicClient.waitForTransactionReceipt({ hash })));
    expect(receipts.map((r) => r.status)).to.deep.equal(["success", "success", "success"]);
    expect(new Set(receipts.map((r) => r.blockNumber)).size).to.equal(1);

    const report = await verifyReadingProvenance(sources(f), 1n, 0);
    expect(failedNames(report), describeReport(report).join("\n")).to.deep.equal([]);
    const blockNumber = receipts[0]!.blockNumber;
    expect(report.evidence.blockNumber).to.equal(blockNumber);

    // The folds themselves, over the whole history: before the anchor log, after its block, and at the head.
    const reader = createLogReader(f.clients.publicClient);
    const deviceLogs = await readDeviceHistory(reader, f.addresses.DeviceRegistry, seeded.address, await head(f));
    const beforeAnchor = { blockNumber, logIndex: report.evidence.logIndex! };
    expect(deviceStateAt(seeded.address, deviceLogs, beforeAnchor).statusName).to.equal("active");
    expect(deviceStateAt(seeded.address, deviceLogs, { blockNumber }).statusName).to.equal("revoked");
    expect(deviceStateAt(seeded.address, deviceLogs, { blockNumber: 0n }).registered).to.equal(false);
    const roleLogs = await readRoleHistory(reader, f.addresses.AccessManager, Role.GATEWAY, await head(f));
    const timestamp = report.evidence.blockTimestamp!;
    expect(roleMembershipAt(Role.GATEWAY, gateway.account.address, roleLogs, beforeAnchor, timestamp).member).to.equal(true);
    expect(roleMembershipAt(Role.GATEWAY, gateway.account.address, roleLogs, { blockNumber }, timestamp).member).to.equal(false);
    // A grant counts from its `since` timestamp: one second before it, the gateway was not yet a member.
    const granted = roleMembershipAt(Role.GATEWAY, gateway.account.address, roleLogs, beforeAnchor, timestamp);
    const early = roleMembershipAt(Role.GATEWAY, gateway.account.address, roleLogs, beforeAnchor, granted.since! - 1n);
    expect(early.member).to.equal(false);
    expect(early.pending).to.equal(true);
  });
});

describe("paginated log reader", () => {
  /** A transport over the in-process chain that refuses eth_getLogs over more than `cap` blocks, and counts them. */
  function cappedClient(f: Fixture, cap: bigint, refusal: { code: number; message: string }) {
    const counter = { getLogs: 0, refused: 0 };
    const client = createPublicClient({
      chain: f.clients.publicClient.chain,
      transport: custom(
        {
          async request({ method, params }: { method: string; params?: unknown }) {
            if (method === "eth_getLogs") {
              counter.getLogs++;
              const [filter] = params as [{ fromBlock: Hex; toBlock: Hex }];
              if (BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n > cap) {
                counter.refused++;
                throw Object.assign(new Error(refusal.message), refusal);
              }
            }
            return connection.provider.request({ method, params: params as unknown[] });
          },
        },
        { retryCount: 0 },
      ),
    });
    return { client, counter };
  }

  const key = (log: { blockNumber: bigint; logIndex: number; eventName: string; transactionHash: Hex }) => `${log.blockNumber}:${log.logIndex}:${log.eventName}:${log.transactionHash}`;

  async function withSpreadEvents(f: Fixture) {
    // Events spread over many blocks, with gaps: role changes, firmware updates, windows.
    for (let i = 0; i < 4; i++) {
      await networkHelpers.mine(7);
      await f.send(f.as(f.wallets.governance).manager.write.grantRole([Role.GATEWAY, f.wallets.outsider.account.address, 0]));
      await networkHelpers.mine(3);
      await f.send(f.as(f.wallets.governance).manager.write.revokeRole([Role.GATEWAY, f.wallets.outsider.account.address]));
      await anchorWindow(f, { sequence: i + 1 });
    }
    return head(f);
  }

  it("returns the same logs, in order, with a tiny maxBlockRange as with one big range", { timeout: 60_000 }, async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const toBlock = await withSpreadEvents(f);
    const query = { address: f.addresses.AccessManager, abi: accessManagerAbi, eventName: ["RoleGranted", "RoleRevoked"] as const, fromBlock: 0n, toBlock };
    const big = createLogReader(f.clients.publicClient, { maxBlockRange: 100_000n });
    const all = await big.read(query);
    expect(big.stats.getLogsCalls).to.equal(1);
    expect(all.filter((log) => log.eventName === "RoleRevoked").length).to.equal(4);
    expect(all.length).to.be.greaterThan(20);
    const sorted = [...all].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    expect(all.map(key)).to.deep.equal(sorted.map(key));

    for (const range of [1n, 3n, 7n]) {
      const small = createLogReader(f.clients.publicClient, { maxBlockRange: range });
      const paged = await small.read(query);
      expect(paged.map(key), `maxBlockRange ${range}`).to.deep.equal(all.map(key));
      expect(paged.map((log) => log.args)).to.deep.equal(all.map((log) => log.args));
      expect(small.stats.getLogsCalls).to.equal(Number((toBlock + range) / range));
    }

    // Indexed filters: one account's grants, and the windows of one id; `limit` stops early.
    const outsiderOnly = await readEventLogs(f.clients.publicClient, { ...query, eventName: "RoleGranted", args: { roleId: Role.GATEWAY, account: f.wallets.outsider.account.address } }, { maxBlockRange: 5n });
    expect(outsiderOnly.length).to.equal(4);
    const stats = { rpcCalls: 0, getLogsCalls: 0, refused: 0, logs: 0 };
    const third = await readEventLogs(f.clients.publicClient, { address: f.addresses.ProvenanceAnchor, abi: provenanceAnchorAbi, eventName: "WindowAnchored", args: { windowId: 3n }, limit: 1 }, { maxBlockRange: 4n, stats });
    expect(third.map((log) => log.args.windowId)).to.deep.equal([3n]);
    expect(stats.getLogsCalls).to.be.lessThan(Number(toBlock / 4n)); // stopped at the window, not at the head
    expect(stats.rpcCalls).to.equal(stats.getLogsCalls + 1); // + the head block number

    // A whole verification with a tiny range gives the same report as with the default one.
    const tiny = await verifyReadingProvenance(sources(f, { maxBlockRange: 2n }), 4n, 6);
    const wide = await verifyReadingProvenance(sources(f), 4n, 6);
    expect(tiny.ok).to.equal(true);
    expect(tiny.checks).to.deep.equal(wide.checks);
    expect(tiny.evidence).to.deep.equal(wide.evidence);
    expect(tiny.rpc.getLogsCalls).to.be.greaterThan(wide.rpc.getLogsCalls);
  });

  it("halves the span when the node refuses a range, and keeps the smaller span", { timeout: 60_000 }, async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const toBlock = await withSpreadEvents(f);
    const query = { address: f.addresses.DeviceRegistry, abi: deviceRegistryAbi, eventName: ["DeviceRegistered", "FirmwareUpdated", "DeviceStatusChanged"] as const, fromBlock: 0n, toBlock };
    const expected = await createLogReader(f.clients.publicClient).read(query);
    expect(expected.length).to.equal(f.seed.devices.length);

    for (const refusal of [
      { code: -32005, message: "query exceeds max results" },
      { code: -32000, message: "exceed maximum block range: 5" },
      { code: -32602, message: "eth_getLogs block range too large" },
    ]) {
      const { client, counter } = cappedClient(f, 5n, refusal);
      const reader = createLogReader(client, { maxBlockRange: 2_000n });
      const logs = await reader.read(query);
      expect(logs.map(key), refusal.message).to.deep.equal(expected.map(key));
      expect(reader.blockRange <= 5n).to.equal(true);
      expect(reader.stats.refused).to.equal(counter.refused);
      expect(reader.stats.getLogsCalls).to.equal(counter.getLogs);
      // The first request spans the whole chain; each refusal halves it until it fits, then that span is kept.
      let span = toBlock + 1n;
      let refusals = 0;
      while (span > 5n) {
        refusals++;
        span /= 2n;
      }
      expect(counter.refused).to.equal(refusals);
      expect(reader.blockRange).to.equal(span);
      expect(reader.stats.getLogsCalls).to.equal(refusals + Number((toBlock + span) / span));
    }

    // An error that is not about the range is not retried.
    const { client } = cappedClient(f, 0n, { code: -32603, message: "database corrupted" });
    const failing = createLogReader(client);
    let caught: unknown;
    try {
      await failing.read(query);
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.match(/eth_getLogs for DeviceRegistered, FirmwareUpdated, DeviceStatusChanged over blocks 0\.\.\d+ failed/);
    expect(failing.stats.getLogsCalls).to.equal(1);
  });
});
