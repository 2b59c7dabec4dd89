import { expect } from "chai";
import { describe, it } from "node:test";
import {
  ACCOUNTANT_NAME,
  DEFAULT_ORDERS,
  RdpAccountant,
  effectiveNoiseMultiplier,
  epsilonFor,
  gaussianRdp,
  noiseMultiplierFor,
  publishedUpdateNoiseMultiplier,
} from "../../lib/privacy/accountant.ts";
import {
  clipDelta,
  cryptoGaussian,
  l2Norm,
  maxPlausibleNoisedNorm,
  perDeviceNoiseStd,
  privatiseUpdate,
  seededGaussian,
  uniformMeanUpdate,
  validateDpConfig,
  type DpConfig,
  type GaussianSource,
} from "../../lib/privacy/dp.ts";

const config: DpConfig = { clipNorm: 1, noiseMultiplier: 1, expectedParticipants: 4, delta: 1e-5 };

function randomVector(length: number, source: GaussianSource, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => source.next() * scale);
}

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

/** (published − base) as the oracle's norm check computes it: float64 differences of the float32 weights. */
function publishedDeltaNorm(weights: Float32Array, base: Float32Array): number {
  let squared = 0;
  for (let i = 0; i < weights.length; i++) squared += (weights[i]! - base[i]!) ** 2;
  return Math.sqrt(squared);
}

describe("DP config", () => {
  it("accepts a valid config and rejects each invalid field by name", () => {
    expect(validateDpConfig(config)).to.equal(config);
    expect(validateDpConfig({ ...config, noiseMultiplier: 0 }).noiseMultiplier).to.equal(0);
    const cases: [Partial<DpConfig>, RegExp][] = [
      [{ clipNorm: 0 }, /clipNorm must be a finite number > 0, got 0/],
      [{ clipNorm: Infinity }, /clipNorm/],
      [{ noiseMultiplier: -0.5 }, /noiseMultiplier must be a finite number ≥ 0, got -0.5/],
      [{ noiseMultiplier: Number.NaN }, /noiseMultiplier/],
      [{ expectedParticipants: 0 }, /expectedParticipants must be an integer ≥ 1, got 0/],
      [{ expectedParticipants: 2.5 }, /expectedParticipants/],
      [{ delta: 0 }, /delta must be a number strictly between 0 and 1, got 0/],
      [{ delta: 1 }, /delta/],
    ];
    for (const [change, reason] of cases) expect(() => validateDpConfig({ ...config, ...change }), JSON.stringify(change)).to.throw(reason);
  });
});

describe("clipping", () => {
  it("scales a delta of norm 10 to norm 1 in the same direction", () => {
    const source = seededGaussian(1);
    const direction = randomVector(1000, source);
    const norm = l2Norm(direction);
    const delta = direction.map((x) => (x / norm) * 10);
    const { clipped, norm: before, scale } = clipDelta(delta, 1);
    expect(before).to.be.closeTo(10, 1e-5);
    expect(l2Norm(clipped)).to.be.closeTo(1, 1e-6);
    expect(l2Norm(clipped)).to.be.at.most(1);
    expect(scale).to.be.closeTo(0.1, 1e-6);
    // Same direction: cosine similarity 1.
    let dot = 0;
    for (let i = 0; i < delta.length; i++) dot += delta[i]! * clipped[i]!;
    expect(dot / (l2Norm(delta) * l2Norm(clipped))).to.be.closeTo(1, 1e-9);
  });

  it("leaves a delta within the clip norm unchanged (as a copy)", () => {
    const delta = Float32Array.of(0.3, -0.4, 0);
    const { clipped, norm, scale } = clipDelta(delta, 1);
    expect([...clipped]).to.deep.equal([...delta]);
    expect(clipped).to.not.equal(delta);
    expect(norm).to.be.closeTo(0.5, 1e-7);
    expect(scale).to.equal(1);
  });

  it("never leaves a float32 norm above C, whatever the rounding", () => {
    const source = seededGaussian(2);
    for (let trial = 0; trial < 200; trial++) {
      const clipNorm = 0.1 + trial / 50;
      const { clipped } = clipDelta(randomVector(257, source, 3), clipNorm);
      expect(l2Norm(clipped)).to.be.at.most(clipNorm).and.closeTo(clipNorm, 1e-6 * clipNorm);
    }
  });

  it("rejects non-finite deltas and bad clip norms", () => {
    expect(() => clipDelta(Float32Array.of(1, Number.NaN), 1)).to.throw(/norm is NaN/);
    expect(() => clipDelta(Float32Array.of(1), 0)).to.throw(/clip norm must be/);
  });
});

