// @vitest-environment node
// (jsdom's TextEncoder returns another realm's Uint8Array, which the UnixFS importer rejects; browsers do not differ.)
import { describe, expect, it } from "vitest";
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, keccak256, toBytes } from "viem";
import { metadataCidOf } from "../../lib/chain/metadata-digest.ts";
import { firmwareUpdateProblems } from "@/components/devices/firmware";
import { metadataAddressOf } from "@/components/devices/metadata-document";
import { newAssetChoice, validateRegisterDevice, type RegisterDeviceContext, type RegisterDeviceInput } from "@/components/devices/register-device-schema";

const registered = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7";
const context: RegisterDeviceContext = {
  registeredAccounts: new Set([registered.toLowerCase()]),
  organisationIds: [2],
  assetsOf: (id) => (id === 2 ? [{ id: 3n, label: "pump-07" }] : [{ id: 1n, label: "engine-001" }]),
};

const valid: RegisterDeviceInput = {
  organisationId: "2",
  asset: "3",
  newAssetLabel: "",
  deviceAccount: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  firmwareSource: "hash",
  firmwareHash: `0x${"ab".repeat(32)}`,
  firmwareVersion: "",
  deviceType: "pump-monitor",
  sensors: [{ name: "flow", unit: "m3/h", min: "20", max: "140" }],
};

const errorsOf = (input: Partial<RegisterDeviceInput>) => {
  const result = validateRegisterDevice({ ...valid, ...input }, context);
  return result.ok ? {} : result.errors;
};

describe("validateRegisterDevice", () => {
  it("accepts a complete registration and returns typed values", () => {
    const result = validateRegisterDevice(valid, context);
    expect(result).toEqual({
      ok: true,
      values: {
        organisationId: 2,
        asset: { kind: "existing", assetId: 3n },
        deviceAccount: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        firmwareHash: `0x${"ab".repeat(32)}`,
        firmwareSource: "hash",
        metadata: { deviceType: "pump-monitor", sensors: [{ name: "flow", unit: "m3/h", min: 20, max: 140 }] },
      },
    });
  });

  it("rejects malformed, badly checksummed, zero and already registered device accounts", () => {
    expect(errorsOf({ deviceAccount: "0x1234" }).deviceAccount).toMatch(/40 hexadecimal digits/);
    expect(errorsOf({ deviceAccount: "0x90f79bf6EB2c4f870365E785982E1f101E93b906" }).deviceAccount).toMatch(/checksum/);
    expect(errorsOf({ deviceAccount: `0x${"0".repeat(40)}` }).deviceAccount).toMatch(/zero address/);
    expect(errorsOf({ deviceAccount: registered.toLowerCase() }).deviceAccount).toMatch(/already registered/);
    // All lower case carries no checksum and is accepted, then checksummed.
    const lower = validateRegisterDevice({ ...valid, deviceAccount: valid.deviceAccount.toLowerCase() }, context);
    expect(lower.ok && lower.values.deviceAccount).toBe(valid.deviceAccount);
  });

  it("requires min ≤ max (a constant sensor has min = max) and numeric bounds, per sensor row", () => {
    expect(errorsOf({ sensors: [{ name: "flow", unit: "m3/h", min: "141", max: "140" }] })["sensors.0.max"]).toMatch(/must not be below the minimum/);
    expect(errorsOf({ sensors: [{ name: "flow", unit: "m3/h", min: "140", max: "140" }] })["sensors.0.max"]).toBeUndefined();
    expect(errorsOf({ sensors: [{ name: "flow", unit: "", min: "x", max: "5" }] })).toEqual({ "sensors.0.min": "The minimum must be a number." });
    expect(errorsOf({ sensors: [{ name: "", unit: "", min: "", max: "1" }] })).toMatchObject({ "sensors.0.name": "Name the sensor.", "sensors.0.min": "Enter the minimum." });
    expect(errorsOf({ sensors: [] }).sensors).toMatch(/at least one sensor/);
    expect(errorsOf({ sensors: [valid.sensors[0]!, valid.sensors[0]!] }).sensors).toMatch(/own name/);
  });

  it("checks firmware hashes, or derives them from a version string", () => {
    expect(errorsOf({ firmwareHash: "0x1234" }).firmwareHash).toMatch(/64 hexadecimal digits/);
    expect(errorsOf({ firmwareHash: `0x${"0".repeat(64)}` }).firmwareHash).toMatch(/zero hash/);
    const derived = validateRegisterDevice({ ...valid, firmwareSource: "version", firmwareHash: "", firmwareVersion: "pump-monitor-firmware-1.0.0" }, context);
    expect(derived.ok && derived.values.firmwareHash).toBe(keccak256(toBytes("pump-monitor-firmware-1.0.0")));
    expect(errorsOf({ firmwareSource: "version", firmwareVersion: " " }).firmwareVersion).toBeDefined();
  });

  it("only offers the organisation's own assets, and checks a new asset's label", () => {
    expect(errorsOf({ organisationId: "1", asset: "1" }).organisationId).toBeDefined();
    expect(errorsOf({ asset: "1" }).asset).toBeDefined();
    expect(errorsOf({ asset: newAssetChoice, newAssetLabel: "pump-07" }).newAssetLabel).toMatch(/already has/);
    expect(errorsOf({ asset: newAssetChoice, newAssetLabel: "x".repeat(33) }).newAssetLabel).toMatch(/32 bytes/);
    const fresh = validateRegisterDevice({ ...valid, asset: newAssetChoice, newAssetLabel: " pump-12 " }, context);
    expect(fresh.ok && fresh.values.asset).toEqual({ kind: "new", label: "pump-12" });
  });

  it("reports every field's problem at once, so each shows next to its input", () => {
    const errors = errorsOf({ deviceAccount: "nope", firmwareHash: "", deviceType: "", sensors: [{ name: "a", unit: "", min: "5", max: "1" }] });
    expect(Object.keys(errors).sort()).toEqual(["deviceAccount", "deviceType", "firmwareHash", "sensors.0.max"]);
  });
});

