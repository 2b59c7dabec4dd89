/**
 * The encrypted-vector container: what a device publishes on IPFS (kind "update") and what the oracles hand the key
 * holder (kind "aggregate"). Pure binary format; the ciphertexts inside are opaque records (ciphertext-codec.ts).
 *
 * Layout, big-endian integers:
 *   "TLHE" | u8 format version (1) | u8 kind (1 update, 2 aggregate) | u8 log2(values per ciphertext)
 *   | u256 keyId | bytes32 parametersHash | u32 length (values) | u32 ciphertext count
 *   | count × (u32 byte length | bytes)
 * Every field has one encoding, so equal vectors encode to equal bytes (oracles compare keccak hashes of them).
 */
import { bytesToHex, hexToBytes, type Hex } from "viem";

export type EncryptedVectorKind = "update" | "aggregate";

export interface EncryptedVector {
  kind: EncryptedVectorKind;
  /** The consortium key the vector is encrypted under (EncryptionKeyRegistry id). */
  keyId: bigint;
  /** ckksParametersHash of the parameters the ciphertexts use. */
  parametersHash: Hex;
  /** Number of plaintext values; the last ciphertext's unused slots are padding. */
  length: number;
  ciphertexts: Uint8Array[];
  /**
   * Values per ciphertext (N / 2), recorded so a container can be checked for the right ciphertext count without
   * knowing the parameters. Optional when encoding with the default parameters' 4096; decoding always sets it.
   */
  slotsPerCiphertext?: number;
}

/** A decoded container: slotsPerCiphertext is always known. */
export type DecodedEncryptedVector = EncryptedVector & { slotsPerCiphertext: number };

/** The bytes are not a well-formed container; the message says what is wrong. */
export class HeFormatError extends Error {
  override name = "HeFormatError";
}

const MAGIC = [0x54, 0x4c, 0x48, 0x45]; // "TLHE"
export const CONTAINER_FORMAT_VERSION = 1;
const KIND_CODES: Readonly<Record<EncryptedVectorKind, number>> = { update: 1, aggregate: 2 };
const HEADER_SIZE = 4 + 1 + 1 + 1 + 32 + 32 + 4 + 4;
const DEFAULT_SLOTS = 4096;
const MAX_U32 = 0xffffffff;

function log2Slots(slots: number): number {
  const log = Math.log2(slots);
  if (!Number.isInteger(log) || log < 1 || log > 20) throw new Error(`slotsPerCiphertext must be a power of two from 2 to 2^20, got ${slots}`);
  return log;
}

export function encodeEncryptedVector(vector: EncryptedVector): Uint8Array {
  const kind = KIND_CODES[vector.kind];
  if (kind === undefined) throw new Error(`unknown encrypted vector kind ${JSON.stringify(vector.kind)}`);
  if (vector.keyId < 0n || vector.keyId >= 2n ** 256n) throw new Error(`keyId must fit a uint256, got ${vector.keyId}`);
  const hash = hexToBytes(vector.parametersHash);
  if (hash.length !== 32) throw new Error(`parametersHash must be 32 bytes, got ${hash.length}`);
  const slots = vector.slotsPerCiphertext ?? DEFAULT_SLOTS;
  const slotsLog = log2Slots(slots);
  if (!Number.isInteger(vector.length) || vector.length < 1 || vector.length > MAX_U32) throw new Error(`length must be an integer from 1 to ${MAX_U32}, got ${vector.length}`);
  const expected = Math.ceil(vector.length / slots);
  if (vector.ciphertexts.length !== expected) throw new Error(`${vector.length} values at ${slots} per ciphertext take ${expected} ciphertexts, got ${vector.ciphertexts.length}`);
  const total = HEADER_SIZE + vector.ciphertexts.reduce((sum, c) => sum + 4 + c.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint8(4, CONTAINER_FORMAT_VERSION);
  view.setUint8(5, kind);
  view.setUint8(6, slotsLog);
  out.set(hexToBytes(`0x${vector.keyId.toString(16).padStart(64, "0")}`), 7);
  out.set(hash, 39);
  view.setUint32(71, vector.length);
  view.setUint32(75, vector.ciphertexts.length);
  let offset = HEADER_SIZE;
  for (const [i, ciphertext] of vector.ciphertexts.entries()) {
    if (ciphertext.length === 0 || ciphertext.length > MAX_U32) throw new Error(`ciphertext ${i} has ${ciphertext.length} bytes`);
    view.setUint32(offset, ciphertext.length);
    out.set(ciphertext, offset + 4);
    offset += 4 + ciphertext.length;
  }
  return out;
}

/**
 * Parses a container, or throws HeFormatError naming the first problem. The ciphertexts are subarrays of `bytes`
 * (no copy); they are checked for framing here and for content when they are loaded.
 */
export function decodeEncryptedVector(bytes: Uint8Array): DecodedEncryptedVector {
  if (!(bytes instanceof Uint8Array)) throw new HeFormatError("an encrypted vector must be a Uint8Array");
  if (bytes.length < 4 || MAGIC.some((byte, i) => bytes[i] !== byte)) throw new HeFormatError("not an encrypted vector: the bytes do not start with the magic \"TLHE\"");
  if (bytes.length < HEADER_SIZE) throw new HeFormatError(`truncated encrypted vector: ${bytes.length} bytes, the header alone takes ${HEADER_SIZE}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== CONTAINER_FORMAT_VERSION) throw new HeFormatError(`unsupported encrypted vector format version ${version} (this code reads version ${CONTAINER_FORMAT_VERSION})`);
  const kindCode = view.getUint8(5);
  const kind = (Object.keys(KIND_CODES) as EncryptedVectorKind[]).find((name) => KIND_CODES[name] === kindCode);
  if (kind === undefined) throw new HeFormatError(`unknown encrypted vector kind code ${kindCode}`);
  const slotsLog = view.getUint8(6);
  if (slotsLog < 1 || slotsLog > 20) throw new HeFormatError(`values per ciphertext 2^${slotsLog} is out of range`);
  const slots = 2 ** slotsLog;
  const keyId = BigInt(bytesToHex(bytes.subarray(7, 39)));
  const parametersHash = bytesToHex(bytes.subarray(39, 71));
  const length = view.getUint32(71);
  if (length === 0) throw new HeFormatError("encrypted vector has length 0");
  const count = view.getUint32(75);
  const expected = Math.ceil(length / slots);
  if (count !== expected) throw new HeFormatError(`wrong ciphertext count: ${length} values at ${slots} per ciphertext take ${expected}, the container has ${count}`);
  const ciphertexts: Uint8Array[] = [];
  let offset = HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) throw new HeFormatError(`truncated encrypted vector: ciphertext ${i} of ${count} is missing (${bytes.length} bytes)`);
    const size = view.getUint32(offset);
    if (size === 0) throw new HeFormatError(`ciphertext ${i} is empty`);
    if (offset + 4 + size > bytes.length) throw new HeFormatError(`truncated encrypted vector: ciphertext ${i} declares ${size} bytes, ${bytes.length - offset - 4} remain`);
    ciphertexts.push(bytes.subarray(offset + 4, offset + 4 + size));
    offset += 4 + size;
  }
  if (offset !== bytes.length) throw new HeFormatError(`encrypted vector has ${bytes.length - offset} trailing bytes after its ${count} ciphertexts`);
  return { kind, keyId, parametersHash, length, ciphertexts, slotsPerCiphertext: slots };
}
