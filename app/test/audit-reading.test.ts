// @vitest-environment node
import { describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { checkReadingOffchain } from "../../lib/provenance/checks.ts";
import { windowDocument, type WindowDocument } from "../../lib/telemetry/document.ts";
import { readingLeaf } from "../../lib/telemetry/merkle.ts";
import { signWindow } from "../../lib/telemetry/window.ts";
import { wrangleWindow } from "../../lib/telemetry/wrangle.ts";
import { checkReadingProof, type WindowAnchorRecord } from "@/components/audit/reading-proof";

const device = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const gateway = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955" as const;
const provenanceAnchor = "0xc5a5C42992dECbae36851359345FE25997F5C42d" as const;
const domain = { chainId: 31337, provenanceAnchor };
const schema = [
  { name: "cycle", unit: "1", min: 0, max: 10_000 },
  { name: "sensor_1", unit: "K", min: 400, max: 500 },
  { name: "sensor_2", unit: "psia", min: 300, max: 350 },
];

/** A window as a device signs it and a gateway stores it, built with lib/telemetry's own functions. */
async function anchoredWindow(rowCount = 37) {
  const start = 1_795_346_410_000;
  const rows = Array.from({ length: rowCount }, (_, i) => [start + 50 * i, i + 1, 470 + Math.sin(i) * 5, 330 + (i % 7)]);
  const signed = await signWindow(device, 31337, provenanceAnchor, {
    sequence: 4,
    startTime: start,
    endTime: start + 50 * (rowCount - 1),
    timeFormat: "epoch-ms",
    channels: schema.map(({ name, unit }) => ({ name, unit })),
    rows,
  });
  const document = windowDocument(signed, wrangleWindow(signed, schema), gateway, start + 5_000);
  const anchor: WindowAnchorRecord = {
    windowId: 2590n,
    gateway,
    header: { deviceAccount: device.address, startTime: BigInt(signed.startTime), endTime: BigInt(signed.endTime), readingCount: rows.length, root: signed.root, dataCid: "QmZrQwVz5rJi1oS2NvZMdpyLaRtv9vmi1EMUg2y9s258mU" },
    blockNumber: 1864n,
    transactionHash: `0x${"ab".repeat(32)}`,
  };
  return { document, anchor };
}

/** The document as the browser gets it: JSON from IPFS. */
const asFetched = (document: WindowDocument): unknown => JSON.parse(JSON.stringify(document));

describe("checkReadingProof", () => {
  it("verifies an untouched reading against the anchored root, with the leaf and proof the CLI auditor computes", async () => {
    const { document, anchor } = await anchoredWindow();
    const result = (await checkReadingProof(asFetched(document), anchor, 3, domain));
    expect(result.ok).toBe(true);
    expect(result.reason).toBeNull();
    expect(result.steps.every((step) => step.ok)).toBe(true);
    expect(result.leaf).toBe(readingLeaf(3, document.window.rows[3]!));
    expect(result.provenRoot).toBe(anchor.header.root);
    expect(result.reading?.raw.map((cell) => cell.name)).toEqual(["time", "cycle", "sensor_1", "sensor_2"]);
    expect(result.reading?.normalised[1]).toEqual({ name: "sensor_1", unit: "K", value: document.normalised.values[3]![1] });

    const auditor = await checkReadingOffchain(document, anchor.header, 3, { chainId: 31337, provenanceAnchor, gateway });
    expect(auditor.ok).toBe(true);
    expect(result.leaf).toBe(auditor.leaf);
    expect(result.proof).toEqual(auditor.proof);
  });

  it("verifies every reading of a window, first and last included", async () => {
    const { document, anchor } = await anchoredWindow(5);
    for (let index = 0; index < 5; index++) expect((await checkReadingProof(asFetched(document), anchor, index, domain)).ok).toBe(true);
  });

  it("fails when the reading's value was changed after anchoring", async () => {
    const { document, anchor } = await anchoredWindow();
    const tampered = asFetched(document) as WindowDocument;
    tampered.window.rows[3]![2] = (tampered.window.rows[3]![2] as number) + 0.001;
    const result = (await checkReadingProof(tampered, anchor, 3, domain));
    expect(result.ok).toBe(false);
    const proofStep = result.steps.find((step) => step.name === "Merkle proof");
    expect(proofStep?.ok).toBe(false);
    expect(proofStep?.detail).toMatch(/does not lead to the anchored root/);
    expect(result.provenRoot).not.toBe(anchor.header.root);
    expect(result.reason).toMatch(/hash to 0x[0-9a-f]{64}, not to the root 0x[0-9a-f]{64} the device signed/);
  });

  it("fails for an untouched reading when another reading of the window was changed", async () => {
    const { document, anchor } = await anchoredWindow();
    const tampered = asFetched(document) as WindowDocument;
    tampered.window.rows[20]![1] = 999;
    const result = (await checkReadingProof(tampered, anchor, 3, domain));
    expect(result.ok).toBe(false);
    expect(result.steps.find((step) => step.name === "Merkle proof")?.ok).toBe(false);
  });

  it("fails when the readings were reordered", async () => {
    const { document, anchor } = await anchoredWindow();
    const tampered = asFetched(document) as WindowDocument;
    [tampered.window.rows[3], tampered.window.rows[4]] = [tampered.window.rows[4]!, tampered.window.rows[3]!];
    expect((await checkReadingProof(tampered, anchor, 3, domain)).ok).toBe(false);
  });

  it("fails when the anchored root is not the document's", async () => {
    const { document, anchor } = await anchoredWindow();
    const other = { ...anchor, header: { ...anchor.header, root: `0x${"11".repeat(32)}` as const } };
    const result = (await checkReadingProof(asFetched(document), other, 3, domain));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/not the anchored window: root/);
    expect(result.steps.find((step) => step.name === "Merkle proof")?.ok).toBe(false);
  });

  it("fails when the document names another gateway or device than the event", async () => {
    const { document, anchor } = await anchoredWindow();
    expect((await checkReadingProof(asFetched(document), { ...anchor, gateway: "0x0000000000000000000000000000000000000001" }, 3, domain)).reason).toMatch(/gateway/);
    const otherDevice = { ...anchor, header: { ...anchor.header, deviceAccount: gateway } };
    expect((await checkReadingProof(asFetched(document), otherDevice, 3, domain)).reason).toMatch(/device/);
  });

  it("fails when the window was signed by another key than the device's", async () => {
    const { document, anchor } = await anchoredWindow();
    const forger = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    const forged = await signWindow(forger, 31337, provenanceAnchor, { ...document.window, channels: document.window.channels, rows: document.window.rows });
    const tampered = asFetched({ ...document, window: { ...forged, device: document.window.device } });
    const result = await checkReadingProof(tampered, anchor, 3, domain);
    expect(result.ok).toBe(false);
    expect(result.steps.find((step) => step.name === "device signature")?.detail).toMatch(/signed by 0x[0-9a-fA-F]{40}, not by the device/);
    expect(result.steps.find((step) => step.name === "Merkle proof")?.ok).toBe(true);
  });

  it("says when the reading index is outside the window", async () => {
    const { document, anchor } = await anchoredWindow(4);
    const result = (await checkReadingProof(asFetched(document), anchor, 4, domain));
    expect(result.ok).toBe(false);
    expect(result.reason).toBe("reading 4 is not in the window, which has readings 0..3");
    expect(result.leaf).toBeNull();
  });

  it("refuses content that is not a window document", async () => {
    const anchor = { windowId: 1n, gateway, header: { deviceAccount: gateway, startTime: 0n, endTime: 0n, readingCount: 1, root: `0x${"00".repeat(32)}` as const, dataCid: "Qm" }, blockNumber: 1n, transactionHash: `0x${"00".repeat(32)}` as const };
    const result = (await checkReadingProof({ hello: "world" }, anchor, 0, domain));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/is not a telemetry window document/);
  });
});