describe("metadataAddressOf", () => {
  const turbofan = {
    deviceType: "turbofan-ecu",
    sensors: [
      { name: "T24", unit: "degR", min: 640, max: 645 },
      { name: "Nc", unit: "rpm", min: 9000, max: 9250 },
    ],
  };

  it("gives the digest of the CIDv0 `ipfs add` gives the seed's JSON: a one-block UnixFS file, sha2-256 of its dag-pb node", async () => {
    const json = JSON.stringify(turbofan);
    const node = dagPb.encode({ Data: new UnixFS({ type: "file", data: new TextEncoder().encode(json) }).marshal(), Links: [] });
    const address = await metadataAddressOf(turbofan);
    expect(address.json).toBe(json);
    expect(address.digest).toBe(bytesToHex((await sha256.digest(node)).digest));
    expect(address.cid).toBe(metadataCidOf(address.digest));
  });

  it("writes keys in the seed's order, whatever order the form built them in", async () => {
    const shuffled = { sensors: turbofan.sensors.map(({ max, min, unit, name }) => ({ max, min, unit, name })), deviceType: "turbofan-ecu" };
    expect((await metadataAddressOf(shuffled)).digest).toBe((await metadataAddressOf(turbofan)).digest);
  });
});

describe("firmwareUpdateProblems", () => {
  const current = keccak256(toBytes("pump-monitor-firmware-1.0.0"));
  it("refuses a malformed hash and the firmware the device already runs, typed or derived", () => {
    expect(firmwareUpdateProblems({ source: "hash", hash: "0xabc", version: "" }, current).hash).toMatch(/64 hexadecimal/);
    expect(firmwareUpdateProblems({ source: "hash", hash: current.toUpperCase().replace("0X", "0x"), version: "" }, current).hash).toMatch(/already runs/);
    expect(firmwareUpdateProblems({ source: "version", hash: "", version: "pump-monitor-firmware-1.0.0" }, current).version).toMatch(/already runs/);
    expect(firmwareUpdateProblems({ source: "version", hash: "", version: "pump-monitor-firmware-1.1.0" }, current)).toEqual({});
  });
});
