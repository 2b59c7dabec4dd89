/** Firmware hashes and asset labels as the DeviceRegistry takes them. */
import { keccak256, toBytes, type Hex } from "viem";

export const bytes32Pattern = /^0x[0-9a-fA-F]{64}$/;

/** The hash a version string stands for: keccak256 of its UTF-8 bytes (what the seed registers for "…-firmware-1.0.0"). */
export function firmwareHashOfVersion(version: string): Hex {
  return keccak256(toBytes(version));
}

/** What is wrong with a typed firmware hash, or undefined when registerDevice/updateFirmware accept it. */
export function firmwareHashProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return "Enter the firmware image's 32-byte hash.";
  if (!bytes32Pattern.test(trimmed)) return "A firmware hash is 0x followed by 64 hexadecimal digits.";
  if (/^0x0+$/.test(trimmed)) return "The zero hash names no firmware.";
  return undefined;
}

export function assetLabelProblem(label: string, existingLabels: readonly string[]): string | undefined {
  const trimmed = label.trim();
  if (trimmed === "") return "Give the new asset a label, e.g. pump-12.";
  if (new TextEncoder().encode(trimmed).length > 32) return "A label is at most 32 bytes.";
  if (existingLabels.includes(trimmed)) return `This organisation already has an asset labelled ${trimmed}.`;
  return undefined;
}

export interface FirmwareValue {
  source: "hash" | "version";
  hash: string;
  version: string;
}

/** What is wrong with a firmware update, per field; empty when it is worth a transaction. */
export function firmwareUpdateProblems(value: FirmwareValue, currentHash: Hex): { hash?: string; version?: string } {
  if (value.source === "version") {
    const version = value.version.trim();
    if (version === "") return { version: "Enter the firmware version." };
    return firmwareHashOfVersion(version) === currentHash.toLowerCase() ? { version: "The device already runs this firmware." } : {};
  }
  const problem = firmwareHashProblem(value.hash);
  if (problem) return { hash: problem };
  return value.hash.trim().toLowerCase() === currentHash.toLowerCase() ? { hash: "The device already runs this firmware." } : {};
}
