import { expect } from "chai";
import { describe, it } from "node:test";
import { coordinateMedian, fedAvg, generalisedWeighting, multiKrum, normClipping, strategyFor, trimmedMean, type ClientUpdate } from "../../oracle/aggregation/strategy.ts";

const update = (weights: number[], sampleCount = 1, extra: Partial<ClientUpdate> = {}): ClientUpdate => ({ weights: Float32Array.from(weights), sampleCount, ...extra });
const values = (weights: Float32Array) => Array.from(weights);

describe("aggregation strategies, against hand-computed values", () => {
  it("FedAvg weights each update by n_k / n", () => {
    // (1·[1, 2] + 3·[5, 10]) / 4 = [4, 8]
    expect(values(fedAvg([update([1, 2], 1), update([5, 10], 3)]).weights)).to.deep.equal([4, 8]);
  });

  it("generalised weighting mixes sample share, quality and reputation", () => {
    // a=1,b=1,c=0: raw = [0.25 + 0.5, 0.75 + 0] = [0.75, 0.75] → equal weights → [3, 6]
    const result = generalisedWeighting(1, 1, 0)([update([1, 2], 1, { quality: 0.5 }), update([5, 10], 3, { quality: 0 })]);
    expect(values(result.weights)).to.deep.equal([3, 6]);
  });

  it("median takes the middle value, and the mean of the two middles for an even count", () => {
    expect(values(coordinateMedian([update([1, 9]), update([7, 3]), update([4, 5])]).weights)).to.deep.equal([4, 5]);
    expect(values(coordinateMedian([update([1, 10]), update([2, 20]), update([4, 40]), update([100, -5])]).weights)).to.deep.equal([3, 15]);
  });

  it("trimmed mean drops floor(β·n) from each end", () => {
    // n = 5, β = 0.2: drop 1 each end of [-100, 1, 2, 3, 100] → mean(1, 2, 3) = 2
    const updates = [-100, 1, 2, 3, 100].map((v) => update([v]));
    expect(values(trimmedMean(0.2)(updates).weights)).to.deep.equal([2]);
    // β = 0.1 drops nothing from 5: plain mean = 1.2
    expect(trimmedMean(0.1)(updates).weights[0]).to.be.closeTo(1.2, 1e-6);
    expect(() => trimmedMean(0.6)(updates)).to.throw(/cannot drop/);
  });

  it("Krum selects the update closest to its n − f − 2 neighbours; Multi-Krum averages the best m", () => {
    // Four honest points near 0 and one outlier; f = 1 → 2 neighbours each.
    const updates = [update([0]), update([1]), update([2]), update([3]), update([100])];
    // Scores: 0 → 1+4 = 5, 1 → 1+1 = 2, 2 → 1+1 = 2, 3 → 1+4 = 5, 100 → 97²+98² ; tie 1 vs 2 goes to the earlier.
    const krum = multiKrum(1, 1)(updates);
    expect(krum.selected).to.deep.equal([1]);
    expect(values(krum.weights)).to.deep.equal([1]);
    const multi = multiKrum(1, 3)(updates);
    expect(multi.selected).to.deep.equal([0, 1, 2]);
    expect(values(multi.weights)).to.deep.equal([1]);
    expect(() => multiKrum(2, 1)(updates.slice(0, 4))).to.throw(/n > f \+ 2/);
  });

  it("norm clipping scales large updates to the bound before averaging", () => {
    // [30, 40] has norm 50 → clipped to norm 5 = [3, 4]; [1, 0] is kept. Mean = [2, 2].
    expect(values(normClipping(5, fedAvg)([update([30, 40]), update([1, 0])]).weights)).to.deep.equal([2, 2]);
  });

  it("is deterministic to the bit and refuses mismatched shapes", () => {
    const random = (seed: number) => Float32Array.from({ length: 1000 }, (_, i) => Math.sin(seed * 7919 + i) * 0.01);
    const updates = Array.from({ length: 20 }, (_, k) => ({ weights: random(k), sampleCount: 10 + k }));
    for (const name of ["fedavg", "median"] as const) {
      const first = strategyFor({ name }).call(null, updates).weights;
      const second = strategyFor({ name }).call(null, updates.map((u) => ({ ...u, weights: u.weights.slice() }))).weights;
      expect(Buffer.from(first.buffer).equals(Buffer.from(second.buffer)), name).to.equal(true);
    }
    expect(() => fedAvg([update([1, 2]), update([1])])).to.throw(/expected 2/);
    expect(() => fedAvg([])).to.throw(/no updates/);
  });
});
