import { expect } from "chai";
import { describe, it } from "node:test";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toBytes, type Address } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { buildUpdateTree, updateTreeRoot, type UpdateLeaf } from "../../lib/chain/update-tree.ts";
import { buildTree, proofOf, processProof, rootOf } from "../../lib/crypto/merkle.ts";
import { hexToBytes, type Hex } from "viem";

function leaves(count: number, salt: string): UpdateLeaf[] {
  return Array.from({ length: count }, (_, i) => ({
    device: privateKeyToAddress(keccak256(toBytes(`${salt}-${i}`))) as Address,
    contentHash: keccak256(toBytes(`content-${salt}-${i}`)),
    cid: i % 3 === 0 ? `Qm${"x".repeat(44)}${i}` : `QmShort${i}`,
    sampleCount: BigInt(100 + i),
    nonce: BigInt(i * 7),
  }));
}

describe("Merkle trees in OpenZeppelin's layout", () => {
  it("the fast update-tree root equals the StandardMerkleTree root, for 1 to 33 leaves in any order", () => {
    for (const count of [1, 2, 3, 5, 8, 13, 33]) {
      const set = leaves(count, `s${count}`);
      expect(updateTreeRoot(set), `${count} leaves`).to.equal(buildUpdateTree(set).root);
      expect(updateTreeRoot([...set].reverse()), "order of arrival does not matter").to.equal(buildUpdateTree(set).root);
    }
    const set = leaves(5, "t");
    const changed = set.map((leaf, i) => (i === 2 ? { ...leaf, nonce: leaf.nonce + 1n } : leaf));
    expect(updateTreeRoot(changed)).to.not.equal(updateTreeRoot(set));
  });

  it("builds the same tree and proofs as @openzeppelin/merkle-tree over the same leaf hashes", () => {
    const values = Array.from({ length: 11 }, (_, i) => [BigInt(i), keccak256(toBytes(`v${i}`))] as [bigint, Hex]);
    const reference = StandardMerkleTree.of(values, ["uint256", "bytes32"], { sortLeaves: false });
    const hashes = values.map((value) => hexToBytes(reference.leafHash(value) as Hex));
    const tree = buildTree(hashes.length, (index, nodes, offset) => nodes.set(hashes[index]!, offset));
    expect(rootOf(tree)).to.equal(reference.root);
    for (let i = 0; i < values.length; i++) {
      expect(proofOf(tree, i)).to.deep.equal(reference.getProof(i));
      expect(processProof(reference.leafHash(values[i]!) as Hex, proofOf(tree, i))).to.equal(reference.root);
    }
  });
});
