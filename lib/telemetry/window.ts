/**
 * A telemetry window as a device sends it to a fog gateway: its readings exactly as the device produced them
 * (its own channel names, units and time format), the Merkle root over them, and the device's EIP-712
 * signature over a header that binds root, time span, count, sequence and the channel declaration. The
 * signature covers the root, not the bytes of the request, so one reading can later be proven from its
 * Merkle proof and the signed header alone.
 */
import { hashTypedData, type Address, type Hex, type LocalAccount } from "viem";
import { recoverSigner } from "../crypto/recover.ts";
import { z } from "zod";
import { keccakText, readingsRoot, type RawRow } from "./merkle.ts";

/** Most readings one window may carry; a window is one anchor, so this bounds a proof's depth (2^16). */
export const MAX_WINDOW_READINGS = 65_536;

export const timeFormats = ["epoch-ms", "epoch-s", "iso8601"] as const;
export type TimeFormat = (typeof timeFormats)[number];

export interface Channel {
  name: string;
  unit: string;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 0x-prefixed 20-byte address") as unknown as z.ZodType<Address>;
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte hex string") as unknown as z.ZodType<Hex>;
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte signature") as unknown as z.ZodType<Hex>;
const uint64Number = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The wire format. Rows are checked cell by cell by wrangling (which flags, rather than refuses, bad cells), so
 * the schema only requires each row to be an array.
 */
export const signedWindowSchema = z.object({
  device: address,
  /** Strictly increasing per device: a gateway refuses a sequence it has already accepted (replay). */
  sequence: uint64Number,
  /** Unix milliseconds of the first and last reading, as the device states them. */
  startTime: uint64Number,
  endTime: uint64Number,
  timeFormat: z.enum(timeFormats),
  channels: z.array(z.object({ name: z.string().min(1).max(64), unit: z.string().max(32) })).min(1).max(256),
  rows: z.array(z.array(z.unknown())).min(1).max(MAX_WINDOW_READINGS),
  root: hex32,
  signature,
});

export type SignedWindow = z.infer<typeof signedWindowSchema>;

/** The EIP-712 type a device signs for each window. */
export const telemetryWindowTypes = {
  TelemetryWindow: [
    { name: "device", type: "address" },
    { name: "sequence", type: "uint64" },
    { name: "startTime", type: "uint64" },
    { name: "endTime", type: "uint64" },
    { name: "readingCount", type: "uint32" },
    { name: "root", type: "bytes32" },
    { name: "formatHash", type: "bytes32" },
  ],
} as const;

/** The signing domain: bound to the chain and the ProvenanceAnchor, so a window's signature replays nowhere else. */
export function telemetryDomain(chainId: number, provenanceAnchor: Address) {
  return { name: "twinledger", version: "1", chainId, verifyingContract: provenanceAnchor } as const;
}

/** Binds the channel declaration (names, units, time format) to the signature, so units cannot be swapped afterwards. */
export function formatHash(channels: readonly Channel[], timeFormat: TimeFormat): Hex {
  return keccakText(JSON.stringify({ channels: channels.map(({ name, unit }) => ({ name, unit })), timeFormat }));
}

function typedMessage(window: Omit<SignedWindow, "signature">) {
  return {
    device: window.device,
    sequence: BigInt(window.sequence),
    startTime: BigInt(window.startTime),
    endTime: BigInt(window.endTime),
    readingCount: window.rows.length,
    root: window.root,
    formatHash: formatHash(window.channels, window.timeFormat),
  };
}

export interface WindowDraft {
  sequence: number;
  startTime: number;
  endTime: number;
  timeFormat: TimeFormat;
  channels: Channel[];
  rows: RawRow[];
}

/** Builds the tree over the rows and signs the window with the device's key. */
export async function signWindow(device: LocalAccount, chainId: number, provenanceAnchor: Address, draft: WindowDraft): Promise<SignedWindow> {
  const unsigned = { device: device.address, ...draft, rows: draft.rows as unknown[][], root: readingsRoot(draft.rows) };
  const signed = await device.signTypedData({
    domain: telemetryDomain(chainId, provenanceAnchor),
    types: telemetryWindowTypes,
    primaryType: "TelemetryWindow",
    message: typedMessage(unsigned),
  });
  return { ...unsigned, signature: signed };
}

/** The account that signed the window's header (whoever it is; compare it with `window.device`). */
export async function windowSigner(window: SignedWindow, chainId: number, provenanceAnchor: Address): Promise<Address> {
  const digest = hashTypedData({ domain: telemetryDomain(chainId, provenanceAnchor), types: telemetryWindowTypes, primaryType: "TelemetryWindow", message: typedMessage(window) });
  const signer = await recoverSigner(digest, window.signature);
  if (signer === null) throw new Error("the signature is malformed or does not recover");
  return signer;
}

export type WindowIntegrity =
  | { ok: true }
  | { ok: false; reason: "root-mismatch" | "bad-signature" | "time-span-invalid"; detail: string };

/**
 * Checks that the rows hash to the stated root and the device signed the header. `root-mismatch` covers a
 * tampered or reordered reading; `bad-signature` a forged or foreign signature.
 */
export async function checkWindowIntegrity(window: SignedWindow, chainId: number, provenanceAnchor: Address): Promise<WindowIntegrity> {
  if (window.startTime > window.endTime) return { ok: false, reason: "time-span-invalid", detail: `startTime ${window.startTime} is after endTime ${window.endTime}` };
  const root = readingsRoot(window.rows);
  if (root.toLowerCase() !== window.root.toLowerCase()) {
    return { ok: false, reason: "root-mismatch", detail: `the readings hash to ${root}, not the signed root ${window.root}` };
  }
  let signer: Address;
  try {
    signer = await windowSigner(window, chainId, provenanceAnchor);
  } catch (error) {
    return { ok: false, reason: "bad-signature", detail: `the signature does not recover: ${(error as Error).message.split("\n")[0]}` };
  }
  if (signer.toLowerCase() !== window.device.toLowerCase()) {
    return { ok: false, reason: "bad-signature", detail: `signed by ${signer}, not by the device ${window.device}` };
  }
  return { ok: true };
}
