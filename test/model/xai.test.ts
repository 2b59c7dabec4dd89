import { expect } from "chai";
import { describe, it } from "node:test";
import { gaussian, makeDataset, mulberry32, type Dataset } from "../../lib/data/dataset.ts";
import { featureGroups, piecewiseLinearEncode, sourceFeatureOf, uniformEdges } from "../../lib/data/piecewise-linear.ts";
import { buildModel } from "../../lib/model/model.ts";
import { initTf } from "../../lib/model/tf.ts";
import { trainLocal } from "../../lib/model/train.ts";
import { importanceAgreement, medianImportance, xaiGuidedWeights } from "../../oracle/xai/agreement.ts";
import { gradientTimesInput, permutationImportance } from "../../oracle/xai/importance.ts";
import { xaiReport } from "../../oracle/xai/report.ts";
import { applyXaiWeights } from "../../oracle/xai/weighting.ts";

const tf = await initTf();
const FEATURES = 5;

/** Five standard-normal features; only feature 0 drives the label. */
function onlyFeatureZero(rows: number, seed: number, kind: "regression" | "classification"): Dataset {
  const random = mulberry32(seed);
  const features = Float32Array.from({ length: rows * FEATURES }, () => gaussian(random));
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const x0 = features[r * FEATURES]!;
    return kind === "regression" ? 10 * Math.sin(x0) + 20 * x0 + 0.01 * gaussian(random) : x0 > 0.5 ? 1 : 0;
  });
  return makeDataset(features, labels, Array.from({ length: FEATURES }, (_, j) => `x${j}`));
}

const argmax = (values: number[]) => values.indexOf(Math.max(...values));

describe("XAI importances", () => {
  for (const kind of ["regression", "classification"] as const) {
    it(`rank the only informative feature first (${kind})`, async () => {
      const train = onlyFeatureZero(2000, 1, kind);
      const model = buildModel(tf, { kind, inputSize: FEATURES, hidden: [16], outputSize: 1, learningRate: 0.01 }, 1);
      await trainLocal(tf, model, train, { epochs: 15, batchSize: 64, seed: 1 });
      const heldOut = onlyFeatureZero(500, 2, kind);
      const permutation = permutationImportance(tf, model, heldOut, kind, { seed: 3, repeats: 2 });
      const gradient = gradientTimesInput(tf, model, heldOut);
      expect(permutation).to.have.length(FEATURES);
      expect(argmax(permutation), `permutation ${permutation}`).to.equal(0);
      expect(argmax(gradient), `gradient ${gradient}`).to.equal(0);
      // Feature 0 dominates: every other feature matters far less.
      for (let j = 1; j < FEATURES; j++) {
        expect(permutation[j]!).to.be.lessThan(permutation[0]! / 5);
        expect(gradient[j]!).to.be.lessThan(gradient[0]! / 3);
      }
      const report = xaiReport(tf, model, heldOut, kind, { seed: 3, maxRows: 200 });
      expect(report).to.include({ rows: 200, version: 1 });
      expect(report.metric.name).to.equal(kind === "regression" ? "rmse" : "logloss");
      expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
      expect(xaiReport(tf, model, heldOut, kind, { seed: 3, maxRows: 200 })).to.deep.equal(report);
    });
  }
});

describe("XAI importances over piecewise-linear encoded features", () => {
  it("report one value per source feature, shuffling a feature's bins together", async () => {
    const edges = uniformEdges(-2, 2, 1);
    const encode = (data: Dataset) => piecewiseLinearEncode(data, { edges, columns: ["x0", "x1", "x2"] });
    const train = encode(onlyFeatureZero(2000, 1, "classification"));
    expect(featureGroups(train.featureNames).map((group) => [group.name, group.columns.length])).to.deep.equal([["x0", 5], ["x1", 5], ["x2", 5], ["x3", 1], ["x4", 1]]);
    const model = buildModel(tf, { kind: "classification", inputSize: train.featureNames.length, hidden: [16], outputSize: 1, learningRate: 0.01 }, 1);
    await trainLocal(tf, model, train, { epochs: 15, batchSize: 64, seed: 1 });
    const heldOut = encode(onlyFeatureZero(500, 2, "classification"));
    const permutation = permutationImportance(tf, model, heldOut, "classification", { seed: 3 });
    const gradient = gradientTimesInput(tf, model, heldOut);
    expect(permutation).to.have.length(FEATURES);
    expect(gradient).to.have.length(FEATURES);
    expect(argmax(permutation), `permutation ${permutation}`).to.equal(0);
    expect(argmax(gradient), `gradient ${gradient}`).to.equal(0);
    const report = xaiReport(tf, model, heldOut, "classification", { seed: 3, maxRows: 200 });
    expect(report.featureNames).to.deep.equal(["x0", "x1", "x2", "x3", "x4"]);
    expect(sourceFeatureOf("Power [W]#ple12")).to.equal("Power [W]");
    expect(sourceFeatureOf("notes#plex")).to.equal("notes#plex");
  });
});

describe("XAI-guided weighting (pure)", () => {
  it("importanceAgreement is cosine similarity", () => {
    expect(importanceAgreement([1, 0], [2, 0])).to.be.closeTo(1, 1e-12);
    expect(importanceAgreement([1, 0], [0, 3])).to.equal(0);
    expect(importanceAgreement([1, 1], [-1, -1])).to.be.closeTo(-1, 1e-12);
    expect(importanceAgreement([0, 0], [0, 0])).to.equal(1);
    expect(importanceAgreement([NaN, 1], [1, 1])).to.equal(0);
    expect(() => importanceAgreement([1], [1, 2])).to.throw(/differ in length/);
  });

  it("the consensus is the coordinate-wise median", () => {
    expect(medianImportance([[1, 10], [2, 20], [100, -5]])).to.deep.equal([2, 10]);
  });

  it("down-weights updates that disagree in direction or scale with the consensus, and keeps the honest ones", () => {
    const honest = [[5, 1, 0.2], [4.5, 1.2, 0.1], [5.5, 0.9, 0.3], [5, 1.1, 0.2]];
    const flipped = [-5, -1, -0.2];
    const wrongFeature = [0.2, 0.1, 6];
    const scaled = [50, 10, 2];
    const weights = xaiGuidedWeights([...honest, flipped, wrongFeature, scaled]);
    weights.slice(0, 4).forEach((w) => expect(w).to.be.greaterThan(0.8));
    expect(weights[4]).to.equal(0);
    expect(weights[5]).to.be.lessThan(0.05);
    expect(weights[6]).to.be.lessThan(0.15);
  });

  it("applyXaiWeights drops low-weight updates, scales sample counts, and keeps at least half", () => {
    const updates = [1, 2, 3, 4].map((v) => ({ weights: Float32Array.of(v), sampleCount: 100 }));
    const result = applyXaiWeights(updates, [1, 0.5, 0.1, 0]);
    expect(result.kept).to.deep.equal([0, 1]);
    expect(result.updates.map((u) => u.sampleCount)).to.deep.equal([100, 50]);
    expect(applyXaiWeights(updates, [0, 0, 0, 0.1]).kept).to.deep.equal([0, 3]);
    expect(() => applyXaiWeights(updates, [1])).to.throw(/1 XAI weights for 4 updates/);
  });
});
