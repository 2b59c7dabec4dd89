/**
 * secp256k1 signer recovery for the hot paths (a gateway checks a signature per window, an auditor 100,000 per
 * hundred versions). It uses libsecp256k1 through the `secp256k1` package when its prebuilt binding loads (about
 * 9,000 recoveries/s per core here, ~25× viem's pure-JS recovery) and falls back to viem everywhere else, with the
 * same answers: the address, or null for a signature that does not recover or has a high s (which OpenZeppelin's
 * ECDSA refuses too). Browser-safe: outside Node there is no binding to load, and viem recovers.
 */
import { bytesToHex, getAddress, hexToBytes, keccak256, recoverAddress, type Address, type Hex } from "viem";

interface NativeSecp256k1 {
  ecdsaRecover(signature: Uint8Array, recoveryId: number, message: Uint8Array, compressed: boolean): Uint8Array;
}

const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function loadNative(): NativeSecp256k1 | undefined {
  // Reached through process.getBuiltinModule rather than an import of node:module, so bundlers for the browser
  // (the web app's reading verification) see no Node dependency.
  const nodeProcess = (globalThis as { process?: Partial<NodeJS.Process> }).process;
  if (typeof nodeProcess?.getBuiltinModule !== "function" || nodeProcess.env?.TWINLEDGER_PURE_JS_CRYPTO === "1") return undefined;
  try {
    const { createRequire } = nodeProcess.getBuiltinModule("node:module");
    const require = createRequire(import.meta.url);
    // The package's main entry falls back to a slow pure-JS build when the binding is missing; take only the binding.
    return require("secp256k1/bindings.js") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** Which implementation recovers signatures in this process. */
export const recoveryBackend: "libsecp256k1" | "viem" = native ? "libsecp256k1" : "viem";

function split(signature: Hex): { compact: Uint8Array; recoveryId: number } | undefined {
  const bytes = hexToBytes(signature);
  if (bytes.length !== 65) return undefined;
  const v = bytes[64]!;
  const recoveryId = v >= 27 ? v - 27 : v;
  if (recoveryId !== 0 && recoveryId !== 1) return undefined;
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  if (s === 0n || s > SECP256K1_HALF_ORDER) return undefined;
  return { compact: bytes.subarray(0, 64), recoveryId };
}

/** The address that signed `digest` (32 bytes), or null when the signature does not recover. */
export async function recoverSigner(digest: Hex | Uint8Array, signature: Hex): Promise<Address | null> {
  const parts = split(signature);
  if (!parts) return null;
  const message = typeof digest === "string" ? hexToBytes(digest) : digest;
  if (native) {
    try {
      const publicKey = native.ecdsaRecover(parts.compact, parts.recoveryId, message, false);
      return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
    } catch {
      return null;
    }
  }
  try {
    return await recoverAddress({ hash: bytesToHex(message), signature });
  } catch {
    return null;
  }
}
