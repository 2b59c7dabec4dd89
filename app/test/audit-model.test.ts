// @vitest-environment node
import { afterEach, describe, expect, it, vi } from "vitest";
import { CID } from "multiformats/cid";
import { ipfsNetwork } from "./fixtures/ipfs-network";
import { keccak256 } from "viem";
import { bytesToWeights, weightsHash, weightsToBytes } from "../../lib/model/weights.ts";
import { judgeModelContent, verdictText, verifyModelContent, type ModelContent } from "@/components/audit/model-verification";

const encoder = new TextEncoder();

/** A float32 TF.js model directory's files for generated weights (a dense layer: kernel 16×8 and bias 8). */
function modelFiles(seed = 1) {
  const weights = Float32Array.from({ length: 16 * 8 + 8 }, (_, i) => Math.sin(seed * 1000 + i) / 3);
  const modelJson = encoder.encode(
    JSON.stringify({
      modelTopology: { class_name: "Sequential", config: { layers: [] } },
      weightsManifest: [{ paths: ["weights.bin"], weights: [{ name: "dense/kernel", shape: [16, 8], dtype: "float32" }, { name: "dense/bias", shape: [8], dtype: "float32" }] }],
    }),
  );
  return { weights, modelJson, weightsBin: weightsToBytes(weights), onChainHash: weightsHash(weights) };
}

const directory = (modelJson: Uint8Array, weights: Uint8Array): ModelContent => ({ layout: "model-directory", modelJson, weights });

describe("judgeModelContent", () => {
  it("verifies a model directory whose weights.bin hashes to the on-chain weights hash", () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const verdict = judgeModelContent(directory(modelJson, weightsBin), onChainHash);
    expect(verdict.kind).toBe("verified");
    expect(verdict.steps.map((step) => [step.name, step.ok])).toEqual([["model.json", true], ["weights hash", true]]);
    expect(verdictText(verdict)).toMatch(/^Verified/);
  });

  it("hashes weights.bin's bytes to exactly what weightsHash gives for the decoded floats", () => {
    const { weightsBin } = modelFiles(7);
    expect(keccak256(weightsBin)).toBe(weightsHash(bytesToWeights(weightsBin)));
  });

  it("reports a mismatch when one weight of weights.bin was tampered with", () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const tampered = weightsBin.slice();
    tampered[17]! ^= 0x01;
    const verdict = judgeModelContent(directory(modelJson, tampered), onChainHash);
    expect(verdict.kind).toBe("mismatch");
    if (verdict.kind !== "mismatch") throw new Error("expected a mismatch");
    expect(verdict.computedHash).toBe(keccak256(tampered));
    expect(verdict.computedHash).not.toBe(onChainHash);
    expect(verdictText(verdict)).toMatch(/^Mismatch: the content hashes to 0x[0-9a-f]{64}, the chain records/);
  });

  it("reports a mismatch for another model's (valid) weights", () => {
    const mine = modelFiles(1);
    const theirs = modelFiles(2);
    expect(judgeModelContent(directory(theirs.modelJson, theirs.weightsBin), mine.onChainHash).kind).toBe("mismatch");
  });

  it("fails when model.json does not describe weights.bin's size", () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const truncated = weightsBin.slice(0, weightsBin.length - 4);
    const verdict = judgeModelContent(directory(modelJson, truncated), onChainHash);
    expect(verdict.kind).toBe("failed");
    expect(verdictText(verdict)).toBe(`Failed: weights.bin has ${truncated.length} bytes, model.json describes ${weightsBin.length} bytes`);
  });

  it("fails when model.json is not a float32 TF.js model", () => {
    const { weightsBin, onChainHash } = modelFiles();
    const verdict = judgeModelContent(directory(encoder.encode('{"weightsManifest": []}'), weightsBin), onChainHash);
    expect(verdict.kind).toBe("failed");
    expect(verdictText(verdict)).toMatch(/^Failed: model.json is not a float32 TF.js LayersModel/);
  });

  it("hashes a single-file genesis model's bytes and catches a changed byte", () => {
    const file = encoder.encode("a genesis model, serialised");
    const onChainHash = keccak256(file);
    expect(judgeModelContent({ layout: "file", file }, onChainHash).kind).toBe("verified");
    const tampered = file.slice();
    tampered[0]! ^= 0x20;
    expect(judgeModelContent({ layout: "file", file: tampered }, onChainHash).kind).toBe("mismatch");
  });
});

afterEach(() => vi.unstubAllGlobals());

describe("verifyModelContent (through verified IPFS reads)", () => {
  it("verifies a model directory fetched block by block, with progress", async () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const { root } = await ipfsNetwork([{ path: "model.json", content: modelJson }, { path: "weights.bin", content: weightsBin }], true);
    const progress: number[] = [];
    const verdict = await verifyModelContent(root, onChainHash, { onProgress: (p) => progress.push(p.blocks) });
    expect(verdict.kind).toBe("verified");
    expect(verdict.steps[0]).toMatchObject({ name: "IPFS", ok: true });
    expect(verdict.steps[0]!.detail).toMatch(/a model directory \(model.json \+ weights.bin\)/);
    expect(progress.length).toBeGreaterThanOrEqual(3);
  });

  it("reports a mismatch for a directory whose weights.bin was tampered with before it was stored", async () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const tampered = weightsBin.slice();
    tampered[100]! ^= 0x80;
    const { root } = await ipfsNetwork([{ path: "model.json", content: modelJson }, { path: "weights.bin", content: tampered }], true);
    const verdict = await verifyModelContent(root, onChainHash);
    expect(verdict.kind).toBe("mismatch");
  });

  it("fails when a block is altered in transit", async () => {
    const { modelJson, weightsBin, onChainHash } = modelFiles();
    const { root, blockstore, tampered } = await ipfsNetwork([{ path: "model.json", content: modelJson }, { path: "weights.bin", content: weightsBin }], true);
    // The memory blockstore keys blocks by multihash (CIDv1 raw); the network asks for them as CIDv0.
    for await (const { cid } of blockstore.getAll()) {
      const asRequested = CID.createV0(cid.multihash as Parameters<typeof CID.createV0>[0]).toString();
      if (asRequested !== root) tampered.add(asRequested);
    }
    expect(tampered.size).toBeGreaterThanOrEqual(2);
    const verdict = await verifyModelContent(root, onChainHash);
    expect(verdict.kind).toBe("failed");
    expect(verdictText(verdict)).toMatch(/^Failed: the content of .* could not be read from IPFS: .*does not hash to its CID/);
  });

  it("verifies a single-file genesis model", async () => {
    const file = encoder.encode(JSON.stringify({ genesis: true, weights: [0.1, 0.2] }));
    const { root } = await ipfsNetwork([{ path: "genesis.json", content: file }], false);
    const verdict = await verifyModelContent(root, keccak256(file));
    expect(verdict.kind).toBe("verified");
    expect(verdict.steps[0]!.detail).toMatch(/a single model file/);
  });
});
