/**
 * CKKS parameters for encrypted aggregation, and the bounds that follow from them. Pure: no SEAL here.
 *
 * The default, N = 8192 with coefficient moduli of 60, 40 and 60 bits and a scale of 2^40, is the smallest chain
 * that fits the one computation the oracles run, Σ_k w_k · Enc(x_k), with a single rescale:
 * - 60 (q0): holds the decrypted aggregate at scale 2^40 with 2^19 of headroom for the values (see MAX_ABS_VALUE);
 * - 40 (q1): the one rescale divides the 2^80 scale of (value · weight) back down to about 2^40;
 * - 60 (special prime): used only inside public-key encryption, whose noise it divides away; ciphertexts never
 *   carry it.
 * A fresh ciphertext therefore carries two RNS components (100 bits per coefficient) against three (140 bits) for the
 * [60, 40, 40, 60] chain, which a single multiplication does not need: 2/3 of the bytes and of the work per
 * ciphertext. Precision is set by the scale, not by the chain length: encryption noise is about 2^13 in scaled units,
 * so at 2^40 a value carries an error near 1e-8, far inside the 1e-6 the aggregate must meet.
 * Security: 160 bits of total modulus is well under the 218 bits that SEAL (after the HomomorphicEncryption.org
 * standard) allows for 128-bit security at N = 8192; generateCkksKeys asks SEAL to enforce that level.
 */
import { keccak256, toBytes, type Hex } from "viem";

export interface CkksParameters {
  /** N, a power of two; a ciphertext packs N / 2 values. */
  polyModulusDegree: number;
  /** Bit sizes of the coefficient modulus primes, data primes first and SEAL's special (key-switching) prime last. */
  coeffModulusBits: readonly number[];
  /** log2 of the encoding scale of values and of aggregation weights. */
  scaleBits: number;
}

export const DEFAULT_CKKS_PARAMETERS: CkksParameters = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: Object.freeze([60, 40, 60]),
  scaleBits: 40,
});

/**
 * Largest total coefficient modulus (bits) for 128-bit classical security per N: SEAL's CoeffModulus::MaxBitCount
 * (HomomorphicEncryption.org security standard, ternary secrets).
 */
const MAX_BITS_128: Readonly<Record<number, number>> = { 1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881 };

/**
 * Largest |value| a device may encrypt. With weights in [0, 1] summing to at most MAX_TOTAL_WEIGHT the aggregate
 * stays below 2^18, inside the 2^19 the first data prime leaves above the scale (q0 / 2 / 2^40 for the defaults):
 * beyond it CKKS wraps around modulo q0 and decrypts to garbage without any error. 2^14 is far above any trained
 * weight or bias here (a RUL output bias is about 100).
 */
export const MAX_ABS_VALUE = 2 ** 14;

/** Largest Σ w_k an accumulator accepts: FedAvg weights sum to 1; unnormalised sample counts must be refused. */
export const MAX_TOTAL_WEIGHT = 16;

/** Checks the parameters are ones this module can use (and SEAL accepts at 128-bit security); returns them. */
export function validateCkksParameters(parameters: CkksParameters): CkksParameters {
  const { polyModulusDegree: n, coeffModulusBits: bits, scaleBits } = parameters;
  const maxBits = MAX_BITS_128[n];
  if (maxBits === undefined) throw new Error(`CKKS polyModulusDegree must be a power of two from 1024 to 32768, got ${n}`);
  if (!Array.isArray(bits) || bits.length < 3) throw new Error(`CKKS coeffModulusBits needs at least 3 primes (result, rescale, special), got ${JSON.stringify(bits)}`);
  for (const [i, b] of bits.entries()) {
    // SEAL's NTT-friendly primes are at most 60 bits; below 20 bits there are too few primes ≡ 1 mod 2N.
    if (!Number.isInteger(b) || b < 20 || b > 60) throw new Error(`CKKS coeffModulusBits[${i}] must be an integer from 20 to 60, got ${b}`);
  }
  const total = bits.reduce((sum, b) => sum + b, 0);
  if (total > maxBits) throw new Error(`CKKS coefficient modulus of ${total} bits exceeds the ${maxBits} bits allowed at 128-bit security for N = ${n}`);
  if (!Number.isInteger(scaleBits) || scaleBits < 20 || scaleBits > 50) throw new Error(`CKKS scaleBits must be an integer from 20 to 50, got ${scaleBits}`);
  const rescaleBits = bits[bits.length - 2]!;
  if (rescaleBits < scaleBits) throw new Error(`CKKS rescale prime (coeffModulusBits[${bits.length - 2}] = ${rescaleBits}) must have at least scaleBits (${scaleBits}) bits`);
  // After the one rescale the aggregate lives modulo the remaining primes at scale ~2^scaleBits; it needs the bound
  // MAX_ABS_VALUE · MAX_TOTAL_WEIGHT plus a bit for the sign and one for noise.
  const remaining = bits.slice(0, -2).reduce((sum, b) => sum + b, 0);
  const needed = scaleBits + Math.log2(MAX_ABS_VALUE * MAX_TOTAL_WEIGHT) + 2;
  if (remaining < needed) throw new Error(`CKKS: the primes left after rescaling (${remaining} bits) cannot hold values up to ${MAX_ABS_VALUE * MAX_TOTAL_WEIGHT} at scale 2^${scaleBits} (need ${needed} bits)`);
  return parameters;
}

/** N / 2: values per ciphertext. */
export function slotsPerCiphertext(parameters: CkksParameters): number {
  return parameters.polyModulusDegree / 2;
}

/** Ciphertexts needed for `length` values. */
export function ciphertextCount(parameters: CkksParameters, length: number): number {
  return Math.ceil(length / slotsPerCiphertext(parameters));
}

/** The canonical text the hash covers: a versioned, fixed-order rendering, so equal parameters always hash equally. */
export function canonicalCkksParameters(parameters: CkksParameters): string {
  validateCkksParameters(parameters);
  return `twinledger.ckks/1;scheme=ckks;security=tc128;n=${parameters.polyModulusDegree};q=${parameters.coeffModulusBits.join(",")};scale=2^${parameters.scaleBits}`;
}

/** keccak256 of the canonical encoding: the id of a parameter set on chain and in every encrypted container. */
export function ckksParametersHash(parameters: CkksParameters): Hex {
  return keccak256(toBytes(canonicalCkksParameters(parameters)));
}
