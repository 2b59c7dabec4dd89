/** Pure helpers over flat float32 weight vectors: canonical bytes, the on-chain hash, norms. */
import { keccak256, type Hex } from "viem";

/** Little-endian float32 bytes in a fresh buffer, independent of platform endianness and of views into larger buffers. */
export function weightsToBytes(flat: Float32Array): Uint8Array {
  const bytes = new Uint8Array(flat.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < flat.length; i++) view.setFloat32(i * 4, flat[i]!, true);
  return bytes;
}

/** Decodes canonical little-endian float32 bytes into a fresh array, or into `target` (e.g. an aggregation matrix row). */
export function bytesToWeights(bytes: Uint8Array, target?: Float32Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new Error(`weight bytes must be a multiple of 4, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flat = target ?? new Float32Array(bytes.length / 4);
  if (flat.length !== bytes.length / 4) throw new Error(`weight bytes hold ${bytes.length / 4} values, expected ${flat.length}`);
  for (let i = 0; i < flat.length; i++) flat[i] = view.getFloat32(i * 4, true);
  return flat;
}

/** keccak256 of the canonical little-endian float32 bytes: the weights hash committed on chain. */
export function weightsHash(flat: Float32Array): Hex {
  return keccak256(weightsToBytes(flat));
}

/** True when no weight is NaN or ±Infinity. */
export function isFinite(flat: Float32Array): boolean {
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i]!)) return false;
  return true;
}

export function l2Norm(flat: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < flat.length; i++) sum += flat[i]! * flat[i]!;
  return Math.sqrt(sum);
}

/** ‖a − b‖₂, e.g. the size of an update relative to the global model. */
export function l2Distance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`weight vectors differ in length: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}
