import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "node:test";
import { keccak256, parseEventLogs, stringToHex, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deviceRegistryAbi } from "../../lib/chain/abis.generated.ts";
import { metadataCidOf, metadataDigestOf } from "../../lib/chain/metadata-digest.ts";
import { Role } from "../../lib/chain/roles.ts";
import { labelToBytes32 } from "../../lib/chain/labels.ts";
import { makeFixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const DeviceStatus = { None: 0, Active: 1, Suspended: 2, Revoked: 3 } as const;
const OrganisationStatus = { Pending: 1, Active: 2, Suspended: 3, Removed: 4 } as const;
const newDevice = (name: string) => privateKeyToAccount(keccak256(toBytes(name))).address;

describe("ConsortiumRegistry", () => {
  it("admits an organisation by ADMIN approval, which grants its admin MEMBER", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const applicant = f.wallets.outsider.account.address;
    await f.send(f.as(f.wallets.outsider).consortium.write.requestMembership(["Newco", "QmProfile"]));
    const consortium = f.as(f.wallets.governance).consortium;
    const manager = f.as(f.wallets.governance).manager;
    expect((await consortium.read.organisation([4])).status).to.equal(OrganisationStatus.Pending);
    expect((await manager.read.hasRole([Role.MEMBER, applicant]))[0]).to.equal(false);
    await f.send(consortium.write.approveOrganisation([4]));
    expect((await consortium.read.organisation([4])).status).to.equal(OrganisationStatus.Active);
    expect((await manager.read.hasRole([Role.MEMBER, applicant]))[0]).to.equal(true);
    expect(await consortium.read.organisationOf([applicant])).to.equal(4);
    await expectRevert(consortium.write.approveOrganisation([4]), "InvalidOrganisationStatus", [4, OrganisationStatus.Active]);
    await expectRevert(f.as(f.wallets.outsider).consortium.write.requestMembership(["Again", "Qm"]), "AdminAlreadyRegistered", [applicant]);
  });

  it("suspends, reinstates and removes, keeping the MEMBER role in step", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const consortium = f.as(f.wallets.governance).consortium;
    const manager = f.as(f.wallets.governance).manager;
    const admin = f.wallets.members[0]!.account.address;
    await f.send(consortium.write.suspendOrganisation([1]));
    expect((await manager.read.hasRole([Role.MEMBER, admin]))[0]).to.equal(false);
    expect(await f.as(f.wallets.auditor).devices.read.isActive([f.seed.devices[0]!.address])).to.equal(false);
    await f.send(consortium.write.reinstateOrganisation([1]));
    expect((await manager.read.hasRole([Role.MEMBER, admin]))[0]).to.equal(true);
    await f.send(consortium.write.removeOrganisation([1]));
    expect((await consortium.read.organisation([1])).status).to.equal(OrganisationStatus.Removed);
    expect((await manager.read.hasRole([Role.MEMBER, admin]))[0]).to.equal(false);
    expect(await consortium.read.organisationOf([admin])).to.equal(0);
    await expectRevert(consortium.write.removeOrganisation([1]), "InvalidOrganisationStatus");
    await expectRevert(consortium.write.suspendOrganisation([99]), "UnknownOrganisation", [99]);
    await expectRevert(consortium.write.updateOrganisationMetadata([1, "Qm"]), "InvalidOrganisationStatus");
  });

  it("validates registration input and who may update a profile", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const consortium = f.as(f.wallets.governance).consortium;
    await expectRevert(consortium.write.registerOrganisation(["0x0000000000000000000000000000000000000000", "X", ""]), "InvalidAdmin");
    await expectRevert(consortium.write.registerOrganisation([f.wallets.outsider.account.address, "", ""]), "InvalidName");
    await expectRevert(consortium.write.registerOrganisation([f.wallets.outsider.account.address, "x".repeat(65), ""]), "InvalidName");
    await expectRevert(f.as(f.wallets.members[1]!).consortium.write.updateOrganisationMetadata([1, "Qm"]), "NotOrganisationAdmin");
    await f.send(consortium.write.updateOrganisationMetadata([1, "QmByAdmin"]));
    expect((await consortium.read.organisation([1])).metadataCid).to.equal("QmByAdmin");
    await expectRevert(consortium.write.enrolGovernanceAccount([f.wallets.outsider.account.address]), "NotConsortiumAdmin");
    expect(await consortium.read.organisationCount()).to.equal(3);
    expect((await consortium.read.organisations([2, 5])).map((o) => o.name)).to.deep.equal(["Org Two", "Org Three"]);
    expect(await consortium.read.organisations([0, 5])).to.deep.equal([]);
    expect(await consortium.read.isActiveOrganisation([2])).to.equal(true);
  });
});

