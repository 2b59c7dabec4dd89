import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";

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
  const ordered = [...leaves].sort((a, b) => (a.device.toLowerCase() < b.device.toLowerCase() ? -1 : a.device.toLowerCase() > b.device.toLowerCase() ? 1 : 0));
  return StandardMerkleTree.of(ordered.map(updateTreeValue), [...updateLeafEncoding], { sortLeaves: false });
}
