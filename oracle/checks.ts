import { recoverTypedDataAddress, type Address, type Hex } from "viem";
import type { TaskPrivacy } from "../lib/chain/policy.ts";
import { modelUpdateDomain, modelUpdateTypes } from "../lib/chain/typed-data.ts";
import { parseEnvelope, type SignedUpdate } from "../lib/fl/envelope.ts";
import { checkEncryptedUpdate, decodeEncryptedVector } from "../lib/he/index.ts";
import { bytesToWeights, l2Norm, weightsHash } from "../lib/model/weights.ts";
import { maxPlausibleNoisedNorm } from "../lib/privacy/dp.ts";
import { keccakHex } from "../lib/crypto/keccak.ts";

/** Why an update was refused. Every refusal names one, and the HTTP API returns it. */
export type RejectionReason =
  | "malformed"
  | "bad_signature"
  | "unknown_device"
  | "device_inactive"
  | "unknown_round"
  | "task_mismatch"
  | "round_not_open"
  | "round_expired"
  | "signature_expired"
  | "base_version_mismatch"
  | "nonce_used"
  | "duplicate"
  | "weights_unavailable"
  | "weights_hash_mismatch"
  | "shape_mismatch"
  | "non_finite"
  | "norm_out_of_bounds"
  | "malformed_ciphertext"
  | "wrong_key";

export type CheckResult =
  /** `weights` and `norm` for plaintext updates; an encrypted update's content is known to be well formed only. */
  | { ok: true; device: Address; envelope: SignedUpdate; weights: Float32Array | undefined; norm: number | undefined }
  | { ok: false; reason: RejectionReason; message: string; device?: Address; roundId?: bigint };

/** What the checks need from the chain, the oracle's own store and IPFS. */
export interface CheckContext {
  chainId: number;
  updateLedger: Address;
  taskId: Hex;
  deviceStatus(device: Address): Promise<"none" | "active" | "inactive">;
  /** The round as the ModelRegistry reports it, or undefined if there is none. */
  round(roundId: bigint): Promise<{ taskId: Hex; baseVersion: bigint; deadline: bigint; open: boolean } | undefined>;
  /** Chain time (the latest block's timestamp). */
  now(): Promise<bigint>;
  isNonceUsed(device: Address, nonce: bigint): boolean;
  hasAccepted(roundId: bigint, device: Address): boolean;
  fetchBytes(cid: string): Promise<Uint8Array>;
  baseWeights(baseVersion: bigint): Promise<Float32Array>;
  /** Largest accepted L2 norm of (update − base) without differential privacy. */
  maxUpdateNorm: number;
  /** The task's privacy policy, and the encryption key updates must use when it encrypts. */
  privacy(): Promise<TaskPrivacy & { activeKeyId: bigint }>;
}

/**
 * The norm bound on (update − base): the configured bound, or under differential privacy the largest norm an honest
 * device's clipped and noised update reaches (except with negligible probability), if that is larger.
 */
export function updateNormBound(maxUpdateNorm: number, privacy: TaskPrivacy, base: Float32Array): number {
  return privacy.dp ? Math.max(maxUpdateNorm, maxPlausibleNoisedNorm(privacy.dp, base.length, l2Norm(base))) : maxUpdateNorm;
}


/**
 * Checks a device's update, cheapest first: shape of the message, signature, device, round, nonce, then the
 * weights themselves (fetched from IPFS, hashed, sized, finite and bounded).
 */
