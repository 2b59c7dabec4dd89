/**
 * Verifying one telemetry reading's proof in the browser: the window document (fetched by the anchored data CID)
 * must be the anchored window, and the reading's leaf, recomputed from the row exactly as the device sent it, with
 * its Merkle proof must lead to the root in the WindowAnchored event. Pure, over evidence already fetched; the
 * hashing is lib/telemetry/merkle.ts's (the leaf encoding and tree layout the gateways and the contract use).
 *
 * The document is parsed with a schema of just the fields this check reads: lib/telemetry/document.ts's full
 * schema imports the signature code (lib/crypto/recover.ts, node:module), which the browser cannot load.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { AnchoredHeader } from "../../../../lib/provenance/checks.ts";
import type { WindowDocument } from "../../../../lib/telemetry/document.ts";
import { buildReadingTree, processProof, readingLeaf, readingProof, treeRoot, verifyReadingProof } from "../../../../lib/telemetry/merkle.ts";
import type { VerificationStep } from "./model-verification";

/** A WindowAnchored event: the header the gateway anchored, the gateway, and where it was logged. */
export interface WindowAnchorRecord {
  windowId: bigint;
  gateway: Address;
  header: AnchoredHeader;
  blockNumber: bigint;
  transactionHash: Hex;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as unknown as z.ZodType<Address>;
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte hex string") as unknown as z.ZodType<Hex>;

type ProofFields = {
  gateway: WindowDocument["gateway"];
  window: Pick<WindowDocument["window"], "device" | "startTime" | "endTime" | "channels" | "rows" | "root">;
  schema: WindowDocument["schema"];
  normalised: Pick<WindowDocument["normalised"], "timestamps" | "values">;
};

const proofFieldsSchema: z.ZodType<ProofFields> = z.object({
  gateway: address,
  window: z.object({
    device: address,
    startTime: z.number(),
    endTime: z.number(),
    channels: z.array(z.object({ name: z.string(), unit: z.string() })),
    rows: z.array(z.array(z.unknown())).min(1),
    root: hex32,
  }),
  schema: z.array(z.object({ name: z.string(), unit: z.string(), min: z.number(), max: z.number() })),
  normalised: z.object({ timestamps: z.array(z.number().nullable()), values: z.array(z.array(z.number().nullable())) }),
});

/** The reading as the device sent (and signed) it, and as the gateway normalised it. */
export interface ProvenReading {
  index: number;
  /** Channel name → the raw cell, in the device's own units; the first cell of a row is its timestamp. */
  raw: { name: string; unit: string; value: unknown }[];
  timestamp: number | null;
  normalised: { name: string; unit: string; value: number | null }[];
}

export interface ReadingProofResult {
  ok: boolean;
  /** The first failed step's detail, when not ok. */
  reason: string | null;
  steps: VerificationStep[];
  reading: ProvenReading | null;
  leaf: Hex | null;
  /** Sibling hashes from the leaf up. */
  proof: Hex[] | null;
  /** What the leaf and proof fold to (equal to the anchored root when the reading is proven). */
  provenRoot: Hex | null;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function finish(steps: VerificationStep[], rest: Omit<ReadingProofResult, "ok" | "reason" | "steps">): ReadingProofResult {
  const failure = steps.find((step) => !step.ok);
  return { ok: failure === undefined, reason: failure ? failure.detail : null, steps, ...rest };
}

/** Checks reading `index` of the window document `document` (parsed JSON) against its WindowAnchored event. */
export function checkReadingProof(document: unknown, anchor: WindowAnchorRecord, index: number): ReadingProofResult {
  const steps: VerificationStep[] = [];
  const empty = { reading: null, leaf: null, proof: null, provenRoot: null };
  const parsed = proofFieldsSchema.safeParse(document);
  if (!parsed.success) {
    steps.push({ name: "window document", ok: false, detail: `the content at ${anchor.header.dataCid} is not a telemetry window document: ${z.prettifyError(parsed.error).split("\n").slice(0, 2).join(" ")}` });
    return finish(steps, empty);
  }
  const { window, normalised, schema, gateway } = parsed.data;
  const header = anchor.header;
  steps.push({ name: "window document", ok: true, detail: `window of ${window.rows.length} readings from device ${window.device}, stored by gateway ${gateway}` });

  const differences: string[] = [];
  if (!same(window.device, header.deviceAccount)) differences.push(`device ${window.device} ≠ anchored ${header.deviceAccount}`);
  if (!same(window.root, header.root)) differences.push(`signed root ${window.root} ≠ anchored ${header.root}`);
  if (BigInt(window.startTime) !== header.startTime || BigInt(window.endTime) !== header.endTime) differences.push(`span ${window.startTime}–${window.endTime} ≠ anchored ${header.startTime}–${header.endTime}`);
  if (window.rows.length !== header.readingCount) differences.push(`${window.rows.length} readings ≠ anchored count ${header.readingCount}`);
  if (!same(gateway, anchor.gateway)) differences.push(`gateway ${gateway} ≠ anchoring gateway ${anchor.gateway}`);
  steps.push(
    differences.length === 0
      ? { name: "document is the anchored window", ok: true, detail: "device, signed root, time span, reading count and gateway match the WindowAnchored event" }
      : { name: "document is the anchored window", ok: false, detail: `the document is not the anchored window: ${differences.join("; ")}` },
  );

  const tree = buildReadingTree(window.rows);
  const documentRoot = treeRoot(tree);
  steps.push(
    same(documentRoot, header.root)
      ? { name: "window root", ok: true, detail: `all ${window.rows.length} readings hash to the anchored root` }
      : { name: "window root", ok: false, detail: `the window's readings hash to ${documentRoot}, not to the anchored root ${header.root}: a reading was altered, added, removed or reordered` },
  );

  const row = window.rows[index];
  if (!Number.isInteger(index) || row === undefined) {
    steps.push({ name: "reading", ok: false, detail: `reading ${index} is not in the window, which has readings 0..${window.rows.length - 1}` });
    return finish(steps, empty);
  }
  const leaf = readingLeaf(index, row);
  const proof = readingProof(tree, index);
  const provenRoot = processProof(leaf, proof);
  steps.push(
    verifyReadingProof(header.root, leaf, proof)
      ? { name: "Merkle proof", ok: true, detail: `the reading's leaf with its ${proof.length}-step proof leads to the anchored root ${header.root}` }
      : { name: "Merkle proof", ok: false, detail: `reading ${index}'s leaf ${leaf} with its ${proof.length}-step proof leads to ${provenRoot}, not to the anchored root ${header.root}: the reading is not the one anchored` },
  );

  const values = normalised.values[index] ?? [];
  const reading: ProvenReading = {
    index,
    raw: row.map((value, cell) => (cell === 0 ? { name: "time", unit: "", value } : { name: window.channels[cell - 1]?.name ?? `cell ${cell}`, unit: window.channels[cell - 1]?.unit ?? "", value })),
    timestamp: normalised.timestamps[index] ?? null,
    normalised: schema.map(({ name, unit }, s) => ({ name, unit, value: values[s] ?? null })),
  };
  return finish(steps, { reading, leaf, proof, provenRoot });
}
