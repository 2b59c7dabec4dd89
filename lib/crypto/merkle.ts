/**
 * Merkle trees in OpenZeppelin's layout, over leaf hashes: a complete binary tree stored as an array, leaf i at
 * node length-1-i, node k = keccak256 of the sorted pair (node 2k+1, node 2k+2). Proofs are what
 * `MerkleProof.verify` takes. Leaf hashing is the caller's (telemetry readings, model updates).
 */
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { keccakInto } from "./keccak.ts";

export interface MerkleTree {
  readonly leafCount: number;
  /** Every node, 32 bytes each, in the array layout (node 0 is the root). */
  readonly nodes: Uint8Array;
}

const pair = new Uint8Array(64);

function compare32(nodes: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 32; i++) {
    const difference = nodes[a * 32 + i]! - nodes[b * 32 + i]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/** keccak256 of the sorted pair of nodes `left` and `right`, written at node `target`. */
export function hashPairInto(nodes: Uint8Array, left: number, right: number, target: number): void {
  const [low, high] = compare32(nodes, left, right) <= 0 ? [left, right] : [right, left];
  pair.set(nodes.subarray(low * 32, low * 32 + 32), 0);
  pair.set(nodes.subarray(high * 32, high * 32 + 32), 32);
  keccakInto(pair, nodes, target * 32);
}

/** A tree whose leaves `fillLeaf(i, nodes, byteOffset)` writes in place (no per-leaf allocation). */
export function buildTree(leafCount: number, fillLeaf: (index: number, nodes: Uint8Array, byteOffset: number) => void): MerkleTree {
  if (leafCount === 0) throw new Error("a Merkle tree needs at least one leaf");
  const nodeCount = 2 * leafCount - 1;
  const nodes = new Uint8Array(nodeCount * 32);
  for (let i = 0; i < leafCount; i++) fillLeaf(i, nodes, (nodeCount - 1 - i) * 32);
  for (let k = nodeCount - 1 - leafCount; k >= 0; k--) hashPairInto(nodes, 2 * k + 1, 2 * k + 2, k);
  return { leafCount, nodes };
}

export function rootOf(tree: MerkleTree): Hex {
  return bytesToHex(tree.nodes.subarray(0, 32));
}

/** The proof of leaf `index`: sibling hashes from the leaf up. */
export function proofOf(tree: MerkleTree, index: number): Hex[] {
  if (!Number.isInteger(index) || index < 0 || index >= tree.leafCount) throw new Error(`leaf ${index} is outside 0..${tree.leafCount - 1}`);
  const proof: Hex[] = [];
  let node = 2 * tree.leafCount - 2 - index;
  while (node > 0) {
    const sibling = node % 2 === 1 ? node + 1 : node - 1;
    proof.push(bytesToHex(tree.nodes.subarray(sibling * 32, sibling * 32 + 32)));
    node = Math.floor((node - 1) / 2);
  }
  return proof;
}

/** Folds a proof onto a leaf, as MerkleProof.processProof does. */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  const nodes = new Uint8Array(96);
  nodes.set(hexToBytes(leaf), 0);
  for (const sibling of proof) {
    nodes.set(hexToBytes(sibling), 32);
    hashPairInto(nodes, 0, 1, 2);
    nodes.copyWithin(0, 64, 96);
  }
  return bytesToHex(nodes.subarray(0, 32));
}