export async function checkUpdate(context: CheckContext, body: unknown): Promise<CheckResult> {
  let envelope: SignedUpdate;
  try {
    envelope = parseEnvelope(body);
  } catch (error) {
    return { ok: false, reason: "malformed", message: error instanceof Error ? error.message : String(error) };
  }
  const { update } = envelope;
  const reject = (reason: RejectionReason, message: string, device?: Address): CheckResult => ({ ok: false, reason, message, device, roundId: update.roundId });
  let device: Address;
  try {
    device = await recoverTypedDataAddress({
      domain: modelUpdateDomain(context.chainId, context.updateLedger),
      types: modelUpdateTypes,
      primaryType: "ModelUpdate",
      message: update,
      signature: envelope.signature,
    });
  } catch (error) {
    return reject("bad_signature", `signature does not recover: ${error instanceof Error ? error.message : String(error)}`);
  }
  const status = await context.deviceStatus(device);
  if (status === "none") return reject("unknown_device", `the signer ${device} is not a registered device (a tampered update recovers a different signer)`, device);
  if (status === "inactive") return reject("device_inactive", `device ${device} is suspended or revoked, or its organisation is not active`, device);
  if (update.taskId !== context.taskId) return reject("task_mismatch", `update is for task ${update.taskId}, this oracle serves ${context.taskId}`, device);

  const round = await context.round(update.roundId);
  if (!round) return reject("unknown_round", `round ${update.roundId} does not exist`, device);
  if (round.taskId !== update.taskId) return reject("task_mismatch", `round ${update.roundId} belongs to task ${round.taskId}`, device);
  const now = await context.now();
  if (now > round.deadline) return reject("round_expired", `round ${update.roundId} closed at ${round.deadline}, chain time is ${now}`, device);
  if (!round.open) return reject("round_not_open", `round ${update.roundId} no longer accepts updates`, device);
  if (now > update.deadline) return reject("signature_expired", `the signature expired at ${update.deadline}`, device);
  if (update.baseVersion !== round.baseVersion) return reject("base_version_mismatch", `trained from version ${update.baseVersion}, the round is on version ${round.baseVersion}`, device);
  if (context.hasAccepted(update.roundId, device)) return reject("duplicate", `device ${device} already has an accepted update in round ${update.roundId}`, device);
  if (context.isNonceUsed(device, update.nonce)) return reject("nonce_used", `nonce ${update.nonce} of device ${device} was already used (replay)`, device);

  let bytes: Uint8Array;
  try {
    bytes = await context.fetchBytes(update.updateCid);
  } catch (error) {
    return reject("weights_unavailable", `cannot fetch ${update.updateCid}: ${error instanceof Error ? error.message : String(error)}`, device);
  }
  const privacy = await context.privacy();
  const base = await context.baseWeights(update.baseVersion);
  if (privacy.encryptedAggregation) {
    // Under encryption the content can be checked for form, key and size only: values and norm are hidden.
    const hash = keccakHex(bytes);
    if (hash !== update.weightsHash) return reject("weights_hash_mismatch", `content of ${update.updateCid} hashes to ${hash}, the signed hash is ${update.weightsHash}`, device);
    let header;
    try {
      header = decodeEncryptedVector(bytes);
    } catch (error) {
      return reject("malformed_ciphertext", `${update.updateCid} is not an encrypted update: ${error instanceof Error ? error.message : String(error)}`, device);
    }
    if (header.kind !== "update") return reject("malformed_ciphertext", `${update.updateCid} is an encrypted ${header.kind}, not an update`, device);
    if (header.keyId !== privacy.activeKeyId) return reject("wrong_key", `encrypted under key ${header.keyId}; the active key is ${privacy.activeKeyId}`, device);
    if (header.length !== base.length) return reject("shape_mismatch", `update encrypts ${header.length} parameters, the model has ${base.length}`, device);
    // Every coefficient in range for its prime: a ciphertext that passes here is one the aggregation will take, so
    // a bad one is refused on arrival rather than failing the whole round later.
    try {
      await checkEncryptedUpdate(bytes, { keyId: header.keyId, length: header.length });
    } catch (error) {
      return reject("malformed_ciphertext", error instanceof Error ? error.message : String(error), device);
    }
    return { ok: true, device, envelope, weights: undefined, norm: undefined };
  }
  if (bytes.length % 4 !== 0) return reject("shape_mismatch", `${bytes.length} bytes is not a float32 vector`, device);
  const weights = bytesToWeights(bytes);
  const hash = weightsHash(weights);
  if (hash !== update.weightsHash) return reject("weights_hash_mismatch", `content of ${update.updateCid} hashes to ${hash}, the signed hash is ${update.weightsHash}`, device);
  if (weights.length !== base.length) return reject("shape_mismatch", `update has ${weights.length} parameters, the model has ${base.length}`, device);
  let squaredNorm = 0;
  for (let i = 0; i < weights.length; i++) {
    const value = weights[i]!;
    if (!Number.isFinite(value)) return reject("non_finite", `parameter ${i} is ${value}`, device);
    const delta = value - base[i]!;
    squaredNorm += delta * delta;
  }
  const norm = Math.sqrt(squaredNorm);
  const bound = updateNormBound(context.maxUpdateNorm, privacy, base);
  if (norm > bound) return reject("norm_out_of_bounds", `update norm ${norm.toFixed(3)} exceeds the bound ${bound.toFixed(3)}`, device);
  return { ok: true, device, envelope, weights, norm };
}
