/**
 * The wire form of one CKKS ciphertext, and its translation to and from SEAL's own serialisation. Pure: the SEAL
 * facts it needs (moduli, parms_id) come in a CiphertextLayout.
 *
 * Why not send SEAL's bytes as they are:
 * - Size and time. A coefficient modulo a 60- or 40-bit prime sits in a 64-bit word; packing each to its prime's bit
 *   width gives 100/128 of the uncompressed size (200 KiB a fresh ciphertext against 256 KiB), smaller than SEAL's
 *   zstd (230 KiB). Unpacking takes about 0.3 ms where zstd's decompression and parsing took about 1 ms, next to
 *   the oracle's ~1 ms of multiply-and-add per ciphertext.
 * - Safety. SEAL's loader is not hardened against hostile input: a truncated stream aborts the wasm module and a
 *   mutated metadata field can hang it. Here every byte of SEAL's metadata is rebuilt from the expected layout, the
 *   coefficients are range-checked, and SEAL only ever parses a stream this module wrote.
 *
 * Record: u8 number of RNS components k, f64 scale (little-endian), then the coefficients of the two polynomials,
 * component by component, each coefficient in bitLength(q_i) bits, least significant bit first, in little-endian
 * 32-bit words, no padding (a component of N >= 32 coefficients fills whole words).
 */
import { HeFormatError } from "./container.ts";

export interface CiphertextLayout {
  polyModulusDegree: number;
  /** SEAL's parms_id of the ciphertext's level, as SEAL writes it (4 little-endian u64, 32 bytes). */
  parmsId: Uint8Array;
  /** The primes of that level, in SEAL's order. */
  moduli: readonly bigint[];
}

/** SEAL 4.1's serialisation header fields: magic 0xA15E, header size 16, version 4.1, compression none. */
const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER_SIZE = 16;
const SEAL_VERSION_MAJOR = 4;
const SEAL_VERSION_MINOR = 1;
const COMPRESSION_NONE = 0;
/** header, parms_id, is_ntt_form, size, degree, component count, scale, correction factor, nested header, count. */
const PREFIX_SIZE = SEAL_HEADER_SIZE + 32 + 1 + 8 + 8 + 8 + 8 + 8 + SEAL_HEADER_SIZE + 8;
const SCALE_OFFSET = SEAL_HEADER_SIZE + 32 + 1 + 8 + 8 + 8;
/** A CKKS ciphertext that has not been multiplied by another ciphertext has two polynomials. */
const POLYNOMIALS = 2;
const RECORD_HEADER_SIZE = 1 + 8;

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

function coefficientCount(layout: CiphertextLayout): number {
  return POLYNOMIALS * layout.moduli.length * layout.polyModulusDegree;
}

function checkLayout(layout: CiphertextLayout): void {
  if (layout.parmsId.length !== 32) throw new Error(`a ciphertext layout's parmsId has 32 bytes, got ${layout.parmsId.length}`);
  // Whole 32-bit words per polynomial component keep the packer free of a tail case.
  if (!Number.isInteger(layout.polyModulusDegree) || layout.polyModulusDegree < 32) throw new Error(`polyModulusDegree must be an integer >= 32, got ${layout.polyModulusDegree}`);
  for (const q of layout.moduli) if (q < 2n || q >= 2n ** 61n) throw new Error(`modulus ${q} is not a SEAL coefficient prime`);
}

/** Byte length of the record for `layout`. */
export function packedCiphertextSize(layout: CiphertextLayout): number {
  const bits = layout.moduli.reduce((sum, q) => sum + bitLength(q), 0);
  return RECORD_HEADER_SIZE + (POLYNOMIALS * layout.polyModulusDegree * bits) / 8;
}

/** SEAL's uncompressed serialisation size of a ciphertext at `layout`'s level. */
function sealSize(layout: CiphertextLayout): number {
  return PREFIX_SIZE + 8 * coefficientCount(layout);
}

function writeSealHeader(view: DataView, offset: number, totalSize: number): void {
  view.setUint16(offset, SEAL_MAGIC, true);
  view.setUint8(offset + 2, SEAL_HEADER_SIZE);
  view.setUint8(offset + 3, SEAL_VERSION_MAJOR);
  view.setUint8(offset + 4, SEAL_VERSION_MINOR);
  view.setUint8(offset + 5, COMPRESSION_NONE);
  view.setUint16(offset + 6, 0, true);
  view.setBigUint64(offset + 8, BigInt(totalSize), true);
}

