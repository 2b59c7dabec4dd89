import { expect } from "chai";
import { describe, it } from "node:test";
import { makeDataset } from "../../lib/data/dataset.ts";
import { piecewiseLinearEncode, pleColumnName, uniformEdges } from "../../lib/data/piecewise-linear.ts";

describe("piecewise-linear encoding", () => {
  it("builds exact uniform edges and rejects a step that does not divide the range", () => {
    expect(uniformEdges(-3.5, 3.5, 0.5)).to.have.length(15);
    expect(uniformEdges(-3.5, 3.5, 0.5)[7]).to.equal(0);
    expect(uniformEdges(-1, 1, 1)).to.deep.equal([-1, 0, 1]);
    expect(() => uniformEdges(0, 1, 0.3)).to.throw(/not a multiple/);
    expect(() => uniformEdges(1, 0, 0.5)).to.throw(/from < to/);
    expect(() => uniformEdges(0, 1, 0)).to.throw(/step must be positive/);
  });

  it("follows each encoded column with its thermometer bins and leaves the others as they are", () => {
    // Columns: flag (kept), z (encoded). Edges −1, 0, 1, 2: three bins.
    const rows: [number, number][] = [[1, -5], [0, -0.5], [1, 0.25], [0, 1.5], [1, 9]];
    const data = makeDataset(Float32Array.from(rows.flat()), Float32Array.from([0, 1, 0, 1, 1]), ["flag", "z"]);
    const out = piecewiseLinearEncode(data, { edges: [-1, 0, 1, 2], columns: ["z"] });
    expect(out.featureNames).to.deep.equal(["flag", "z", pleColumnName("z", 1), pleColumnName("z", 2), pleColumnName("z", 3)]);
    expect(out.featureNames[2]).to.equal("z#ple1");
    expect(out.rows).to.equal(5);
    const row = (r: number) => Array.from(out.features.subarray(r * 5, (r + 1) * 5));
    // Below the first edge every bin is 0 and above the last every bin is 1: the raw z carries the extrapolation.
    expect(row(0)).to.deep.equal([1, -5, 0, 0, 0]);
    expect(row(1)).to.deep.equal([0, -0.5, 0.5, 0, 0]);
    expect(row(2)).to.deep.equal([1, 0.25, 1, 0.25, 0]);
    expect(row(3)).to.deep.equal([0, 1.5, 1, 1, 0.5]);
    expect(row(4)).to.deep.equal([1, 9, 1, 1, 1]);
    expect(Array.from(out.labels)).to.deep.equal([0, 1, 0, 1, 1]);
    // The input is not modified, and the labels are a copy.
    expect(data.featureNames).to.deep.equal(["flag", "z"]);
    expect(out.labels).to.not.equal(data.labels);
  });

  it("scales bins of unequal width and keeps NaN visible", () => {
    const data = makeDataset(Float32Array.from([2, NaN]), new Float32Array(2), ["x"]);
    const out = piecewiseLinearEncode(data, { edges: [0, 1, 5], columns: ["x"] });
    expect(Array.from(out.features.subarray(0, 3))).to.deep.equal([2, 1, 0.25]);
    expect(Array.from(out.features.subarray(3, 6)).every(Number.isNaN)).to.equal(true);
  });

  it("rejects bad edges and unknown or repeated columns", () => {
    const data = makeDataset(Float32Array.from([0, 1]), new Float32Array(1), ["a", "b"]);
    expect(() => piecewiseLinearEncode(data, { edges: [0], columns: ["a"] })).to.throw(/at least 2 edges/);
    expect(() => piecewiseLinearEncode(data, { edges: [0, 0], columns: ["a"] })).to.throw(/strictly increasing/);
    expect(() => piecewiseLinearEncode(data, { edges: [0, Infinity], columns: ["a"] })).to.throw(/not finite/);
    expect(() => piecewiseLinearEncode(data, { edges: [0, 1], columns: ["c"] })).to.throw(/no column "c"/);
    expect(() => piecewiseLinearEncode(data, { edges: [0, 1], columns: ["a", "a"] })).to.throw(/listed twice/);
  });
});