describe("DeviceRegistry", () => {
  it("stores the device's owner, asset, firmware and metadata, and its metadata CID round-trips", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const seeded = f.seed.devices[0]!;
    const record = await f.as(f.wallets.auditor).devices.read.device([seeded.address]);
    expect(record.organisationId).to.equal(1);
    expect(record.assetId).to.equal(seeded.assetId);
    expect(record.status).to.equal(DeviceStatus.Active);
    expect(record.firmwareHash).to.equal(seeded.firmwareHash);
    expect(metadataCidOf(record.metadataDigest)).to.equal(seeded.metadataCid);
    expect(metadataDigestOf(seeded.metadataCid)).to.equal(record.metadataDigest);
    expect(() => metadataDigestOf("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")).to.throw(/CIDv0/);
  });

  it("lets only the owning organisation or ADMIN change a device", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const device = f.seed.devices[0]!.address;
    const other = f.as(f.wallets.members[1]!).devices;
    await expectRevert(other.write.updateFirmware([device, keccak256(toBytes("x"))]), "NotController", [f.wallets.members[1]!.account.address, 1]);
    await expectRevert(other.write.registerDevice([newDevice("d"), 1n, keccak256(toBytes("fw")), keccak256(toBytes("md"))]), "NotController");
    await expectRevert(other.write.registerAsset([1, labelToBytes32("x")]), "NotController");
    await f.send(f.as(f.wallets.governance).devices.write.suspendDevice([device]));
    expect((await other.read.device([device])).status).to.equal(DeviceStatus.Suspended);
  });

  it("keeps firmware history as events", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const device = f.seed.devices[0]!.address;
    const member = f.as(f.wallets.members[0]!).devices;
    const v2 = keccak256(toBytes("fw-2"));
    const v3 = keccak256(toBytes("fw-3"));
    await f.send(member.write.updateFirmware([device, v2]));
    await f.send(member.write.updateFirmware([device, v3]));
    const logs = await f.clients.publicClient.getContractEvents({ address: f.addresses.DeviceRegistry, abi: deviceRegistryAbi, eventName: "FirmwareUpdated", args: { deviceAccount: device }, fromBlock: 0n });
    expect(logs.map((log) => [log.args.previousFirmwareHash, log.args.firmwareHash])).to.deep.equal([[f.seed.devices[0]!.firmwareHash, v2], [v2, v3]]);
    await expectRevert(member.write.updateFirmware([device, `0x${"00".repeat(32)}`]), "InvalidFirmwareHash");
  });

  it("answers isActive for many devices in one call", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const [active, suspended, ofSuspendedOrganisation] = [f.seed.devices[0]!, f.seed.devices[1]!, f.seed.devices.find((d) => d.organisationId === 2)!];
    await f.send(f.as(f.wallets.members[0]!).devices.write.suspendDevice([suspended.address]));
    await f.send(f.as(f.wallets.governance).consortium.write.suspendOrganisation([2]));
    const accounts = [active.address, suspended.address, ofSuspendedOrganisation.address, newDevice("never-registered"), active.address];
    const devices = f.as(f.wallets.auditor).devices;
    const one = await Promise.all(accounts.map((account) => devices.read.isActive([account])));
    expect(one).to.deep.equal([true, false, false, false, true]);
    expect(await devices.read.activeStatuses([accounts])).to.deep.equal(one);
  });

  it("never reactivates a revoked device", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const device = f.seed.devices[0]!.address;
    const member = f.as(f.wallets.members[0]!).devices;
    const admin = f.as(f.wallets.governance).devices;
    await f.send(member.write.revokeDevice([device]));
    await expectRevert(member.write.reactivateDevice([device]), "InvalidStatusTransition", [device, DeviceStatus.Revoked, DeviceStatus.Revoked]);
    await expectRevert(admin.write.reactivateDevice([device]), "InvalidStatusTransition");
    await expectRevert(admin.write.revokeDevice([device]), "InvalidStatusTransition");
    await expectRevert(admin.write.updateFirmware([device, keccak256(toBytes("x"))]), "InvalidStatusTransition");
    await expectRevert(member.write.registerDevice([device, 1n, keccak256(toBytes("fw")), keccak256(toBytes("md"))]), "DeviceAlreadyRegistered", [device]);
    expect(await member.read.isActive([device])).to.equal(false);
  });

  it("checks status transitions and registration input", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const device = f.seed.devices[0]!.address;
    const member = f.as(f.wallets.members[0]!).devices;
    await expectRevert(member.write.reactivateDevice([device]), "InvalidStatusTransition", [device, DeviceStatus.Active, DeviceStatus.Active]);
    await f.send(member.write.suspendDevice([device]));
    await expectRevert(member.write.suspendDevice([device]), "InvalidStatusTransition");
    await expectRevert(member.write.suspendDevice([newDevice("ghost")]), "UnknownDevice");
    const fw = keccak256(toBytes("fw"));
    const md = keccak256(toBytes("md"));
    const zero = `0x${"00".repeat(32)}` as const;
    await expectRevert(member.write.registerDevice(["0x0000000000000000000000000000000000000000", 1n, fw, md]), "InvalidDeviceAccount");
    await expectRevert(member.write.registerDevice([newDevice("a"), 1n, zero, md]), "InvalidFirmwareHash");
    await expectRevert(member.write.registerDevice([newDevice("a"), 1n, fw, zero]), "InvalidMetadataDigest");
    await expectRevert(member.write.registerDevice([newDevice("a"), 99n, fw, md]), "UnknownAsset", [99n]);
    await expectRevert(member.write.registerAsset([1, zero]), "InvalidAssetLabel");
    await expectRevert(member.write.updateDeviceMetadata([device, zero]), "InvalidMetadataDigest");
  });

  it("refuses a suspended organisation's member, and a MEMBER whose organisation is not active", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const governance = f.as(f.wallets.governance);
    await f.send(governance.consortium.write.suspendOrganisation([2]));
    await expectRevert(f.as(f.wallets.members[1]!).devices.write.registerAsset([2, labelToBytes32("x")]), "AccessManagedUnauthorized");
    // A former governance account keeps MEMBER after losing ADMIN; its own pending organisation is still not active.
    const former = f.wallets.pureAdmin;
    await f.send(governance.consortium.write.enrolGovernanceAccount([former.account.address]));
    await f.send(f.as(former).consortium.write.requestMembership(["Formerco", "Qm"]));
    await f.send(governance.manager.write.revokeRole([Role.ADMIN, former.account.address]));
    await expectRevert(f.as(former).devices.write.registerAsset([4, labelToBytes32("x")]), "OrganisationNotActive", [4]);
  });

  it("pages devices by asset and by organisation", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const member = f.as(f.wallets.members[0]!).devices;
    const fw = keccak256(toBytes("fw"));
    const md = keccak256(toBytes("md"));
    // Organisation 1: asset 1 has the 2 seeded devices; add an empty asset and an asset with 3 devices.
    await f.send(member.write.registerAsset([1, labelToBytes32("empty")]));
    await f.send(member.write.registerAsset([1, labelToBytes32("engine-2")]));
    const assetId = await member.read.assetCount();
    const added = ["p", "q", "r"].map(newDevice);
    for (const device of added) await f.send(member.write.registerDevice([device, assetId, fw, md]));
    const seeded = f.seed.devices.filter((d) => d.organisationId === 1).map((d) => d.address);
    expect(await member.read.devicesOfAsset([assetId, 1n, 5n])).to.deep.equal(added.slice(1));
    expect(await member.read.devicesOfAsset([assetId, 9n, 5n])).to.deep.equal([]);
    expect(await member.read.assetCountOfOrganisation([1])).to.equal(3n);
    expect(await member.read.assetsOfOrganisation([1, 1n, 10n])).to.deep.equal([assetId - 1n, assetId]);
    const collected: string[] = [];
    let cursor = 0n;
    let pages = 0;
    do {
      const [page, next] = await member.read.devicesOfOrganisation([1, cursor, 2n]);
      expect(page.length).to.be.at.most(2);
      collected.push(...page);
      cursor = next;
      pages++;
    } while (cursor !== 0n && pages < 10);
    expect(collected).to.deep.equal([...seeded, ...added]);
    expect((await member.read.devicesOfOrganisation([1, 0n, 0n]))[0]).to.deep.equal([]);
  });

  it("answers 'was device D active at block B' from its status events", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const device = f.seed.devices[0]!.address;
    const member = f.as(f.wallets.members[0]!).devices;
    const suspended = await f.send(member.write.suspendDevice([device]));
    const reactivated = await f.send(member.write.reactivateDevice([device]));
    const revoked = await f.send(member.write.revokeDevice([device]));
    const logs = parseEventLogs({ abi: deviceRegistryAbi, logs: [...suspended.logs, ...reactivated.logs, ...revoked.logs], eventName: "DeviceStatusChanged" });
    expect(logs.map((log) => [log.blockNumber, log.args.status])).to.deep.equal([
      [suspended.blockNumber, DeviceStatus.Suspended],
      [reactivated.blockNumber, DeviceStatus.Active],
      [revoked.blockNumber, DeviceStatus.Revoked],
    ]);
    expect(BigInt((await member.read.device([device])).statusChangedAt)).to.equal(revoked.blockNumber);
  });
});