/** The metadata SEAL writes before the coefficients (Ciphertext::save_members, then the data DynArray's own header). */
function sealPrefix(layout: CiphertextLayout, scale: number): Uint8Array {
  const count = coefficientCount(layout);
  const prefix = new Uint8Array(PREFIX_SIZE);
  const view = new DataView(prefix.buffer);
  writeSealHeader(view, 0, sealSize(layout));
  prefix.set(layout.parmsId, SEAL_HEADER_SIZE);
  let offset = SEAL_HEADER_SIZE + 32;
  view.setUint8(offset, 1); // is_ntt_form: CKKS ciphertexts always are
  view.setBigUint64(offset + 1, BigInt(POLYNOMIALS), true);
  view.setBigUint64(offset + 9, BigInt(layout.polyModulusDegree), true);
  view.setBigUint64(offset + 17, BigInt(layout.moduli.length), true);
  view.setFloat64(offset + 25, scale, true);
  view.setBigUint64(offset + 33, 1n, true); // correction factor: BGV only, 1 otherwise
  offset += 41;
  writeSealHeader(view, offset, SEAL_HEADER_SIZE + 8 + 8 * count);
  view.setBigUint64(offset + SEAL_HEADER_SIZE, BigInt(count), true);
  return prefix;
}

/**
 * SEAL's uncompressed ciphertext bytes (saveArray with ComprModeType.none) to the wire record. Throws if the bytes are
 * not exactly a size-2 ciphertext at `layout`'s level as SEAL 4.1 writes it, which would mean a SEAL upgrade changed
 * the format (or a caller passed the wrong layout).
 */
export function packCiphertext(sealBytes: Uint8Array, layout: CiphertextLayout): Uint8Array {
  checkLayout(layout);
  const expectedSize = sealSize(layout);
  if (sealBytes.length !== expectedSize) throw new Error(`SEAL ciphertext has ${sealBytes.length} bytes, expected ${expectedSize} for ${layout.moduli.length} moduli at N = ${layout.polyModulusDegree} (size-2, uncompressed)`);
  const scale = new DataView(sealBytes.buffer, sealBytes.byteOffset, sealBytes.byteLength).getFloat64(SCALE_OFFSET, true);
  const prefix = sealPrefix(layout, scale);
  for (let i = 0; i < PREFIX_SIZE; i++) {
    if (sealBytes[i] !== prefix[i]) throw new Error(`SEAL ciphertext metadata differs from the expected layout at byte ${i} (${sealBytes[i]} vs ${prefix[i]}): another SEAL version, or a ciphertext at another level`);
  }
  // Word views need 4-byte alignment; SEAL's coefficients start at byte 113, so copy them out first.
  const coefficients = new Uint32Array(sealBytes.slice(PREFIX_SIZE).buffer);
  const packed = new Uint32Array((packedCiphertextSize(layout) - RECORD_HEADER_SIZE) / 4);
  const n = layout.polyModulusDegree;
  let wordOffset = 0;
  let block = 0;
  for (let poly = 0; poly < POLYNOMIALS; poly++) {
    for (const q of layout.moduli) {
      const bad = packComponent(coefficients, 2 * n * block, packed, wordOffset, n, q);
      if (bad >= 0) throw new Error(`SEAL ciphertext coefficient ${bad} of polynomial ${poly} is not reduced modulo ${q}`);
      wordOffset += (n * bitLength(q)) / 32;
      block++;
    }
  }
  const out = new Uint8Array(RECORD_HEADER_SIZE + packed.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, layout.moduli.length);
  view.setFloat64(1, scale, true);
  out.set(new Uint8Array(packed.buffer), RECORD_HEADER_SIZE);
  return out;
}

/**
 * The wire record back to SEAL's uncompressed bytes (for CipherText.loadArray), checking its size, component count,
 * scale and every coefficient against `layout`. Throws HeFormatError naming the first problem.
 */