describe("Gaussian sources", () => {
  it("seededGaussian is reproducible and depends on the seed", () => {
    const draw = (seed: number) => Array.from({ length: 1001 }, ((source) => () => source.next())(seededGaussian(seed)));
    expect(draw(42)).to.deep.equal(draw(42));
    expect(draw(42)).to.not.deep.equal(draw(43));
    expect(draw(2 ** 40)).to.not.deep.equal(draw(0));
    expect(() => seededGaussian(0.5)).to.throw(/seed must be a safe integer/);
  });

  for (const [name, make] of [["cryptoGaussian", () => cryptoGaussian()], ["seededGaussian", () => seededGaussian(7)]] as const) {
    it(`${name} draws standard normals (mean ≈ 0, std ≈ 1, 68.3% within one std)`, () => {
      const source = make();
      const draws = Float64Array.from({ length: 200_000 }, () => source.next());
      const { mean, std } = moments(draws);
      expect(mean).to.be.closeTo(0, 0.015);
      expect(std).to.be.closeTo(1, 0.01);
      expect(draws.filter((z) => Math.abs(z) < 1).length / draws.length).to.be.closeTo(0.6827, 0.006);
    });
  }

  it("cryptoGaussian streams differ (the noise is not predictable from another device's)", () => {
    const a = cryptoGaussian();
    const b = cryptoGaussian();
    const first = Array.from({ length: 16 }, () => a.next());
    expect(Array.from({ length: 16 }, () => b.next())).to.not.deep.equal(first);
  });
});

describe("privatiseUpdate", () => {
  it("with σ = 0 publishes base + clipped delta exactly (float32)", () => {
    const source = seededGaussian(3);
    const base = randomVector(500, source);
    for (const deltaScale of [0.01, 1]) {
      const trained = base.map((w) => w + source.next() * deltaScale);
      const noNoise = { ...config, noiseMultiplier: 0 };
      const delta = trained.map((w, i) => w - base[i]!);
      const { clipped } = clipDelta(delta, noNoise.clipNorm);
      const result = privatiseUpdate(base, trained, noNoise, { next: () => { throw new Error("σ = 0 must draw no noise"); } });
      expect([...result.weights]).to.deep.equal([...base.map((w, i) => w + clipped[i]!)]);
      expect(result.clipped).to.equal(l2Norm(delta) > 1);
      expect(result.deltaNorm).to.equal(l2Norm(delta));
    }
  });

  it("with σ > 0 adds noise of std σC/√K per coordinate (200k coordinates, within 2%)", () => {
    const length = 200_000;
    const base = randomVector(length, seededGaussian(4));
    const trained = base.map((w, i) => w + (i % 2 === 0 ? 1e-3 : -1e-3));
    const dp: DpConfig = { clipNorm: 0.5, noiseMultiplier: 1.3, expectedParticipants: 5, delta: 1e-5 };
    const { weights, clipped } = privatiseUpdate(base, trained, dp, seededGaussian(5));
    expect(clipped).to.equal(false);
    const noise = Float64Array.from(weights, (w, i) => w - trained[i]!);
    const { mean, std } = moments(noise);
    const expected = (1.3 * 0.5) / Math.sqrt(5);
    expect(perDeviceNoiseStd(dp)).to.equal(expected);
    expect(std / expected).to.be.closeTo(1, 0.02);
    expect(Math.abs(mean)).to.be.below(0.02 * expected);
  });

  it("rejects mismatched lengths and invalid configs", () => {
    expect(() => privatiseUpdate(new Float32Array(3), new Float32Array(4), config, seededGaussian(0))).to.throw(/4 parameters, the base has 3/);
    expect(() => privatiseUpdate(new Float32Array(3), new Float32Array(3), { ...config, delta: 2 }, seededGaussian(0))).to.throw(/delta must be/);
  });
});

