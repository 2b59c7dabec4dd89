/**
 * CKKS key generation (key holder), encryption of a weight vector (device) and decryption (key holder). The weighted
 * sum in between, which needs no secret, is accumulator.ts. Every SEAL object made here is deleted when done with.
 */
import { packCiphertext, unpackCiphertext } from "./ciphertext-codec.ts";
import { errorMessage, loadCiphertext, saveCiphertext, withScope } from "./ciphertexts.ts";
import { decodeEncryptedVector, encodeEncryptedVector, HeFormatError } from "./container.ts";
import { DEFAULT_CKKS_PARAMETERS, MAX_ABS_VALUE, type CkksParameters } from "./parameters.ts";
import { ckksRuntime } from "./seal.ts";

export interface CkksKeyPair {
  /** The public key: a packed ciphertext record at the key level (see ciphertext-codec.ts). Safe to publish. */
  publicKey: Uint8Array;
  /** SEAL's serialised secret key (zstd). Only the key holder may ever see it. */
  secretKey: Uint8Array;
  parameters: CkksParameters;
}

const SEAL_MAGIC = 0xa15e;

/**
 * SEAL aborts its wasm module on a stream shorter than its header claims; check the header first so a damaged key
 * file becomes an error.
 */
function checkSealStream(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) throw new HeFormatError(`${what} is not a SEAL object: ${bytes?.length ?? 0} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, true) !== SEAL_MAGIC || view.getUint8(2) !== 16) throw new HeFormatError(`${what} is not a SEAL object: bad header`);
  if (view.getUint8(5) > 2) throw new HeFormatError(`${what} names an unknown compression mode ${view.getUint8(5)}`);
  const declared = view.getBigUint64(8, true);
  if (declared !== BigInt(bytes.length)) throw new HeFormatError(`${what} is ${bytes.length} bytes but its header declares ${declared}`);
}

export async function generateCkksKeys(parameters: CkksParameters = DEFAULT_CKKS_PARAMETERS): Promise<CkksKeyPair> {
  const runtime = await ckksRuntime(parameters);
  return withScope((own) => {
    const generator = own(runtime.seal.KeyGenerator(runtime.context));
    const publicKey = own(generator.createPublicKey());
    const secretKey = own(generator.secretKey());
    return {
      publicKey: packCiphertext(publicKey.saveArray(runtime.seal.ComprModeType.none), runtime.key),
      secretKey: secretKey.saveArray(runtime.seal.ComprModeType.zstd),
      parameters: runtime.parameters,
    };
  });
}

function checkValues(values: Float32Array): void {
  if (!(values instanceof Float32Array)) throw new Error("values must be a Float32Array");
  if (values.length === 0) throw new Error("cannot encrypt an empty vector");
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    // Written so that NaN fails too.
    if (!(Math.abs(value) <= MAX_ABS_VALUE)) throw new Error(`value ${i} is ${value}: only finite values up to ${MAX_ABS_VALUE} in magnitude can be encrypted (larger ones would overflow the aggregate)`);
  }
}

/**
 * Encrypts `values` under `publicKey` (from generateCkksKeys) as an "update" container: ceil(length / slots)
 * ciphertexts, each packing `slots` consecutive values, the last zero-padded.
 */
export async function encryptVector(publicKey: Uint8Array, keyId: bigint, values: Float32Array, parameters: CkksParameters = DEFAULT_CKKS_PARAMETERS): Promise<Uint8Array> {
  checkValues(values);
  if (keyId < 0n) throw new Error(`keyId must be non-negative, got ${keyId}`);
  const runtime = await ckksRuntime(parameters);
  const { seal } = runtime;
  const { sealBytes } = unpackCiphertext(publicKey, runtime.key);
  return withScope((own) => {
    const key = own(seal.PublicKey());
    try {
      key.loadArray(runtime.context, sealBytes);
    } catch (error) {
      throw new HeFormatError(`the public key does not match these CKKS parameters: ${errorMessage(error)}`, { cause: error });
    }
    const encryptor = own(seal.Encryptor(runtime.context, key));
    const plain = own(seal.PlainText());
    const cipher = own(seal.CipherText());
    const slots = runtime.slots;
    const chunk = new Float64Array(slots);
    const ciphertexts: Uint8Array[] = [];
    for (let start = 0; start < values.length; start += slots) {
      const end = Math.min(values.length, start + slots);
      chunk.fill(0);
      for (let i = start; i < end; i++) chunk[i - start] = values[i]!;
      runtime.encoder.encode(chunk, runtime.freshScale, plain);
      encryptor.encrypt(plain, cipher);
      ciphertexts.push(saveCiphertext(runtime, cipher, runtime.fresh));
    }
    return encodeEncryptedVector({ kind: "update", keyId, parametersHash: runtime.parametersHash, length: values.length, ciphertexts, slotsPerCiphertext: slots });
  });
}

/**
 * Decrypts an "aggregate" (or an "update", for tests and audits) with the key holder's secret key. With the wrong
 * secret key the result is noise of magnitude ~q / scale, not an error: CKKS cannot tell.
 */
export async function decryptVector(secretKey: Uint8Array, aggregateOrUpdateBytes: Uint8Array, parameters: CkksParameters = DEFAULT_CKKS_PARAMETERS): Promise<Float64Array> {
  const runtime = await ckksRuntime(parameters);
  const vector = decodeEncryptedVector(aggregateOrUpdateBytes);
  if (vector.parametersHash !== runtime.parametersHash) throw new HeFormatError(`the ${vector.kind} uses CKKS parameters ${vector.parametersHash}, expected ${runtime.parametersHash}`);
  if (vector.slotsPerCiphertext !== runtime.slots) throw new HeFormatError(`the ${vector.kind} packs ${vector.slotsPerCiphertext} values per ciphertext, these parameters pack ${runtime.slots}`);
  const [layout, scale] = vector.kind === "update" ? [runtime.fresh, runtime.freshScale] : [runtime.rescaled, runtime.aggregateScale];
  checkSealStream(secretKey, "the secret key");
  const { seal } = runtime;
  return withScope((own) => {
    const key = own(seal.SecretKey());
    try {
      key.loadArray(runtime.context, secretKey);
    } catch (error) {
      throw new HeFormatError(`the secret key does not match these CKKS parameters: ${errorMessage(error)}`, { cause: error });
    }
    const decryptor = own(seal.Decryptor(runtime.context, key));
    const plain = own(seal.PlainText());
    const out = new Float64Array(vector.length);
    for (const [i, record] of vector.ciphertexts.entries()) {
      const ciphertext = loadCiphertext(runtime, record, layout, scale, `ciphertext ${i}`);
      try {
        decryptor.decrypt(ciphertext, plain);
      } finally {
        ciphertext.delete();
      }
      const values = runtime.encoder.decode(plain);
      const start = i * runtime.slots;
      out.set(values.subarray(0, Math.min(runtime.slots, vector.length - start)), start);
    }
    return out;
  });
}
