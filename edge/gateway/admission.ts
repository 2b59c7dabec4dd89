/**
 * Whether a gateway takes a device's window, and if not, why. Checks run cheapest first: the wire format, the
 * device's registry entry (cached), then the Merkle root and the signature. Replays are refused by the buffer,
 * which owns the per-device sequence.
 */
import type { Address } from "viem";
import { z } from "zod";
import { checkWindowIntegrity, signedWindowSchema, type SignedWindow } from "../../lib/telemetry/window.ts";
import { wrangleWindow, type WrangledWindow } from "../../lib/telemetry/wrangle.ts";
import type { DeviceEntry } from "./device-directory.ts";

export type RejectionReason =
  | "malformed-window"
  | "unknown-device"
  | "device-not-active"
  | "organisation-not-active"
  | "registry-unavailable"
  | "root-mismatch"
  | "bad-signature"
  | "time-span-invalid"
  | "replayed-sequence"
  | "buffer-full"
  | "body-too-large";

/** HTTP status per reason: the device's fault (4xx) or a condition to retry later (503). */
export const rejectionStatus: Record<RejectionReason, number> = {
  "malformed-window": 400,
  "unknown-device": 403,
  "device-not-active": 403,
  "organisation-not-active": 403,
  "registry-unavailable": 503,
  "root-mismatch": 422,
  "bad-signature": 401,
  "time-span-invalid": 422,
  "replayed-sequence": 409,
  "buffer-full": 503,
  "body-too-large": 413,
};

export class WindowRejected extends Error {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, detail: string) {
    super(detail);
    this.name = "WindowRejected";
    this.reason = reason;
  }
}

export interface AdmissionContext {
  chainId: number;
  provenanceAnchor: Address;
  lookup(device: Address): Promise<DeviceEntry>;
}

export interface AdmittedWindow {
  window: SignedWindow;
  entry: DeviceEntry;
  wrangled: WrangledWindow;
}

/** Admits a window or throws WindowRejected with the reason. */
export async function admitWindow(body: unknown, context: AdmissionContext): Promise<AdmittedWindow> {
  const parsed = signedWindowSchema.safeParse(body);
  if (!parsed.success) throw new WindowRejected("malformed-window", z.prettifyError(parsed.error));
  const window = parsed.data;

  let entry: DeviceEntry;
  try {
    entry = await context.lookup(window.device);
  } catch (error) {
    throw new WindowRejected("registry-unavailable", `cannot read the device registry: ${(error as Error).message.split("\n")[0]}`);
  }
  if (entry.status === "none") throw new WindowRejected("unknown-device", `${window.device} is not a registered device`);
  if (!entry.active) throw new WindowRejected("device-not-active", `${window.device} is ${entry.status}`);
  if (!entry.organisationActive) throw new WindowRejected("organisation-not-active", `organisation ${entry.organisationId} of ${window.device} is not active`);

  const integrity = await checkWindowIntegrity(window, context.chainId, context.provenanceAnchor);
  if (!integrity.ok) throw new WindowRejected(integrity.reason, integrity.detail);

  return { window, entry, wrangled: wrangleWindow(window, entry.sensors) };
}