describe("uniformMeanUpdate", () => {
  it("is base + the unweighted mean of the deltas", () => {
    const base = Float32Array.of(1, 2, 3, -1);
    const updates = [Float32Array.of(2, 2, 5, -1), Float32Array.of(0, 4, 3, 0.5), Float32Array.of(1, 3, 1, -1)];
    // deltas (1,0,2,0), (−1,2,0,1.5), (0,1,−2,0): mean (0,1,0,0.5)
    expect([...uniformMeanUpdate(base, updates)]).to.deep.equal([1, 3, 3, -0.5]);
  });

  it("accumulates in float64 and rounds once", () => {
    // In float32, 1e8 + 1 − 1e8 = 0; in float64 it is 1, so the mean is float32(1/3).
    const result = uniformMeanUpdate(Float32Array.of(0), [Float32Array.of(1e8), Float32Array.of(1), Float32Array.of(-1e8)]);
    expect(result[0]).to.equal(Math.fround(1 / 3));
  });

  it("is bit-identical across calls for a fixed order", () => {
    const source = seededGaussian(6);
    const base = randomVector(4099, source);
    const updates = Array.from({ length: 7 }, () => base.map((w) => w + source.next() * 0.1));
    const first = uniformMeanUpdate(base, updates);
    const again = uniformMeanUpdate(Float32Array.from(base), updates.map((u) => Float32Array.from(u)));
    expect(Buffer.from(again.buffer).equals(Buffer.from(first.buffer))).to.equal(true);
  });

  it("rejects an empty round and mismatched lengths", () => {
    expect(() => uniformMeanUpdate(new Float32Array(2), [])).to.throw(/no updates/);
    expect(() => uniformMeanUpdate(new Float32Array(2), [new Float32Array(3)])).to.throw(/update 0 has 3 parameters/);
  });
});

describe("the oracle's plausibility bound on published deltas", () => {
  it("1,000 honest noised updates never exceed it", () => {
    const dimension = 2000;
    const source = seededGaussian(8);
    const base = randomVector(dimension, source);
    const bound = maxPlausibleNoisedNorm(config, dimension, l2Norm(base));
    let largest = 0;
    for (let k = 0; k < 1000; k++) {
      // Half the devices trained far (clipped to exactly C), half stayed close.
      const trained = base.map((w) => w + source.next() * (k % 2 === 0 ? 1 : 1e-4));
      largest = Math.max(largest, publishedDeltaNorm(privatiseUpdate(base, trained, config, source).weights, base));
    }
    expect(largest).to.be.below(bound);
  });

  it("with σ = 0, clipped updates pass despite float32 rounding", () => {
    const dimension = 3001;
    const source = seededGaussian(9);
    const base = randomVector(dimension, source, 5);
    const noNoise = { ...config, noiseMultiplier: 0 };
    const bound = maxPlausibleNoisedNorm(noNoise, dimension, l2Norm(base));
    expect(bound).to.be.closeTo(1, 1e-4);
    for (let k = 0; k < 100; k++) {
      const trained = base.map((w) => w + source.next());
      expect(publishedDeltaNorm(privatiseUpdate(base, trained, noNoise, source).weights, base)).to.be.at.most(bound);
    }
  });

  it("catches a 3×C delta, noised or not, when the noise does not dominate", () => {
    const dimension = 100;
    const dp: DpConfig = { clipNorm: 1, noiseMultiplier: 1, expectedParticipants: 100, delta: 1e-5 };
    const source = seededGaussian(10);
    const base = randomVector(dimension, source);
    const bound = maxPlausibleNoisedNorm(dp, dimension, l2Norm(base));
    const direction = randomVector(dimension, source);
    const norm = l2Norm(direction);
    const unclipped = base.map((w, i) => w + (3 * direction[i]!) / norm);
    expect(publishedDeltaNorm(unclipped, base)).to.be.above(bound);
    const noised = unclipped.map((w) => w + perDeviceNoiseStd(dp) * source.next());
    expect(publishedDeltaNorm(noised, base)).to.be.above(bound);
  });

  it("is never looser than C + (σC/√K)(√d + 6)", () => {
    for (const dimension of [2, 10, 1000, 1e6]) {
      for (const dp of [config, { ...config, noiseMultiplier: 0.1, expectedParticipants: 50 }, { ...config, clipNorm: 10, noiseMultiplier: 3 }]) {
        const triangle = dp.clipNorm + perDeviceNoiseStd(dp) * (Math.sqrt(dimension) + 6);
        expect(maxPlausibleNoisedNorm(dp, dimension), `d=${dimension}`).to.be.at.most(triangle * (1 + 1e-6));
      }
    }
  });
});

