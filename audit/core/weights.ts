/**
 * What a CID's content hashes to, in the on-chain sense (keccak256 of the canonical float32 weights):
 * - a model directory (TF.js LayersModel: model.json + weights.bin): weights.bin holds the float32 weights in
 *   model.getWeights() order, so hashing its floats gives flattenWeights' hash without loading TF.js; model.json is
 *   checked to describe exactly those float32 bytes. Only when that hash disagrees with the chain does the audit load
 *   the model with TF.js through lib/fl/model-store.ts loadVerifiedModel, the readers' own definition, so a mismatch
 *   is never an artefact of this shortcut;
 * - a plain file (seeded genesis models): keccak256 of its bytes, as lib/chain/seed.ts computes it;
 * - a device update (a plain file: float32 weights, or an encrypted update's container): keccak256 of its bytes,
 *   what the device signed and the oracles check.
 */
import type { Hex } from "viem";
import { bytesToWeights, weightsHash } from "../../lib/model/weights.ts";
import { errorLine, type AuditSources } from "../sources.ts";
import { keccakHex } from "../../lib/crypto/keccak.ts";
import { describedWeightBytes } from "../../lib/model/model-json.ts";

export type ContentHash = { ok: true; hash: Hex; layout: "model-directory" | "file" } | { ok: false; reason: string };

const isDirectoryError = (error: unknown) => /directory/i.test(errorLine(error));

/** The weights hash of a model by CID (directory or genesis file); never throws for bad content. */
export async function modelContentHash(sources: AuditSources, cid: string, expected: Hex): Promise<ContentHash> {
  const cacheKey = `model:${cid}`;
  const cached = sources.cache.getContentHash(cacheKey);
  if (cached) {
    const [layout, hash] = cached.split(" ") as ["model-directory" | "file", Hex];
    return { ok: true, hash, layout };
  }
  const timeoutMs = sources.catTimeoutMs;
  let file: Uint8Array | undefined;
  try {
    file = await sources.store.cat(cid, undefined, { timeoutMs });
  } catch (error) {
    if (!isDirectoryError(error)) return { ok: false, reason: `the model ${cid} could not be read from IPFS: ${errorLine(error)}` };
  }
  if (file) {
    const hash = keccakHex(file);
    sources.cache.setContentHash(cacheKey, `file ${hash}`);
    return { ok: true, hash, layout: "file" };
  }
  let modelJson: Uint8Array;
  let weights: Uint8Array;
  try {
    [modelJson, weights] = await Promise.all([sources.store.cat(cid, "model.json", { timeoutMs }), sources.store.cat(cid, "weights.bin", { timeoutMs })]);
  } catch (error) {
    return { ok: false, reason: `the model directory ${cid} could not be read from IPFS: ${errorLine(error)}` };
  }
  const described = describedWeightBytes(modelJson);
  if (!described.ok) return { ok: false, reason: `${cid}: ${described.reason}` };
  if (described.bytes !== weights.length) return { ok: false, reason: `${cid}: weights.bin has ${weights.length} bytes, model.json describes ${described.bytes}` };
  if (weights.length % 4 !== 0) return { ok: false, reason: `${cid}: weights.bin is not whole float32 values` };
  let hash = weightsHash(bytesToWeights(weights));
  if (hash !== expected) {
    // Confirm with TF.js the way every reader loads a model, so the verdict does not rest on the shortcut.
    hash = await loadedModelHash(sources, cid, expected, hash);
  }
  sources.cache.setContentHash(cacheKey, `model-directory ${hash}`);
  return { ok: true, hash, layout: "model-directory" };
}

async function loadedModelHash(sources: AuditSources, cid: string, expected: Hex, shortcut: Hex): Promise<Hex> {
  try {
    const [{ initTf }, { loadVerifiedModel }] = await Promise.all([import("../../lib/model/tf.ts"), import("../../lib/fl/model-store.ts")]);
    const tf = await initTf();
    const store = { ...sources.store, addFile: unsupported, addDirectory: unsupported, close: async () => {} };
    const { model } = await loadVerifiedModel(tf, store, cid, expected);
    model.dispose();
    return expected;
  } catch (error) {
    const match = /hashes to (0x[0-9a-fA-F]{64})/.exec(errorLine(error));
    return (match?.[1] as Hex | undefined) ?? shortcut;
  }
}

async function unsupported(): Promise<never> {
  throw new Error("the auditor only reads from IPFS");
}

/** The hash of a device update's content (its exact bytes, plaintext or encrypted), as the oracles compute it. */
export async function updateContentHash(sources: AuditSources, cid: string): Promise<ContentHash> {
  const cacheKey = `update:${cid}`;
  const cached = sources.cache.getContentHash(cacheKey);
  if (cached) return { ok: true, hash: cached as Hex, layout: "file" };
  let bytes: Uint8Array;
  try {
    bytes = await sources.store.cat(cid, undefined, { timeoutMs: sources.catTimeoutMs });
  } catch (error) {
    return { ok: false, reason: `update content ${cid} could not be read from IPFS: ${errorLine(error)}` };
  }
  const hash = keccakHex(bytes);
  sources.cache.setContentHash(cacheKey, hash);
  return { ok: true, hash, layout: "file" };
}
