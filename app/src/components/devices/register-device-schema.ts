/**
 * The "Register a device" form: what a person types (strings), the rules a registration must meet before it is
 * worth a transaction, and the typed values the transactions take. Errors are keyed by field path
 * ("deviceAccount", "sensors.0.max") so the form shows each next to its input.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { assetLabelProblem, firmwareHashOfVersion, firmwareHashProblem, type FirmwareValue } from "./firmware";
import type { DeviceMetadata } from "./metadata-document";

export interface SensorRowInput {
  name: string;
  unit: string;
  min: string;
  max: string;
}

export type FirmwareSource = FirmwareValue["source"];

export interface RegisterDeviceInput {
  organisationId: string;
  /** An asset id of the organisation, or "new" to register an asset first. */
  asset: string;
  newAssetLabel: string;
  deviceAccount: string;
  firmwareSource: FirmwareSource;
  firmwareHash: string;
  firmwareVersion: string;
  deviceType: string;
  sensors: SensorRowInput[];
}

export const newAssetChoice = "new";

export interface RegisterDeviceContext {
  /** Lower-cased device accounts ever registered: an account is registered once, even after revocation. */
  registeredAccounts: ReadonlySet<string>;
  /** The organisations the connected account may register for. */
  organisationIds: readonly number[];
  assetsOf: (organisationId: number) => readonly { id: bigint; label: string }[];
}

export interface RegisterDeviceValues {
  organisationId: number;
  asset: { kind: "existing"; assetId: bigint } | { kind: "new"; label: string };
  deviceAccount: Address;
  firmwareHash: Hex;
  firmwareSource: FirmwareSource;
  metadata: DeviceMetadata;
}

export type FieldErrors = Partial<Record<string, string>>;

const addressShape = /^0x[0-9a-fA-F]{40}$/;

/** What is wrong with a typed device account, or undefined. Mixed case must carry a valid EIP-55 checksum. */
export function deviceAccountProblem(value: string, registeredAccounts: ReadonlySet<string>): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return "Enter the device's account (the address of the key it signs with).";
  if (!addressShape.test(trimmed)) return "An address is 0x followed by 40 hexadecimal digits.";
  if (!isAddress(trimmed, { strict: true })) return "The checksum (upper/lower case) does not match: check for a typo, or paste the address in lower case.";
  if (/^0x0{40}$/.test(trimmed)) return "The zero address cannot be a device.";
  if (registeredAccounts.has(trimmed.toLowerCase())) return "This account is already registered as a device (an account is registered once, even after revocation).";
  return undefined;
}

const numberText = (what: string) =>
  z.string().trim().min(1, `Enter the ${what}.`).refine((text) => Number.isFinite(Number(text)), `The ${what} must be a number.`).transform(Number);

const sensorSchema = z
  .object({
    name: z.string().trim().min(1, "Name the sensor.").max(64, "At most 64 characters."),
    unit: z.string().trim().max(32, "At most 32 characters."),
    min: numberText("minimum"),
    max: numberText("maximum"),
  })
  // Zod runs this even when min or max failed to parse (then still a string): only two numbers are compared.
  // The same rule as lib/chain/device-metadata.ts, which every reader applies: min = max declares a constant sensor.
  .refine((sensor) => typeof sensor.min !== "number" || typeof sensor.max !== "number" || sensor.min <= sensor.max, {
    message: "The maximum must not be below the minimum.",
    path: ["max"],
  });

export function registerDeviceSchema(context: RegisterDeviceContext) {
  return z
    .object({
      organisationId: z.string().transform(Number).refine((id) => context.organisationIds.includes(id), "Choose an organisation you may register devices for."),
      asset: z.string(),
      newAssetLabel: z.string(),
      deviceAccount: z.string(),
      firmwareSource: z.enum(["hash", "version"]),
      firmwareHash: z.string(),
      firmwareVersion: z.string(),
      deviceType: z.string().trim().min(1, "Say what kind of device it is, e.g. pump-monitor.").max(64, "At most 64 characters."),
      sensors: z
        .array(sensorSchema)
        .min(1, "Add at least one sensor with its bounds.")
        .refine((sensors) => new Set(sensors.map((sensor) => sensor.name)).size === sensors.length, "Each sensor needs its own name."),
    })
    .superRefine((input, issues) => {
      const accountProblem = deviceAccountProblem(input.deviceAccount, context.registeredAccounts);
      if (accountProblem) issues.addIssue({ code: "custom", path: ["deviceAccount"], message: accountProblem });
      if (input.firmwareSource === "hash") {
        const problem = firmwareHashProblem(input.firmwareHash);
        if (problem) issues.addIssue({ code: "custom", path: ["firmwareHash"], message: problem });
      } else if (input.firmwareVersion.trim() === "") {
        issues.addIssue({ code: "custom", path: ["firmwareVersion"], message: "Enter the firmware version, e.g. pump-monitor-firmware-1.1.0." });
      }
      const assets = context.organisationIds.includes(input.organisationId) ? context.assetsOf(input.organisationId) : [];
      if (input.asset === newAssetChoice) {
        const problem = assetLabelProblem(input.newAssetLabel, assets.map((asset) => asset.label));
        if (problem) issues.addIssue({ code: "custom", path: ["newAssetLabel"], message: problem });
      } else if (!assets.some((asset) => asset.id.toString() === input.asset)) {
        issues.addIssue({ code: "custom", path: ["asset"], message: "Choose one of the organisation's assets, or register a new one." });
      }
    })
    .transform(
      (input): RegisterDeviceValues => ({
        organisationId: input.organisationId,
        asset: input.asset === newAssetChoice ? { kind: "new", label: input.newAssetLabel.trim() } : { kind: "existing", assetId: BigInt(input.asset) },
        deviceAccount: getAddress(input.deviceAccount.trim()),
        firmwareHash: input.firmwareSource === "hash" ? (input.firmwareHash.trim().toLowerCase() as Hex) : firmwareHashOfVersion(input.firmwareVersion.trim()),
        firmwareSource: input.firmwareSource,
        metadata: { deviceType: input.deviceType, sensors: input.sensors },
      }),
    );
}

export type RegisterDeviceResult = { ok: true; values: RegisterDeviceValues } | { ok: false; errors: FieldErrors };

/** Checks the whole form; the first problem of each field, keyed by its path. */
export function validateRegisterDevice(input: RegisterDeviceInput, context: RegisterDeviceContext): RegisterDeviceResult {
  const parsed = registerDeviceSchema(context).safeParse(input);
  if (parsed.success) return { ok: true, values: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.map(String).join(".");
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}
