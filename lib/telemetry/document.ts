/**
 * The window document a gateway stores on IPFS and whose CID it anchors: the device's signed window exactly as
 * received (so anyone can re-check the root and the signature), how the tree is laid out, the readings in the
 * schema's units with their flags, and the quality report. Twins read the normalised part; auditors re-derive
 * it from the signed part.
 */
import { z } from "zod";
import type { Address } from "viem";
import { LEAF_ENCODING, TREE_LAYOUT } from "./merkle.ts";
import { signedWindowSchema, type SignedWindow } from "./window.ts";
import { ValueFlag, type RowFlag, type WindowQuality, type WrangledWindow } from "./wrangle.ts";
import { parseJsonDocument } from "../json-document.ts";

export const WINDOW_DOCUMENT_FORMAT = "twinledger.telemetry-window/1";

const sensorBoundsSchema = z.object({ name: z.string(), unit: z.string(), min: z.number(), max: z.number() });
const flagNames = ["ok", "missing", "invalid", "out-of-range"] as const;

export const windowDocumentSchema = z.object({
  format: z.literal(WINDOW_DOCUMENT_FORMAT),
  gateway: z.string().regex(/^0x[0-9a-fA-F]{40}$/) as unknown as z.ZodType<Address>,
  /** When the gateway accepted the window (Unix ms). */
  receivedAt: z.number(),
  window: signedWindowSchema,
  tree: z.object({ leafEncoding: z.string(), layout: z.string(), leafOrder: z.literal("row-index") }),
  schema: z.array(sensorBoundsSchema),
  normalised: z.object({
    /** Unix ms per row; null where the timestamp is bad. */
    timestamps: z.array(z.number().nullable()),
    /** One array per row, in schema order and units; null where missing or invalid. */
    values: z.array(z.array(z.number().nullable())),
    /** Rows with at least one flag: row index → the flags of the row and of each bad cell ("sensor:flag"). */
    flags: z.record(z.string(), z.array(z.string())),
  }),
  quality: z.object({
    rows: z.number(),
    values: z.number(),
    valid: z.number(),
    missing: z.number(),
    invalid: z.number(),
    outOfRange: z.number(),
    malformedRows: z.number(),
    badTimestamps: z.number(),
    timeOrderIssues: z.number(),
    unknownChannels: z.array(z.string()),
    unconvertibleChannels: z.array(z.string()),
  }) satisfies z.ZodType<WindowQuality>,
});

export type WindowDocument = z.infer<typeof windowDocumentSchema>;

export function windowDocument(window: SignedWindow, wrangled: WrangledWindow, gateway: Address, receivedAt: number): WindowDocument {
  const sensorCount = wrangled.sensors.length;
  const timestamps: (number | null)[] = [];
  const values: (number | null)[][] = [];
  const flags: Record<string, string[]> = {};
  for (let r = 0; r < wrangled.timestamps.length; r++) {
    const time = wrangled.timestamps[r]!;
    timestamps.push(Number.isNaN(time) ? null : time);
    const row: (number | null)[] = [];
    const rowFlags: string[] = [...(wrangled.rowFlags.get(r) ?? ([] as RowFlag[]))];
    for (let s = 0; s < sensorCount; s++) {
      const value = wrangled.values[r * sensorCount + s]!;
      row.push(Number.isNaN(value) ? null : value);
      const flag = wrangled.flags[r * sensorCount + s]!;
      if (flag !== ValueFlag.ok) rowFlags.push(`${wrangled.sensors[s]!.name}:${flagNames[flag]}`);
    }
    values.push(row);
    if (rowFlags.length > 0) flags[String(r)] = rowFlags;
  }
  return {
    format: WINDOW_DOCUMENT_FORMAT,
    gateway,
    receivedAt,
    window,
    tree: { leafEncoding: LEAF_ENCODING, layout: TREE_LAYOUT, leafOrder: "row-index" },
    schema: wrangled.sensors.map(({ name, unit, min, max }) => ({ name, unit, min, max })),
    normalised: { timestamps, values, flags },
    quality: wrangled.quality,
  };
}

const encoder = new TextEncoder();

export function encodeWindowDocument(document: WindowDocument): Uint8Array {
  return encoder.encode(JSON.stringify(document));
}

export function decodeWindowDocument(bytes: Uint8Array): WindowDocument {
  return parseJsonDocument(bytes, windowDocumentSchema, "window document");
}
