/**
 * Merkle trees over telemetry readings (lib/crypto/merkle.ts, OpenZeppelin's layout), so `MerkleProof.verify` and
 * the ProvenanceAnchor's `verifyReading` accept our proofs. Leaves keep the window's row order
 * (OpenZeppelin's `sortLeaves: false`), and each leaf commits to its row index, so a reordered window has a
 * different root.
 *
 * A leaf is keccak256(0x00 ‖ uint32be(index) ‖ utf8(JSON.stringify(row))): the row exactly as the device sent
 * it. The 0x00 prefix and the JSON body keep a leaf preimage from ever parsing as an inner node.
 */
import { bytesToHex, type Hex } from "viem";
import { keccakHex, keccakInto } from "../crypto/keccak.ts";
import { buildTree, processProof, proofOf, rootOf, type MerkleTree } from "../crypto/merkle.ts";

const encoder = new TextEncoder();
const LEAF_PREFIX_BYTES = 5;
let scratch = new Uint8Array(4096);

export const LEAF_ENCODING = "keccak256(0x00 ‖ uint32be(index) ‖ utf8(JSON.stringify(row)))";
export const TREE_LAYOUT = "openzeppelin-complete-binary-tree: leaf i at node length-1-i, node k = keccak256(sort(node 2k+1, node 2k+2))";

/** A window's row, exactly as the device sent it: the timestamp, then one value per declared channel. */
export type RawRow = readonly unknown[];

export type ReadingTree = MerkleTree;

/** Writes the leaf of `row` at `index` into `out` at byte `offset`. */
function leafInto(index: number, row: RawRow, out: Uint8Array, offset: number): void {
  const json = JSON.stringify(row);
  // A UTF-8 encoding never needs more than 3 bytes per UTF-16 unit.
  const needed = LEAF_PREFIX_BYTES + json.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(needed * 2);
  scratch[0] = 0;
  scratch[1] = index >>> 24;
  scratch[2] = (index >>> 16) & 0xff;
  scratch[3] = (index >>> 8) & 0xff;
  scratch[4] = index & 0xff;
  const { written } = encoder.encodeInto(json, scratch.subarray(LEAF_PREFIX_BYTES));
  keccakInto(scratch.subarray(0, LEAF_PREFIX_BYTES + written), out, offset);
}

/** The leaf hash of one reading. */
export function readingLeaf(index: number, row: RawRow): Hex {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new Error(`leaf index ${index} is not a uint32`);
  const out = new Uint8Array(32);
  leafInto(index, row, out, 0);
  return bytesToHex(out);
}

export function buildReadingTree(rows: readonly RawRow[]): ReadingTree {
  if (rows.length === 0) throw new Error("a window needs at least one reading");
  return buildTree(rows.length, (index, nodes, offset) => leafInto(index, rows[index]!, nodes, offset));
}

export const treeRoot = rootOf;

/** The root of the readings' tree (what a device signs and a gateway anchors). */
export function readingsRoot(rows: readonly RawRow[]): Hex {
  return rootOf(buildReadingTree(rows));
}

/** The proof of reading `index`: sibling hashes from the leaf up, as MerkleProof.verify takes them. */
export const readingProof = proofOf;

export { processProof };

export function verifyReadingProof(root: Hex, leaf: Hex, proof: readonly Hex[]): boolean {
  return processProof(leaf, proof).toLowerCase() === root.toLowerCase();
}

/** keccak256 of UTF-8 text (used for the signed channel declaration). */
export function keccakText(text: string): Hex {
  return keccakHex(encoder.encode(text));
}
