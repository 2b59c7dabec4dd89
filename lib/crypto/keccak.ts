/**
 * keccak256 in WebAssembly (hash-wasm), about 8× the pure-JS implementation here: the hashing hot paths (telemetry
 * Merkle trees, update trees, EIP-712 digests at 100,000 updates) use it. Synchronous once the module is loaded.
 */
import { createKeccak } from "hash-wasm";
import { bytesToHex, type Hex } from "viem";

const hasher = await createKeccak(256);

/** Writes keccak256(bytes) into `out` at byte `offset`. */
export function keccakInto(bytes: Uint8Array, out: Uint8Array, offset: number): void {
  hasher.init();
  hasher.update(bytes);
  out.set(hasher.digest("binary"), offset);
}

export function keccakBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  keccakInto(bytes, out, 0);
  return out;
}

export function keccakHex(bytes: Uint8Array): Hex {
  return bytesToHex(keccakBytes(bytes));
}
