import { expect } from "chai";
import { describe, it } from "node:test";
import { concat, fitNormaliser, mulberry32, subset } from "../../lib/data/dataset.ts";
import { syntheticRunToFailure } from "../../lib/data/synthetic.ts";
import { RUL_CAP } from "../../lib/data/windows.ts";

const small = (seed: number) => syntheticRunToFailure({ devices: 4, seed, minUnits: 2, maxUnits: 4, validationUnits: 3, testUnits: 3 });
const mean = (values: Float32Array) => values.reduce((s, x) => s + x, 0) / values.length;

describe("synthetic run-to-failure data", () => {
  it("is bit-identical for the same seed and differs for another seed", () => {
    const a = small(7);
    const b = small(7);
    const c = small(8);
    expect(a.devices.map((d) => d.rows)).to.deep.equal(b.devices.map((d) => d.rows));
    a.devices.forEach((d, i) => {
      expect(Buffer.from(d.features.buffer).equals(Buffer.from(b.devices[i]!.features.buffer))).to.equal(true);
      expect(Buffer.from(d.labels.buffer).equals(Buffer.from(b.devices[i]!.labels.buffer))).to.equal(true);
    });
    expect(Buffer.from(a.test.features.buffer).equals(Buffer.from(c.test.features.buffer))).to.equal(false);
  });

  it("has the declared shape, a regression task named cmapss-rul, finite values and RUL within [0, cap]", () => {
    const data = small(1);
    expect(data.kind).to.equal("regression");
    expect(data.taskName).to.equal("cmapss-rul");
    expect(data.devices).to.have.length(4);
    expect(data.featureNames.length).to.be.within(8 * 4, 14 * 4 + 1);
    for (const d of [...data.devices, data.validation, data.test]) {
      expect(d.features.length).to.equal(d.rows * data.featureNames.length);
      expect(d.features.every(Number.isFinite)).to.equal(true);
      expect(d.labels.every((l) => l >= 0 && l <= RUL_CAP)).to.equal(true);
      // Each unit runs to failure, so RUL 0 and the cap both occur.
      expect(Math.min(...d.labels)).to.equal(0);
      expect(Math.max(...d.labels)).to.equal(RUL_CAP);
    }
  });

  it("is normalised on the device data: training features have mean ≈ 0 and std ≈ 1", () => {
    const data = small(2);
    const { mean: m, std } = fitNormaliser(data.devices);
    for (let j = 0; j < m.length; j++) {
      expect(m[j]).to.be.closeTo(0, 1e-3);
      expect(std[j]).to.be.closeTo(1, 1e-3);
    }
  });

  it("is non-IID: devices differ in size, label distribution and feature distribution", () => {
    const data = syntheticRunToFailure({ devices: 6, seed: 3 });
    const sizes = data.devices.map((d) => d.rows);
    expect(new Set(sizes).size).to.be.greaterThan(1);
    const labelMeans = data.devices.map((d) => mean(d.labels));
    expect(Math.max(...labelMeans) - Math.min(...labelMeans)).to.be.greaterThan(3);
    // Calibration offsets shift sensor 1's reading between sites by a good fraction of a standard deviation.
    const sensorMeans = data.devices.map((d) => {
      const width = d.featureNames.length;
      return mean(Float32Array.from({ length: d.rows }, (_, r) => d.features[r * width]!));
    });
    expect(Math.max(...sensorMeans) - Math.min(...sensorMeans)).to.be.greaterThan(0.3);
  });

  it("rejects invalid options with a clear message", () => {
    expect(() => syntheticRunToFailure({ devices: 0, seed: 1 })).to.throw(/devices must be an integer >= 1/);
    expect(() => syntheticRunToFailure({ devices: 2, seed: 1, minUnits: 5, maxUnits: 2 })).to.throw(/maxUnits/);
  });
});

describe("dataset helpers", () => {
  const data = small(4).devices[0]!;

  it("subset picks rows in order and concat stacks them back", () => {
    const head = subset(data, [0, 1, 2]);
    const tail = subset(data, Array.from({ length: data.rows - 3 }, (_, i) => i + 3));
    const joined = concat([head, tail]);
    expect(joined.rows).to.equal(data.rows);
    expect(Buffer.from(joined.features.buffer).equals(Buffer.from(data.features.buffer))).to.equal(true);
    expect(subset(data, [2]).labels[0]).to.equal(data.labels[2]);
    expect(() => subset(data, [data.rows])).to.throw(/outside/);
  });

  it("concat refuses datasets with different features", () => {
    expect(() => concat([data, { ...data, featureNames: data.featureNames.slice().reverse() }])).to.throw(/expected/);
  });

  it("mulberry32 is deterministic and uniform-ish", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 10000 }, () => a());
    expect(draws.slice(0, 5)).to.deep.equal(Array.from({ length: 5 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).to.equal(true);
    expect(draws.reduce((s, x) => s + x, 0) / draws.length).to.be.closeTo(0.5, 0.02);
  });
});
