import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { hexToBytes, type Address, type Hex } from "viem";
import { keccakBytes, keccakInto } from "../crypto/keccak.ts";
import { buildTree, rootOf } from "../crypto/merkle.ts";
import { compareAddresses } from "./addresses.ts";

/** One accepted device update, as committed on chain. */
export interface UpdateLeaf {
  device: Address;
  /** keccak256 of the update's canonical float32 weights. */
  contentHash: Hex;
  cid: string;
  sampleCount: bigint;
  nonce: bigint;
}

/** The StandardMerkleTree leaf encoding the UpdateLedger verifies against. */
export const updateLeafEncoding = ["address", "bytes32", "string", "uint256", "uint256"] as const;

export type UpdateTreeValue = [Address, Hex, string, bigint, bigint];

export function updateTreeValue(leaf: UpdateLeaf): UpdateTreeValue {
  return [leaf.device, leaf.contentHash, leaf.cid, leaf.sampleCount, leaf.nonce];
}

/**
 * The Merkle tree of a round's accepted updates. Leaves are sorted by device address first, so every oracle
 * that accepted the same set builds the same root whatever order the updates arrived in.
 */
export function buildUpdateTree(leaves: readonly UpdateLeaf[]): StandardMerkleTree<UpdateTreeValue> {
  if (leaves.length === 0) throw new Error("cannot commit a round with no accepted updates");
  const ordered = [...leaves].sort((a, b) => compareAddresses(a.device, b.device));
  return StandardMerkleTree.of(ordered.map(updateTreeValue), [...updateLeafEncoding], { sortLeaves: false });
}

const encoder = new TextEncoder();

function putUint(target: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value >= 1n << 256n) throw new Error(`${value} is not a uint256`);
  let rest = value;
  for (let i = 31; i >= 0 && rest > 0n; i--) {
    target[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** Writes the StandardMerkleTree leaf, keccak256(keccak256(abi.encode(leaf))), at byte `offset` of `out`. */
function updateLeafInto(leaf: UpdateLeaf, out: Uint8Array, offset: number): void {
  const cid = encoder.encode(leaf.cid);
  const encoded = new Uint8Array(32 * 6 + Math.ceil(cid.length / 32) * 32);
  encoded.set(hexToBytes(leaf.device), 12);
  encoded.set(hexToBytes(leaf.contentHash), 32);
  putUint(encoded, 64, 160n);
  putUint(encoded, 96, leaf.sampleCount);
  putUint(encoded, 128, leaf.nonce);
  putUint(encoded, 160, BigInt(cid.length));
  encoded.set(cid, 192);
  keccakInto(keccakBytes(encoded), out, offset);
}

/**
 * The root `buildUpdateTree` gives, computed with WebAssembly keccak and a direct ABI encoding (several times
 * faster): for checking a round's commitment when the proofs are not needed, as an auditor does at 100,000 updates.
 */
export function updateTreeRoot(leaves: readonly UpdateLeaf[]): Hex {
  if (leaves.length === 0) throw new Error("cannot commit a round with no accepted updates");
  const ordered = [...leaves].sort((a, b) => compareAddresses(a.device, b.device));
  return rootOf(buildTree(ordered.length, (index, nodes, offset) => updateLeafInto(ordered[index]!, nodes, offset)));
}
