import { describe, expect, it } from "vitest";
import { stringToHex, type Address, type Hex } from "viem";
import { deriveRegistry, inventoryByOrganisation, type RegistryEvent } from "@/components/devices/device-model";
import { filterDevices } from "@/components/devices/device-filter";

const pumpA: Address = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7";
const pumpB: Address = "0x0847559a6a93eA11306A110787C6531628ACBb27";
const engine: Address = "0xf972F432A44E70f161B75bCA087528a17b19B2C0";
const firmware1: Hex = `0x${"11".repeat(32)}`;
const firmware2: Hex = `0x${"22".repeat(32)}`;
const digest: Hex = `0x${"aa".repeat(32)}`;

const events: RegistryEvent[] = [
  { eventName: "AssetRegistered", blockNumber: 10n, args: { assetId: 1n, organisationId: 2, label: stringToHex("pump-07", { size: 32 }) } },
  { eventName: "AssetRegistered", blockNumber: 11n, args: { assetId: 2n, organisationId: 1, label: stringToHex("engine-001", { size: 32 }) } },
  { eventName: "DeviceRegistered", blockNumber: 12n, args: { deviceAccount: pumpA, organisationId: 2, assetId: 1n, firmwareHash: firmware1, metadataDigest: digest } },
  { eventName: "DeviceRegistered", blockNumber: 13n, args: { deviceAccount: pumpB, organisationId: 2, assetId: 1n, firmwareHash: firmware1, metadataDigest: digest } },
  { eventName: "DeviceRegistered", blockNumber: 14n, args: { deviceAccount: engine, organisationId: 1, assetId: 2n, firmwareHash: firmware1, metadataDigest: digest } },
  { eventName: "FirmwareUpdated", blockNumber: 20n, args: { deviceAccount: pumpA, previousFirmwareHash: firmware1, firmwareHash: firmware2 } },
  // Reputation suspends pumpA, then an admin reactivates it and its owner suspends it by hand.
  { eventName: "DeviceStatusChanged", blockNumber: 21n, args: { deviceAccount: pumpA, previousStatus: 1, status: 2, byReputation: true } },
  { eventName: "DeviceStatusChanged", blockNumber: 22n, args: { deviceAccount: pumpB, previousStatus: 1, status: 2, byReputation: true } },
  { eventName: "DeviceStatusChanged", blockNumber: 23n, args: { deviceAccount: pumpA, previousStatus: 2, status: 1, byReputation: false } },
  { eventName: "DeviceStatusChanged", blockNumber: 24n, args: { deviceAccount: engine, previousStatus: 1, status: 3, byReputation: false } },
];

const organisationNames = new Map([[1, "Northwind Aero"], [2, "Delta Pumps"]]);
const nameOf = (id: number) => organisationNames.get(id);

describe("deriveRegistry", () => {
  const registry = deriveRegistry(events);

  it("labels assets and counts their devices", () => {
    expect(registry.assets.map((asset) => [asset.id, asset.label, asset.deviceCount])).toEqual([[1n, "pump-07", 2], [2n, "engine-001", 1]]);
  });

  it("follows firmware updates and the latest status change, with whether reputation made it", () => {
    const [a, b, c] = registry.devices;
    expect(a).toMatchObject({ account: pumpA, assetLabel: "pump-07", firmwareHash: firmware2, firmwareUpdates: 1, status: "active", byReputation: false, registeredBlock: 12n, statusChangedBlock: 23n });
    expect(b).toMatchObject({ account: pumpB, status: "suspended", byReputation: true, firmwareHash: firmware1 });
    expect(c).toMatchObject({ account: engine, status: "revoked", statusChangedBlock: 24n });
  });

  it("counts each organisation's devices by status", () => {
    const inventory = inventoryByOrganisation(registry);
    expect(inventory.get(2)?.byStatus).toEqual({ active: 1, suspended: 1, revoked: 0 });
    expect(inventory.get(1)?.assets.map((asset) => asset.label)).toEqual(["engine-001"]);
    expect(inventory.get(3)).toBeUndefined();
  });
});

describe("filterDevices", () => {
  const { devices } = deriveRegistry(events);
  const accounts = (filter: Parameters<typeof filterDevices>[1]) => filterDevices(devices, filter, nameOf).map((device) => device.account);

  it("searches by asset label, organisation name and address, ignoring case", () => {
    expect(accounts({ query: "PUMP-07" })).toEqual([pumpA, pumpB]);
    expect(accounts({ query: "northwind" })).toEqual([engine]);
    expect(accounts({ query: "0x0847559A" })).toEqual([pumpB]);
    expect(accounts({ query: "  " })).toEqual([pumpA, pumpB, engine]);
    expect(accounts({ query: "no such thing" })).toEqual([]);
  });

  it("filters by organisation and status together with the search", () => {
    expect(accounts({ query: "", organisationId: 2 })).toEqual([pumpA, pumpB]);
    expect(accounts({ query: "", status: "suspended" })).toEqual([pumpB]);
    expect(accounts({ query: "pump", organisationId: 1 })).toEqual([]);
    expect(accounts({ query: "", status: "revoked", organisationId: 1 })).toEqual([engine]);
  });
});
