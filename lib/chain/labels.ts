/** Short text labels stored as bytes32 (asset labels in the DeviceRegistry); browser-safe. */
import { hexToString, stringToHex, type Hex } from "viem";

/** bytes32 of a short label, left-aligned (the DeviceRegistry's asset label format). */
export function labelToBytes32(label: string): Hex {
  if (new TextEncoder().encode(label).length > 32) throw new Error(`label "${label}" is longer than 32 bytes`);
  return stringToHex(label, { size: 32 });
}

/** The label a bytes32 holds, without its zero padding; undefined when the bytes are not UTF-8 text. */
export function bytes32ToLabel(value: Hex): string | undefined {
  try {
    return hexToString(value, { size: 32 }).replace(/\0+$/, "");
  } catch {
    return undefined;
  }
}