export function unpackCiphertext(record: Uint8Array, layout: CiphertextLayout): { sealBytes: Uint8Array; scale: number } {
  checkLayout(layout);
  if (record.length < RECORD_HEADER_SIZE) throw new HeFormatError(`ciphertext record is truncated: ${record.length} bytes`);
  const components = record[0]!;
  if (components !== layout.moduli.length) throw new HeFormatError(`ciphertext has ${components} RNS components, expected ${layout.moduli.length} at this level`);
  const expectedSize = packedCiphertextSize(layout);
  if (record.length !== expectedSize) throw new HeFormatError(`ciphertext record has ${record.length} bytes, expected ${expectedSize}`);
  const scale = new DataView(record.buffer, record.byteOffset, record.byteLength).getFloat64(1, true);
  if (!(Number.isFinite(scale) && scale >= 1)) throw new HeFormatError(`ciphertext scale ${scale} is not a finite number >= 1`);
  const packed = new Uint32Array(record.slice(RECORD_HEADER_SIZE).buffer);
  // Three bytes of lead-in put SEAL's coefficients (at byte 113) on a word boundary of the buffer.
  const lead = (4 - (PREFIX_SIZE % 4)) % 4;
  const buffer = new ArrayBuffer(lead + sealSize(layout));
  const out = new Uint8Array(buffer, lead);
  out.set(sealPrefix(layout, scale), 0);
  const coefficients = new Uint32Array(buffer, lead + PREFIX_SIZE);
  const n = layout.polyModulusDegree;
  let wordOffset = 0;
  let block = 0;
  for (let poly = 0; poly < POLYNOMIALS; poly++) {
    for (const [component, q] of layout.moduli.entries()) {
      const bad = unpackComponent(packed, wordOffset, coefficients, 2 * n * block, n, q);
      if (bad >= 0) throw new HeFormatError(`ciphertext coefficient ${bad} of polynomial ${poly}, component ${component} is not reduced modulo ${q}`);
      wordOffset += (n * bitLength(q)) / 32;
      block++;
    }
  }
  return { sealBytes: out, scale };
}

// Typed-array word views use the platform's byte order; the formats are little-endian.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error("ciphertext-codec assumes a little-endian platform");

/**
 * Packs n coefficients (pairs of 32-bit words lo, hi at coefficients[from..]) of `bitLength(q)` bits each into
 * packed[to..], least significant bit first. A component fills whole words (n is a multiple of 32), so each starts on
 * a word boundary. Returns the index of the first coefficient >= q, or -1.
 */
function packComponent(coefficients: Uint32Array, from: number, packed: Uint32Array, to: number, n: number, q: bigint): number {
  const bits = bitLength(q);
  const qHi = Number(q >> 32n);
  const qLo = Number(q & 0xffffffffn);
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  let word = 0;
  let used = 0;
  let p = to;
  for (let c = 0; c < n; c++) {
    const lo = coefficients[from + 2 * c]!;
    const hi = coefficients[from + 2 * c + 1]!;
    if (!(hi < qHi || (hi === qHi && lo < qLo))) return c;
    // Append lo (loBits bits), then hi (hiBits bits). JS shifts count modulo 32: never shift by 32.
    word = (word | (lo << used)) >>> 0;
    if (used + loBits >= 32) {
      packed[p++] = word;
      word = used === 0 ? 0 : lo >>> (32 - used);
      used = used + loBits - 32;
    } else {
      used += loBits;
    }
    if (hiBits > 0) {
      word = (word | (hi << used)) >>> 0;
      if (used + hiBits >= 32) {
        packed[p++] = word;
        word = used === 0 ? 0 : hi >>> (32 - used);
        used = used + hiBits - 32;
      } else {
        used += hiBits;
      }
    }
  }
  return -1;
}

/** The inverse of packComponent. Returns the index of the first coefficient >= q, or -1. */
function unpackComponent(packed: Uint32Array, from: number, coefficients: Uint32Array, to: number, n: number, q: bigint): number {
  const bits = bitLength(q);
  const qHi = Number(q >> 32n);
  const qLo = Number(q & 0xffffffffn);
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  const loMask = loBits === 32 ? 0xffffffff : (1 << loBits) - 1;
  const hiMask = (1 << hiBits) - 1;
  let word = 0;
  let available = 0;
  let p = from;
  for (let c = 0; c < n; c++) {
    let lo: number;
    if (available >= loBits) {
      lo = (word & loMask) >>> 0;
      word = loBits === 32 ? 0 : word >>> loBits;
      available -= loBits;
    } else {
      const next = packed[p++]!;
      lo = ((word | (next << available)) & loMask) >>> 0;
      const taken = loBits - available;
      word = taken === 32 ? 0 : next >>> taken;
      available = 32 - taken;
    }
    let hi = 0;
    if (hiBits > 0) {
      if (available >= hiBits) {
        hi = word & hiMask;
        word >>>= hiBits;
        available -= hiBits;
      } else {
        const next = packed[p++]!;
        hi = (word | (next << available)) & hiMask;
        const taken = hiBits - available;
        word = next >>> taken;
        available = 32 - taken;
      }
    }
    if (!(hi < qHi || (hi === qHi && lo < qLo))) return c;
    coefficients[to + 2 * c] = lo;
    coefficients[to + 2 * c + 1] = hi;
  }
  return -1;
}
