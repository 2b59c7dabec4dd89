/**
 * From an anchored window to readings the twin can trust. The chain holds the root; the document on IPFS holds the
 * rows. The twin accepts the document only if its rows hash to the anchored root and the device signed that
 * root, and then re-derives the values from those signed rows against the device's on-chain schema: the
 * document's own "normalised" part is the gateway's work and is not covered by the root.
 */
import type { Address, Hex } from "viem";
import type { SensorBounds } from "../lib/chain/seed.ts";
import type { WindowDocument } from "../lib/telemetry/document.ts";
import { readingsRoot } from "../lib/telemetry/merkle.ts";
import { windowSigner } from "../lib/telemetry/window.ts";
import { wrangleWindow } from "../lib/telemetry/wrangle.ts";

/** A WindowAnchored event's fields. */
export interface AnchoredWindow {
  windowId: number;
  device: Address;
  gateway: Address;
  root: Hex;
  startTime: number;
  endTime: number;
  readingCount: number;
  dataCid: string;
  blockNumber: bigint;
}

export type AnchorCheck = { ok: true } | { ok: false; reason: "device-mismatch" | "header-mismatch" | "root-mismatch" | "bad-signature"; detail: string };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Checks that `document` is the window anchored as `anchored`: same device, span and count, its rows hash to the
 * anchored root (recomputed), and its signature recovers to the device. `domain` is the telemetry signing domain.
 */
export async function checkAnchoredDocument(document: WindowDocument, anchored: AnchoredWindow, domain: { chainId: number; provenanceAnchor: Address }): Promise<AnchorCheck> {
  const window = document.window;
  if (!same(window.device, anchored.device)) return { ok: false, reason: "device-mismatch", detail: `the document is of ${window.device}, the anchor of ${anchored.device}` };
  if (window.rows.length !== anchored.readingCount || window.startTime !== anchored.startTime || window.endTime !== anchored.endTime) {
    return {
      ok: false,
      reason: "header-mismatch",
      detail: `the document has ${window.rows.length} rows over ${window.startTime}..${window.endTime}, the anchor ${anchored.readingCount} over ${anchored.startTime}..${anchored.endTime}`,
    };
  }
  const root = readingsRoot(window.rows);
  if (!same(root, anchored.root) || !same(window.root, anchored.root)) {
    return { ok: false, reason: "root-mismatch", detail: `the rows hash to ${root} and the document states ${window.root}; the chain anchored ${anchored.root}` };
  }
  try {
    const signer = await windowSigner(window, domain.chainId, domain.provenanceAnchor);
    if (!same(signer, window.device)) return { ok: false, reason: "bad-signature", detail: `signed by ${signer}, not by the device ${window.device}` };
  } catch (error) {
    return { ok: false, reason: "bad-signature", detail: `the signature does not recover: ${(error as Error).message.split("\n")[0]}` };
  }
  return { ok: true };
}

/** The signed rows in the schema's units and order: Unix ms per row (NaN if bad) and rows × sensors values (NaN if missing or invalid). */
export function readingsInSchema(document: WindowDocument, schema: readonly SensorBounds[]): { timestamps: Float64Array; values: Float64Array } {
  const wrangled = wrangleWindow(document.window, schema);
  return { timestamps: wrangled.timestamps, values: wrangled.values };
}
