import { expect } from "chai";
import { describe, it } from "node:test";
import { concat } from "../../lib/data/dataset.ts";
import { syntheticRunToFailure } from "../../lib/data/synthetic.ts";
import { buildModel, flattenWeights, parameterCount, setFlatWeights } from "../../lib/model/model.ts";
import { deserializeModel, serializeModel } from "../../lib/model/serialize.ts";
import { defaultSpec, type ModelSpec } from "../../lib/model/spec.ts";
import { initTf } from "../../lib/model/tf.ts";
import { evaluate, predict, trainLocal } from "../../lib/model/train.ts";
import { bytesToWeights, l2Norm, weightsHash, weightsToBytes } from "../../lib/model/weights.ts";

const tf = await initTf();
const data = syntheticRunToFailure({ devices: 3, seed: 11, minUnits: 3, maxUnits: 4, validationUnits: 3, testUnits: 4 });
const spec = defaultSpec(data);

describe("model construction and weights", () => {
  it("initTf is idempotent and uses a real backend", async () => {
    expect(await initTf()).to.equal(tf);
    expect(["wasm", "tensorflow"]).to.include(tf.getBackend());
  });

  it("defaultSpec fits the data: one output, input = feature count", () => {
    expect(spec).to.include({ kind: "regression", inputSize: data.featureNames.length, outputSize: 1 });
    const classification: ModelSpec = { ...spec, kind: "classification" };
    const model = buildModel(tf, classification, 1);
    expect(model.layers.at(-1)!.getConfig()["activation"]).to.equal("sigmoid");
  });

  it("buildModel is deterministic for a seed and differs between seeds", () => {
    const a = weightsHash(flattenWeights(buildModel(tf, spec, 5)));
    expect(weightsHash(flattenWeights(buildModel(tf, spec, 5)))).to.equal(a);
    expect(weightsHash(flattenWeights(buildModel(tf, spec, 6)))).to.not.equal(a);
  });

  it("flatten and set round-trip, and the parameter count matches the architecture", () => {
    const model = buildModel(tf, spec, 1);
    const n = spec.inputSize;
    expect(parameterCount(model)).to.equal(n * 64 + 64 + 64 * 32 + 32 + 32 + 1);
    const flat = Float32Array.from({ length: parameterCount(model) }, (_, i) => Math.sin(i));
    setFlatWeights(model, flat);
    expect(weightsHash(flattenWeights(model))).to.equal(weightsHash(flat));
    expect(() => setFlatWeights(model, flat.subarray(1))).to.throw(/parameters/);
  });

  it("the weights hash is keccak of little-endian float32 bytes and changes with a single weight", () => {
    const flat = Float32Array.from([1, -2.5, 3e-8]);
    const bytes = weightsToBytes(flat);
    expect(Array.from(bytes.subarray(0, 4))).to.deep.equal([0, 0, 0x80, 0x3f]); // 1.0f little-endian
    expect(Array.from(bytesToWeights(bytes))).to.deep.equal(Array.from(flat));
    const row = new Float32Array(3);
    expect(bytesToWeights(bytes, row)).to.equal(row);
    expect(Array.from(row)).to.deep.equal(Array.from(flat));
    expect(() => bytesToWeights(bytes, new Float32Array(4))).to.throw(/hold 3 values, expected 4/);
    const changed = flat.slice();
    changed[2] = Math.fround(3.0000001e-8);
    expect(weightsHash(changed)).to.not.equal(weightsHash(flat));
    expect(weightsHash(flat)).to.match(/^0x[0-9a-f]{64}$/);
    expect(l2Norm(Float32Array.from([3, 4]))).to.equal(5);
  });

  it("serialises to TF.js files whose round trip keeps the weights hash and predictions", async () => {
    const model = buildModel(tf, spec, 3);
    const { files } = await serializeModel(model);
    expect(files.map((f) => f.path)).to.deep.equal(["model.json", "weights.bin"]);
    const json = JSON.parse(new TextDecoder().decode(files[0]!.content)) as { weightsManifest: { paths: string[] }[]; format: string };
    expect(json.format).to.equal("layers-model");
    expect(json.weightsManifest[0]!.paths).to.deep.equal(["weights.bin"]);
    expect(files[1]!.content.length).to.equal(parameterCount(model) * 4);
    const loaded = await deserializeModel(tf, files);
    expect(weightsHash(flattenWeights(loaded))).to.equal(weightsHash(flattenWeights(model)));
    expect(Array.from(predict(tf, loaded, data.test))).to.deep.equal(Array.from(predict(tf, model, data.test)));
    // Same weights serialise to the same bytes (so the same CID), even from a reloaded model.
    const again = await serializeModel(loaded);
    expect(Buffer.from(again.files[0]!.content).equals(Buffer.from(files[0]!.content))).to.equal(true);
    let message = "";
    await deserializeModel(tf, [files[0]!]).catch((error: Error) => (message = error.message));
    expect(message).to.match(/missing weights.bin/);
  });

  it("deserialisation rejects truncated weights", async () => {
    const { files } = await serializeModel(buildModel(tf, spec, 3));
    const truncated = [files[0]!, { path: "weights.bin" as const, content: files[1]!.content.subarray(4) }];
    let message = "";
    await deserializeModel(tf, truncated).catch((error: Error) => (message = error.message));
    expect(message).to.match(/weights.bin has \d+ bytes/);
  });
});

describe("training", () => {
  it("reduces the loss and beats predicting the mean, deterministically, without leaking tensors", async () => {
    const train = concat(data.devices);
    const model = buildModel(tf, spec, 2);
    const labelMean = train.labels.reduce((s, x) => s + x, 0) / train.rows;
    const baseline = Math.sqrt(data.test.labels.reduce((s, x) => s + (x - labelMean) ** 2, 0) / data.test.rows);
    const tensorsBefore = tf.memory().numTensors;
    const first = await trainLocal(tf, model, train, { epochs: 1, batchSize: 32, seed: 1 });
    const later = await trainLocal(tf, model, train, { epochs: 4, batchSize: 32, seed: 2 });
    expect(tf.memory().numTensors).to.equal(tensorsBefore);
    expect(later.loss).to.be.lessThan(first.loss * 0.5);
    const result = evaluate(tf, model, data.test, "regression");
    expect("rmse" in result && result.rmse).to.be.lessThan(baseline * 0.6);

    const twin = buildModel(tf, spec, 2);
    await trainLocal(tf, twin, train, { epochs: 1, batchSize: 32, seed: 1 });
    await trainLocal(tf, twin, train, { epochs: 4, batchSize: 32, seed: 2 });
    expect(weightsHash(flattenWeights(twin))).to.equal(weightsHash(flattenWeights(model)));
  });
});