describe("DataSharingLedger", () => {
  it("shows a record to auditors, admins and the two parties, and refuses everyone else", async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const purpose = stringToHex("failure-investigation", { size: 32 });
    await f.send(f.as(f.wallets.members[0]!).dataSharing.write.recordSharing([2, "QmEncryptedDataset", purpose]));
    for (const reader of [f.wallets.auditor, f.wallets.pureAdmin, f.wallets.members[0]!, f.wallets.members[1]!]) {
      const record = await f.clients.publicClient.readContract({ address: f.addresses.DataSharingLedger, abi: f.as(reader).dataSharing.abi, functionName: "sharingRecord", args: [1n], account: reader.account.address });
      expect(record.datasetCid).to.equal("QmEncryptedDataset");
    }
    for (const reader of [f.wallets.members[2]!, f.wallets.outsider, f.wallets.oracles[0]!]) {
      await expectRevert(f.clients.publicClient.readContract({ address: f.addresses.DataSharingLedger, abi: f.as(reader).dataSharing.abi, functionName: "sharingRecord", args: [1n], account: reader.account.address }), "NotAuthorisedReader", [reader.account.address]);
    }
    await expectRevert(f.clients.publicClient.readContract({ address: f.addresses.DataSharingLedger, abi: f.as(f.wallets.auditor).dataSharing.abi, functionName: "sharingRecord", args: [7n], account: f.wallets.auditor.account.address }), "UnknownRecord", [7n]);
    const member = f.as(f.wallets.members[0]!).dataSharing;
    await expectRevert(member.write.recordSharing([9, "Qm", purpose]), "InactiveRecipient", [9]);
    await expectRevert(member.write.recordSharing([2, "", purpose]), "InvalidRecord");
    await expectRevert(f.as(f.wallets.governance).dataSharing.write.recordSharing([2, "Qm", purpose]), "NotAMember");
    expect(await member.read.recordCount()).to.equal(1n);
  });
});
