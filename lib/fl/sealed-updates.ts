/**
 * The document of a round's accepted updates, as the devices signed them, in the order of the committed tree.
 * The leader stores it on IPFS and names its CID in the commitment (UpdateLedger.UpdatesCommitted), so an auditor
 * can recompute the participants root and check every device's signature from public evidence alone.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import { envelopeToJson, signedUpdateSchema, type SignedUpdate } from "./envelope.ts";
import { parseJsonDocument } from "../json-document.ts";

export const SEALED_UPDATES_FORMAT = "twinledger.sealed-updates/1";

const sealedUpdatesSchema = z.object({
  format: z.literal(SEALED_UPDATES_FORMAT),
  taskId: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  roundId: z.string().regex(/^\d+$/),
  updates: z.array(signedUpdateSchema.extend({ device: z.string().regex(/^0x[0-9a-fA-F]{40}$/) as unknown as z.ZodType<Address> })).min(1),
});

/** One accepted update: the device the oracle accepted it from, and what that device signed. */
export type SealedUpdate = SignedUpdate & { device: Address };

export interface SealedUpdates {
  taskId: Hex;
  roundId: bigint;
  /** In the committed tree's order (by device address). */
  updates: SealedUpdate[];
}

export function encodeSealedUpdates(sealed: SealedUpdates): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ format: SEALED_UPDATES_FORMAT, taskId: sealed.taskId, roundId: sealed.roundId.toString(), updates: sealed.updates.map((update) => ({ device: update.device, ...(envelopeToJson(update) as object) })) }),
  );
}

/** Parses a sealed-updates document, or throws naming what is wrong. */
export function decodeSealedUpdates(bytes: Uint8Array): SealedUpdates {
  const parsed = parseJsonDocument(bytes, sealedUpdatesSchema, "sealed-updates document");
  return { taskId: parsed.taskId as Hex, roundId: BigInt(parsed.roundId), updates: parsed.updates };
}
