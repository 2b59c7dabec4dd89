/**
 * Encrypted aggregation with CKKS: key generation (key holder), encryption of a weight vector (device), the weighted
 * sum of encrypted updates (oracles, without any secret) and decryption of the aggregate (key holder).
 *
 * The oracles and the key holder each compute the aggregate from the same update bytes and compare hashes of the
 * result, so it must come out bit-identical however the updates arrive. It does: each update is multiplied by a
 * plaintext weight and added to a running sum, both exact arithmetic on integers modulo the primes, so the sum is
 * independent of order; the single rescale (which rounds) happens once, on the finished sum; and a weight's plaintext
 * is a deterministic function of the weight (rounded to a multiple of 2^-scaleBits first, so it is an exact constant).
 *
 * Every SEAL object made here is deleted when done with: wasm memory is not garbage collected promptly, and an
 * oracle aggregates thousands of ciphertexts per round.
 */
import type { CipherText } from "node-seal/implementation/cipher-text.js";
import { packCiphertext, unpackCiphertext, type CiphertextLayout } from "./ciphertext-codec.ts";
import { decodeEncryptedVector, encodeEncryptedVector, HeFormatError, type DecodedEncryptedVector } from "./container.ts";
import { DEFAULT_CKKS_PARAMETERS, MAX_ABS_VALUE, MAX_TOTAL_WEIGHT, type CkksParameters } from "./parameters.ts";
import { ckksRuntime, type CkksRuntime } from "./seal.ts";

export interface CkksKeyPair {
  /** The public key: a packed ciphertext record at the key level (see ciphertext-codec.ts). Safe to publish. */
  publicKey: Uint8Array;
  /** SEAL's serialised secret key (zstd). Only the key holder may ever see it. */
  secretKey: Uint8Array;
  parameters: CkksParameters;
}

/** Why an accumulator refused an update. */
export type UpdateRefusalReason = "malformed" | "wrong_kind" | "wrong_key" | "wrong_parameters" | "wrong_length" | "bad_weight" | "closed";

/** An update the accumulator will not add; its state is unchanged (except after reason "closed"). */
export class EncryptedUpdateError extends Error {
  override name = "EncryptedUpdateError";
  readonly reason: UpdateRefusalReason;

