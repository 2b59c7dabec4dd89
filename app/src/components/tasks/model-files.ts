/**
 * Whether the files a CID names are the model the chain recorded: keccak256 of the canonical float32 weights must
 * equal the version's `weightsHash`. A model directory (TF.js LayersModel) holds those floats in weights.bin, which
 * model.json must describe exactly; a seeded genesis model is one file of float32 weights. Pure, so it is tested
 * without IPFS; the same rules as the auditor's (audit/core/weights.ts).
 */
import type { Hex } from "viem";
import { describedWeightBytes } from "../../../../lib/model/model-json.ts";
import { bytesToWeights, weightsHash } from "../../../../lib/model/weights.ts";

export type ModelCheck = { ok: true; hash: Hex } | { ok: false; reason: string };

function compare(weights: Uint8Array, expected: Hex, what: string): ModelCheck {
  if (weights.length % 4 !== 0) return { ok: false, reason: `${what} is ${weights.length} bytes, not whole float32 values` };
  const hash = weightsHash(bytesToWeights(weights));
  if (hash.toLowerCase() !== expected.toLowerCase()) return { ok: false, reason: `${what} hashes to ${hash}, but the chain records ${expected}` };
  return { ok: true, hash };
}

export function checkModelDirectory(modelJson: Uint8Array, weights: Uint8Array, expected: Hex): ModelCheck {
  const described = describedWeightBytes(modelJson);
  if (!described.ok) return { ok: false, reason: described.reason };
  if (described.bytes !== weights.length) return { ok: false, reason: `weights.bin has ${weights.length} bytes, model.json describes ${described.bytes}` };
  return compare(weights, expected, "weights.bin");
}

export function checkModelFile(bytes: Uint8Array, expected: Hex): ModelCheck {
  return compare(bytes, expected, "the model file");
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
