import { expect } from "chai";
import { describe, it } from "node:test";
import { AI4I_CONTINUOUS, AI4I_FEATURES, AI4I_LEAKY_COLUMNS, AI4I_PLE_EDGES, buildAi4i, parseAi4i } from "../../lib/data/ai4i.ts";
import { mulberry32 } from "../../lib/data/dataset.ts";

const HEADER = "UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF";

/** AI4I-format rows: failures when torque is high; the failure-mode flags copy the label (as the leak does). */
function ai4iText(rows: number, seed: number): string {
  const random = mulberry32(seed);
  const types = ["L", "L", "L", "M", "M", "H"];
  const lines = [HEADER];
  for (let i = 1; i <= rows; i++) {
    const type = types[Math.floor(random() * types.length)]!;
    const torque = 20 + 50 * random();
    const failure = torque > 62 ? 1 : 0;
    lines.push([i, `${type}${10000 + i}`, type, (298 + random()).toFixed(1), (308 + random()).toFixed(1), Math.round(1300 + 500 * random()), torque.toFixed(1), Math.round(200 * random()), failure, failure, 0, 0, 0, 0].join(","));
  }
  return lines.join("\n") + "\n";
}

describe("AI4I 2020 loader", () => {
  it("drops the failure-mode columns and ids, and one-hot encodes Type", () => {
    const { dataset } = parseAi4i(HEADER + "\n1,M1,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0\n2,L2,L,298.2,308.7,1408,46.3,3,1,1,0,0,0,0\n");
    for (const leaky of [...AI4I_LEAKY_COLUMNS, "UDI", "Product ID", "Type", "Machine failure"]) expect(dataset.featureNames).to.not.include(leaky);
    expect(dataset.featureNames.slice(0, 3)).to.deep.equal(["Type_L", "Type_M", "Type_H"]);
    const width = dataset.featureNames.length;
    expect(Array.from(dataset.features.subarray(0, 3))).to.deep.equal([0, 1, 0]);
    expect(Array.from(dataset.features.subarray(width, width + 3))).to.deep.equal([1, 0, 0]);
    expect(Array.from(dataset.labels)).to.deep.equal([0, 1]);
    // Engineered: process − air temperature, and power = torque · ω.
    expect(dataset.features[dataset.featureNames.indexOf("Temperature difference [K]")]).to.be.closeTo(10.5, 1e-4);
    expect(dataset.features[dataset.featureNames.indexOf("Power [W]")]).to.be.closeTo((42.8 * 1551 * 2 * Math.PI) / 60, 0.5);
  });

  it("names the offending line for a bad Type, label or number, and a missing column", () => {
    expect(() => parseAi4i(HEADER + "\n1,X1,X,298.1,308.6,1551,42.8,0,0,0,0,0,0,0\n")).to.throw(/line 2: Type "X"/);
    expect(() => parseAi4i(HEADER + "\n1,M1,M,298.1,308.6,1551,42.8,0,2,0,0,0,0,0\n")).to.throw(/line 2: Machine failure "2"/);
    expect(() => parseAi4i(HEADER + "\n1,M1,M,298.1,hot,1551,42.8,0,0,0,0,0,0,0\n")).to.throw(/line 2: Process temperature \[K\] "hot"/);
    expect(() => parseAi4i(HEADER.replace("Torque [Nm]", "Torque") + "\n")).to.throw(/missing column\(s\) "Torque \[Nm\]"/);
  });

  it("splits stratified, partitions non-IID by type, and is deterministic for a seed", () => {
    const text = ai4iText(3000, 5);
    const data = buildAi4i(text, { devices: 5, seed: 9 });
    expect(data.kind).to.equal("classification");
    expect(data.taskName).to.equal("ai4i-failure");
    const rate = (labels: Float32Array) => labels.reduce((s, x) => s + x, 0) / labels.length;
    const all = rate(Float32Array.from(text.trim().split("\n").slice(1).map((l) => Number(l.split(",")[8]))));
    expect(rate(data.validation.labels)).to.be.closeTo(all, 0.01);
    expect(rate(data.test.labels)).to.be.closeTo(all, 0.01);
    expect(data.validation.rows + data.test.rows + data.devices.reduce((s, d) => s + d.rows, 0)).to.equal(3000);
    // Product mix differs between devices: the share of Type_L rows (feature 0 > 0 after normalising) varies.
    const lShare = data.devices.map((d) => {
      let count = 0;
      for (let r = 0; r < d.rows; r++) if (d.features[r * d.featureNames.length]! > 0) count++;
      return count / d.rows;
    });
    expect(Math.max(...lShare) - Math.min(...lShare)).to.be.greaterThan(0.15);
    const again = buildAi4i(text, { devices: 5, seed: 9 });
    expect(again.devices.map((d) => d.rows)).to.deep.equal(data.devices.map((d) => d.rows));
  });

  it("adds piecewise-linear bins of the standardised continuous features on every split, and none for Type", () => {
    const text = ai4iText(1500, 6);
    const data = buildAi4i(text, { devices: 4, seed: 3 });
    const bins = AI4I_PLE_EDGES.length - 1;
    expect(data.featureNames).to.have.length(AI4I_FEATURES.length + AI4I_CONTINUOUS.length * bins);
    expect(data.featureNames.slice(0, 4)).to.deep.equal(["Type_L", "Type_M", "Type_H", "Air temperature [K]"]);
    expect(data.featureNames).to.include("Power [W]#ple3");
    expect(data.featureNames.some((n) => n.startsWith("Type_L#"))).to.equal(false);
    for (const split of [...data.devices, data.validation, data.test]) expect(split.featureNames).to.deep.equal(data.featureNames);
    // The bins are the thermometer code of the normalised value right before them (the same rows without PLE).
    const raw = buildAi4i(text, { devices: 4, seed: 3, pleEdges: null });
    expect(raw.featureNames).to.deep.equal([...AI4I_FEATURES]);
    const width = data.featureNames.length;
    const torque = data.featureNames.indexOf("Torque [Nm]");
    for (let r = 0; r < data.test.rows; r += 37) {
      const z = raw.test.features[r * raw.featureNames.length + raw.featureNames.indexOf("Torque [Nm]")]!;
      expect(data.test.features[r * width + torque]).to.equal(z);
      for (let t = 1; t <= bins; t++) {
        const expected = Math.min(1, Math.max(0, (z - AI4I_PLE_EDGES[t - 1]!) / (AI4I_PLE_EDGES[t]! - AI4I_PLE_EDGES[t - 1]!)));
        expect(data.test.features[r * width + torque + t]).to.be.closeTo(expected, 1e-6);
      }
    }
  });
});
