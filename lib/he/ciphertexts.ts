/** Moving ciphertexts between wire records and SEAL objects, and scoped deletion of SEAL objects. */
import type { CipherText } from "node-seal/implementation/cipher-text.js";
import { packCiphertext, unpackCiphertext, type CiphertextLayout } from "./ciphertext-codec.ts";
import { HeFormatError } from "./container.ts";
import type { CkksRuntime } from "./seal.ts";

export interface Deletable {
  delete(): void;
}

/**
 * Runs `body`, then deletes every SEAL object it passed to `own`, whatever happens: wasm memory is not garbage
 * collected promptly, and an oracle handles thousands of ciphertexts per round.
 */
export function withScope<R>(body: (own: <T extends Deletable>(object: T) => T) => R): R {
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A wire record as a SEAL ciphertext the caller must delete. Throws HeFormatError for a record that is malformed, at
 * another level or scale, or that SEAL refuses.
 */
export function loadCiphertext(runtime: CkksRuntime, record: Uint8Array, layout: CiphertextLayout, expectedScale: number, what: string): CipherText {
  let sealBytes: Uint8Array;
  let scale: number;
  try {
    ({ sealBytes, scale } = unpackCiphertext(record, layout));
  } catch (error) {
    throw new HeFormatError(`${what}: ${errorMessage(error)}`, { cause: error });
  }
  if (scale !== expectedScale) throw new HeFormatError(`${what} has scale ${scale}, expected ${expectedScale}`);
  const ciphertext = runtime.seal.CipherText();
  try {
    ciphertext.loadArray(runtime.context, sealBytes);
  } catch (error) {
    ciphertext.delete();
    throw new HeFormatError(`${what} is not a valid ciphertext for these parameters: ${errorMessage(error)}`, { cause: error });
  }
  return ciphertext;
}

export function saveCiphertext(runtime: CkksRuntime, ciphertext: CipherText, layout: CiphertextLayout): Uint8Array {
  return packCiphertext(ciphertext.saveArray(runtime.seal.ComprModeType.none), layout);
}
