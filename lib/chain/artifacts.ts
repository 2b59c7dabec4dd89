import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Abi, AbiFunction } from "viem";
import { toFunctionSelector } from "viem";

const artifactsRoot = fileURLToPath(new URL("../../artifacts/", import.meta.url));

interface Artifact {
  contractName: string;
  abi: Abi;
  bytecode: `0x${string}`;
}

/** Reads a compiled artifact of a twinledger contract (contracts/<name>.sol). Run `hardhat build` first. */
export function readArtifact(contractName: string): Artifact {
  const path = `${artifactsRoot}contracts/${contractName}.sol/${contractName}.json`;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Artifact;
  } catch (cause) {
    throw new Error(`artifact for ${contractName} not found at ${path}; run "npx hardhat build" first`, { cause });
  }
}

/** The 4-byte selectors of the named functions of a contract, in the order given. */
export function selectorsOf(abi: Abi, functionNames: readonly string[]): `0x${string}`[] {
  return functionNames.map((name) => {
    const item = abi.find((entry): entry is AbiFunction => entry.type === "function" && entry.name === name);
    if (!item) throw new Error(`function ${name} is not in the ABI`);
    return toFunctionSelector(item);
  });
}

/** The names of an ABI's state-changing functions. */
export function stateChangingFunctions(abi: Abi): string[] {
  return abi
    .filter((entry): entry is AbiFunction => entry.type === "function")
    .filter((entry) => entry.stateMutability === "nonpayable" || entry.stateMutability === "payable")
    .map((entry) => entry.name);
}