describe("RDP accountant", () => {
  it("gaussianRdp is α/(2σ²), ∞ without noise", () => {
    expect(gaussianRdp(2, 8)).to.equal(1);
    expect(gaussianRdp(0.5, 1.5)).to.equal(3);
    expect(gaussianRdp(0, 2)).to.equal(Infinity);
    expect(() => gaussianRdp(1, 1)).to.throw(/order must be a finite number > 1/);
    expect(() => gaussianRdp(-1, 2)).to.throw(/noise multiplier must be a number ≥ 0/);
  });

  it("composes T rounds to T·α/(2σ²) at every order", () => {
    const accountant = new RdpAccountant();
    for (let t = 0; t < 37; t++) accountant.addGaussianRound(1.7);
    const { rdp, orders, rounds } = accountant.toJSON();
    expect(rounds).to.equal(37);
    expect(orders).to.deep.equal([...DEFAULT_ORDERS]);
    rdp.forEach((value, i) => expect(value).to.be.closeTo((37 * orders[i]!) / (2 * 1.7 ** 2), 1e-9 * value));
  });

  it("matches reference ε values computed independently with numpy", () => {
    // Reproduce with:
    // /usr/bin/python3 -c "import numpy as np; a=np.array([1+x/10 for x in range(1,100)]+list(range(11,64))+[128,256,512,1024],dtype=float); [print(s,T,d,repr(max(0.0,e.min())),a[e.argmin()]) for s,T,d in [(1.0,100,1e-5),(10.0,100,1e-5),(30.0,50,1e-6)] for e in [T*a/(2*s*s)+np.log((a-1)/a)-(np.log(d)+np.log(a))/(a-1)]]"
    const references: [sigma: number, rounds: number, delta: number, epsilon: number, order: number][] = [
      [1.0, 100, 1e-5, 96.11630842505602, 1.5],
      [10.0, 100, 1e-5, 4.728507067217623, 5.4],
      [30.0, 50, 1e-6, 1.073092575175944, 21],
    ];
    for (const [sigma, rounds, delta, epsilon, order] of references) {
      const accountant = new RdpAccountant();
      for (let t = 0; t < rounds; t++) accountant.addGaussianRound(sigma);
      const spent = accountant.spent(delta);
      expect(spent.epsilon, `σ=${sigma}, T=${rounds}`).to.be.closeTo(epsilon, 1e-9);
      expect(spent.order).to.equal(order);
      expect(spent).to.include({ delta, rounds, accountant: ACCOUNTANT_NAME });
      expect(epsilonFor(sigma, delta, rounds)).to.be.closeTo(epsilon, 1e-9);
    }
  });

  it("ε falls as σ grows and rises with rounds", () => {
    let previous = Infinity;
    for (const sigma of [0.5, 1, 2, 4, 8, 16, 32]) {
      const epsilon = epsilonFor(sigma, 1e-5, 50);
      expect(epsilon).to.be.below(previous);
      previous = epsilon;
    }
    previous = 0;
    for (const rounds of [1, 2, 5, 10, 100, 1000]) {
      const epsilon = epsilonFor(5, 1e-5, rounds);
      expect(epsilon).to.be.above(previous);
      previous = epsilon;
    }
  });

  it("reports ε = ∞ (not NaN) once a round had no noise, and 0 before any round", () => {
    const accountant = new RdpAccountant();
    expect(accountant.spent(1e-5)).to.deep.include({ epsilon: 0, rounds: 0 });
    accountant.addGaussianRound(5);
    accountant.addGaussianRound(0);
    accountant.addGaussianRound(5);
    const spent = accountant.spent(1e-5);
    expect(spent.epsilon).to.equal(Infinity);
    expect(spent.order).to.be.NaN;
    expect(epsilonFor(0, 1e-5, 3)).to.equal(Infinity);
    // With a generous δ and huge σ the conversion goes negative at high orders; ε is clamped at 0.
    expect(epsilonFor(1e9, 0.5, 1)).to.equal(0);
  });

  it("composes rounds of different σ_eff additively", () => {
    const mixed = new RdpAccountant([2, 8]);
    mixed.addGaussianRound(1);
    mixed.addGaussianRound(2);
    expect(mixed.toJSON().rdp).to.deep.equal([2 / 2 + 2 / 8, 8 / 2 + 8 / 8]);
  });

  it("noiseMultiplierFor inverts the accountant", () => {
    for (const [epsilon, delta, rounds] of [[1, 1e-5, 50], [3, 1e-5, 50], [8, 1e-5, 50], [0.5, 1e-6, 10], [100, 1e-5, 1]] as const) {
      const sigma = noiseMultiplierFor(epsilon, delta, rounds);
      const accountant = new RdpAccountant();
      for (let t = 0; t < rounds; t++) accountant.addGaussianRound(sigma);
      expect(accountant.spent(delta).epsilon, `ε=${epsilon}`).to.be.closeTo(epsilon, 1e-6);
      expect(epsilonFor(sigma, delta, rounds), "the bisection lands on the private side").to.be.at.most(epsilon);
    }
    const sigma = 7.25;
    expect(noiseMultiplierFor(epsilonFor(sigma, 1e-5, 20), 1e-5, 20)).to.be.closeTo(sigma, 1e-6);
    expect(() => noiseMultiplierFor(1e-4, 1e-5, 10)).to.throw(/unreachable/);
    expect(() => noiseMultiplierFor(0, 1e-5, 10)).to.throw(/target epsilon must be/);
    expect(() => noiseMultiplierFor(1, 1e-5, 0)).to.throw(/rounds must be an integer ≥ 1/);
  });

  it("uses the participants actually aggregated, and σ/√K for updates published in the clear", () => {
    expect(effectiveNoiseMultiplier(2, 10, 10)).to.equal(2);
    expect(effectiveNoiseMultiplier(2, 10, 5)).to.be.closeTo(2 * Math.sqrt(0.5), 1e-15);
    expect(effectiveNoiseMultiplier(2, 4, 9)).to.equal(3);
    expect(publishedUpdateNoiseMultiplier(2, 16)).to.equal(0.5);
    expect(() => effectiveNoiseMultiplier(2, 10, 0)).to.throw(/actual participants must be an integer ≥ 1/);
    expect(() => effectiveNoiseMultiplier(2, 0, 1)).to.throw(/expected participants/);
  });

  it("round-trips through JSON, Infinity included", () => {
    const accountant = new RdpAccountant();
    for (const sigma of [3, 4.5, 6]) accountant.addGaussianRound(sigma);
    const restored = RdpAccountant.fromJSON(JSON.parse(JSON.stringify(accountant)));
    expect(restored.rounds).to.equal(3);
    expect(restored.spent(1e-5)).to.deep.equal(accountant.spent(1e-5));
    expect(restored.toJSON()).to.deep.equal(accountant.toJSON());
    accountant.addGaussianRound(0);
    const infinite = RdpAccountant.fromJSON(JSON.parse(JSON.stringify(accountant)));
    expect(infinite.spent(1e-5).epsilon).to.equal(Infinity);
    expect(() => RdpAccountant.fromJSON({ rdp: [1], orders: [2, 3], rounds: 1 })).to.throw(/2 orders but 1 RDP values/);
    expect(() => RdpAccountant.fromJSON({ rdp: [-1], orders: [2], rounds: 1 })).to.throw(/must be a number ≥ 0 or null/);
    expect(() => new RdpAccountant([1])).to.throw(/order must be a finite number > 1/);
  });
});
