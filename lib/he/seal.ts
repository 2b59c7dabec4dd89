/**
 * Microsoft SEAL (node-seal, wasm): loading the library and the long-lived objects of one CKKS parameter set.
 *
 * The "allows" build of node-seal is used instead of the default "throws" build. The throws build refuses any
 * operation whose result is a transparent ciphertext (all zeros), e.g. multiplying by a weight that rounds to 0 or
 * adding an update to its own negation. In an aggregate such a partial sum is harmless (it is decrypted anyway), but
 * refusing it would make whether a round aggregates at all depend on the order its updates arrive in.
 */
import sealModule from "node-seal/allows_wasm_node_umd.js";
import type { CKKSEncoder } from "node-seal/implementation/ckks-encoder.js";
import type { Context } from "node-seal/implementation/context.js";
import type { ContextData } from "node-seal/implementation/context-data.js";
import type { Evaluator } from "node-seal/implementation/evaluator.js";
import type { ParmsIdType } from "node-seal/implementation/parms-id-type.js";
import type { SEALLibrary } from "node-seal/implementation/seal.js";
import type { CiphertextLayout } from "./ciphertext-codec.ts";
import { ckksParametersHash, slotsPerCiphertext, validateCkksParameters, type CkksParameters } from "./parameters.ts";

export type { SEALLibrary };

type Loader = () => Promise<SEALLibrary>;

function loaderFunction(): Loader {
  // The package is CommonJS whose types declare an ES default export; at run time the import is the function itself.
  const candidate: unknown = sealModule;
  const loader = typeof candidate === "function" ? candidate : (candidate as { default?: unknown }).default;
  if (typeof loader !== "function") throw new Error("node-seal did not export its loader function");
  return loader as Loader;
}

let shared: Promise<SEALLibrary> | undefined;

/** The process's SEAL instance, loaded once (about 40 ms). `fresh` loads a separate wasm instance instead. */
export function loadSeal(options: { fresh?: boolean } = {}): Promise<SEALLibrary> {
  if (options.fresh) return loaderFunction()();
  shared ??= loaderFunction()().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** One parameter set's SEAL objects, shared by every encryption, aggregation and decryption that uses it. */
export interface CkksRuntime {
  readonly seal: SEALLibrary;
  readonly parameters: CkksParameters;
  readonly parametersHash: `0x${string}`;
  readonly context: Context;
  readonly encoder: CKKSEncoder;
  readonly evaluator: Evaluator;
  readonly slots: number;
  /** The level a fresh encryption (an update) is at: every data prime. */
  readonly fresh: CiphertextLayout;
  /** The level after the one rescale (an aggregate). */
  readonly rescaled: CiphertextLayout;
  /** The key level (every prime, the special one too): a public key is a ciphertext at this level. */
  readonly key: CiphertextLayout;
  /** The scale of an update, 2^scaleBits. */
  readonly freshScale: number;
  /** The scale of an aggregate: freshScale² / q_rescale, computed as SEAL's rescale computes it. */
  readonly aggregateScale: number;
  /** Frees the SEAL objects; only for runtimes from createCkksRuntime. */
  delete(): void;
}

function parmsIdBytes(id: ParmsIdType): Uint8Array {
  try {
    const values = id.values;
    const bytes = new Uint8Array(8 * values.length);
    const view = new DataView(bytes.buffer);
    values.forEach((value, i) => view.setBigUint64(8 * i, value, true));
    return bytes;
  } finally {
    id.delete();
  }
}

/** A new runtime the caller owns (and deletes). Most code wants the shared ckksRuntime instead. */
export async function createCkksRuntime(parameters: CkksParameters, options: { freshLibrary?: boolean } = {}): Promise<CkksRuntime> {
  validateCkksParameters(parameters);
  const seal = await loadSeal({ fresh: options.freshLibrary ?? false });
  const n = parameters.polyModulusDegree;
  const encryptionParameters = seal.EncryptionParameters(seal.SchemeType.ckks);
  let context: Context | undefined;
  try {
    encryptionParameters.setPolyModulusDegree(n);
    const moduli = seal.CoeffModulus.Create(n, Int32Array.from(parameters.coeffModulusBits));
    try {
      encryptionParameters.setCoeffModulus(moduli);
    } finally {
      moduli.delete();
    }
    context = seal.Context(encryptionParameters, true, seal.SecurityLevel.tc128);
    if (!context.parametersSet()) throw new Error(`SEAL rejects the CKKS parameters ${JSON.stringify(parameters)}`);
  } catch (error) {
    context?.delete();
    throw error;
  } finally {
    encryptionParameters.delete();
  }
  const ctx = context;
  const layoutOf = (data: ContextData): CiphertextLayout => {
    const parms = data.parms;
    try {
      return { polyModulusDegree: n, parmsId: parmsIdBytes(data.parmsId), moduli: Array.from(parms.coeffModulus) };
    } finally {
      parms.delete();
    }
  };
  const keyData = ctx.keyContextData;
  const firstData = ctx.firstContextData;
  const nextData = firstData.nextContextData;
  let fresh: CiphertextLayout, rescaled: CiphertextLayout, key: CiphertextLayout;
  try {
    [fresh, rescaled, key] = [layoutOf(firstData), layoutOf(nextData), layoutOf(keyData)];
  } finally {
    nextData.delete();
    firstData.delete();
    keyData.delete();
  }
  const freshScale = 2 ** parameters.scaleBits;
  const rescalePrime = fresh.moduli[fresh.moduli.length - 1]!;
  const encoder = seal.CKKSEncoder(ctx);
  const evaluator = seal.Evaluator(ctx);
  return {
    seal,
    parameters: { polyModulusDegree: n, coeffModulusBits: Object.freeze([...parameters.coeffModulusBits]), scaleBits: parameters.scaleBits },
    parametersHash: ckksParametersHash(parameters),
    context: ctx,
    encoder,
    evaluator,
    slots: slotsPerCiphertext(parameters),
    fresh,
    rescaled,
    key,
    freshScale,
    // SEAL: new_scale = scale / static_cast<double>(q); q < 2^53, so Number(q) is exact and the division identical.
    aggregateScale: (freshScale * freshScale) / Number(rescalePrime),
    delete() {
      evaluator.delete();
      encoder.delete();
      ctx.delete();
    },
  };
}

const runtimes = new Map<string, Promise<CkksRuntime>>();

/** The shared runtime for `parameters`, created once per parameter set and kept for the life of the process. */
export function ckksRuntime(parameters: CkksParameters): Promise<CkksRuntime> {
  const key = ckksParametersHash(parameters);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = createCkksRuntime(parameters).catch((error: unknown) => {
      runtimes.delete(key);
      throw error;
    });
    runtimes.set(key, runtime);
  }
  return runtime;
}