  constructor(reason: UpdateRefusalReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

interface Deletable {
  delete(): void;
}

/** Runs `body`, then deletes every SEAL object it passed to `own`, whatever happens. */
function withScope<R>(body: (own: <T extends Deletable>(object: T) => T) => R): R {
  const owned: Deletable[] = [];
  try {
    return body((object) => {
      owned.push(object);
      return object;
    });
  } finally {
    for (const object of owned.reverse()) object.delete();
  }
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

function loadCiphertext(runtime: CkksRuntime, record: Uint8Array, layout: CiphertextLayout, expectedScale: number, what: string): CipherText {
  const { sealBytes, scale } = unpackCiphertext(record, layout);
  if (scale !== expectedScale) throw new HeFormatError(`${what} has scale ${scale}, expected ${expectedScale}`);
  const ciphertext = runtime.seal.CipherText();
  try {
    ciphertext.loadArray(runtime.context, sealBytes);
  } catch (error) {
    ciphertext.delete();
    throw new HeFormatError(`${what} is not a valid ciphertext for these parameters: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return ciphertext;
}

function saveCiphertext(runtime: CkksRuntime, ciphertext: CipherText, layout: CiphertextLayout): Uint8Array {
  return packCiphertext(ciphertext.saveArray(runtime.seal.ComprModeType.none), layout);
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
    // NaN fails both comparisons' negation below, so it is caught too.
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
      throw new HeFormatError(`the public key does not match these CKKS parameters: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
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

/** Streams: add updates one at a time so 100 × several MB never sit in memory at once. */
export interface EncryptedAccumulator {
  /**
   * Adds weight · update. Refuses (EncryptedUpdateError, state unchanged) an update that is malformed, of another
   * kind, key, parameter set or length, or a weight outside [0, 1] (or one that would take the total above
   * MAX_TOTAL_WEIGHT).
   */
  add(updateBytes: Uint8Array, weight: number): Promise<void>;
  /** The "aggregate" container of Σ weight · update, rescaled once. The accumulator is closed afterwards. */
  finish(): Promise<Uint8Array>;
  /** Updates added so far. */
  readonly count: number;
}

export interface AccumulatorExpectations {
  keyId: bigint;
  length: number;
  parameters?: CkksParameters;
  /** A specific SEAL runtime (default: the shared one for `parameters`), e.g. a separate instance in tests. */
  runtime?: CkksRuntime;
}

/** Quantises a weight to the plaintext grid, so the plaintext is the exact integer constant weight · 2^scaleBits. */
function quantiseWeight(weight: number, scale: number): number {
  return Math.round(weight * scale) / scale;
}

export async function createEncryptedAccumulator(expected: AccumulatorExpectations): Promise<EncryptedAccumulator> {
  const runtime = expected.runtime ?? (await ckksRuntime(expected.parameters ?? DEFAULT_CKKS_PARAMETERS));
  if (expected.parameters && runtime.parametersHash !== (await ckksRuntime(expected.parameters)).parametersHash) throw new Error("the runtime given does not use the parameters given");
  if (!Number.isInteger(expected.length) || expected.length < 1) throw new Error(`length must be a positive integer, got ${expected.length}`);
  const count = Math.ceil(expected.length / runtime.slots);
  const { seal, evaluator, encoder } = runtime;
  let sums: CipherText[] | undefined;
  let added = 0;
  let totalWeight = 0;
  let closed = false;
  let broken: Error | undefined;
  const weightSlots = new Float64Array(runtime.slots);

  const refuse = (reason: UpdateRefusalReason, message: string, cause?: unknown): never => {
    throw new EncryptedUpdateError(reason, message, cause === undefined ? undefined : { cause });
  };

  const release = () => {
    for (const sum of sums ?? []) sum.delete();
    sums = undefined;
    closed = true;
  };

  function parse(updateBytes: Uint8Array): DecodedEncryptedVector {
    let update: DecodedEncryptedVector;
    try {
      update = decodeEncryptedVector(updateBytes);
    } catch (error) {
      return refuse("malformed", `malformed encrypted update: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (update.kind !== "update") refuse("wrong_kind", `expected an encrypted update, got an encrypted ${update.kind}`);
    if (update.keyId !== expected.keyId) refuse("wrong_key", `update is encrypted under key ${update.keyId}, expected key ${expected.keyId}`);
    if (update.parametersHash !== runtime.parametersHash) refuse("wrong_parameters", `update uses CKKS parameters ${update.parametersHash}, expected ${runtime.parametersHash}`);
    if (update.slotsPerCiphertext !== runtime.slots) refuse("wrong_parameters", `update packs ${update.slotsPerCiphertext} values per ciphertext, these parameters pack ${runtime.slots}`);
    if (update.length !== expected.length) refuse("wrong_length", `update has ${update.length} values, expected ${expected.length}`);
    if (update.ciphertexts.length !== count) refuse("wrong_length", `update has ${update.ciphertexts.length} ciphertexts, expected ${count}`);
    return update;
  }

  function addNow(updateBytes: Uint8Array, weight: number): void {
    if (closed) refuse("closed", "the accumulator is finished; start a new one");
    if (broken) refuse("closed", `the accumulator failed earlier and cannot continue: ${broken.message}`, broken);
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > 1) refuse("bad_weight", `weight must be a finite number in [0, 1], got ${weight}`);
    if (totalWeight + weight > MAX_TOTAL_WEIGHT) refuse("bad_weight", `weights would sum to ${totalWeight + weight}, above ${MAX_TOTAL_WEIGHT}: the aggregate could overflow the modulus (FedAvg weights sum to 1)`);
    const update = parse(updateBytes);
    // Load every ciphertext before touching the sums, so a bad one leaves the accumulator as it was.
    const loaded: CipherText[] = [];
    try {
      for (const [i, record] of update.ciphertexts.entries()) {
        try {
          loaded.push(loadCiphertext(runtime, record, runtime.fresh, runtime.freshScale, `ciphertext ${i}`));
        } catch (error) {
          refuse("malformed", `malformed encrypted update: ${error instanceof Error ? error.message : String(error)}`, error);
        }
      }
      weightSlots.fill(quantiseWeight(weight, runtime.freshScale));
      withScope((own) => {
        const plain = own(seal.PlainText());
        const product = own(seal.CipherText());
        encoder.encode(weightSlots, runtime.freshScale, plain);
        try {
          if (!sums) {
            const fresh = loaded.map(() => seal.CipherText());
            sums = fresh;
            loaded.forEach((ciphertext, i) => evaluator.multiplyPlain(ciphertext, plain, fresh[i]));
          } else {
            const current = sums;
            loaded.forEach((ciphertext, i) => {
              evaluator.multiplyPlain(ciphertext, plain, product);
              evaluator.add(current[i]!, product, current[i]);
            });
          }
        } catch (error) {
          // Valid inputs cannot get here; if SEAL fails anyway the partial sum is unusable.
          broken = error instanceof Error ? error : new Error(String(error));
          throw new Error(`SEAL failed while adding an update: ${broken.message}`, { cause: error });
        }
      });
      added += 1;
      totalWeight += weight;
    } finally {
      for (const ciphertext of loaded) ciphertext.delete();
    }
  }

  function finishNow(): Uint8Array {
    if (closed) refuse("closed", "the accumulator is already finished");
    if (broken) refuse("closed", `the accumulator failed earlier: ${broken.message}`, broken);
    if (!sums) throw new Error("nothing to aggregate: no update was added");
    try {
      const current = sums;
      const ciphertexts = withScope((own) => {
        const rescaled = own(seal.CipherText());
        return current.map((sum) => {
          evaluator.rescaleToNext(sum, rescaled);
          if (rescaled.scale !== runtime.aggregateScale) throw new Error(`rescaled scale ${rescaled.scale} differs from the expected ${runtime.aggregateScale}`);
          return saveCiphertext(runtime, rescaled, runtime.rescaled);
        });
      });
      return encodeEncryptedVector({ kind: "aggregate", keyId: expected.keyId, parametersHash: runtime.parametersHash, length: expected.length, ciphertexts, slotsPerCiphertext: runtime.slots });
    } finally {
      release();
    }
  }

  return {
    // SEAL work is synchronous, so calls cannot interleave even when callers do not await each other.
    add: async (updateBytes, weight) => addNow(updateBytes, weight),
    finish: async () => finishNow(),
    get count() {
      return added;
    },
  };
}

/** Σ weight_k · update_k of updates that share key and length (taken from the first), as an "aggregate" container. */
export async function aggregateEncrypted(updates: readonly { bytes: Uint8Array; weight: number }[], parameters: CkksParameters = DEFAULT_CKKS_PARAMETERS): Promise<Uint8Array> {
  const first = updates[0];
  if (!first) throw new Error("nothing to aggregate: no updates");
  const header = decodeEncryptedVector(first.bytes);
  const accumulator = await createEncryptedAccumulator({ keyId: header.keyId, length: header.length, parameters });
  for (const [index, update] of updates.entries()) {
    try {
      await accumulator.add(update.bytes, update.weight);
    } catch (error) {
      await accumulator.finish().catch(() => undefined);
      throw new Error(`update ${index}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  return accumulator.finish();
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
      throw new HeFormatError(`the secret key does not match these CKKS parameters: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
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
