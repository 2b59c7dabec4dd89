import { expect } from "chai";
import { describe, it } from "node:test";
import { isolatedDrift, maintenanceDue, maintenanceTransition } from "../../twin/decisions.ts";
import { boundsViolations, defaultResidualConfig, newResidualState, newResidualStep, residualStep, validateResidualConfig, type ResidualConfig } from "../../twin/detectors.ts";

/** Feeds single-sensor readings and returns each step's outcome (copied, since the step is reused). */
function feed(config: ResidualConfig, readings: number[]) {
  const state = newResidualState(1);
  const step = newResidualStep(1);
  const outcomes = readings.map((x) => {
    residualStep(state, config, Float64Array.of(x), step);
    return { expected: step.expected[0]!, z: step.z[0]!, drift: step.drift[0]!, residual: step.residualAnomaly[0]!, raised: step.driftRaised[0]! };
  });
  return { state, outcomes };
}

describe("twin detectors (pure)", () => {
  it("finds readings outside their operating bounds, row by row, ignoring missing ones", () => {
    const values = Float64Array.of(641, 100, 646, 50, Number.NaN, 200, 645, 60);
    const violations = boundsViolations(values, 2, Float64Array.of(640, 60), Float64Array.of(645, 150));
    // Bounds are inclusive: 645 and 60 are inside.
    expect(violations).to.deep.equal([{ row: 1, sensor: 0 }, { row: 1, sensor: 1 }, { row: 2, sensor: 1 }]);
    expect(() => boundsViolations(values, 3, Float64Array.of(0, 0, 0), Float64Array.of(1, 1, 1))).to.throw(/multiple of 3/);
  });

  it("learns mean and variance during warm-up, then scores z-residuals and a CUSUM against the EWMA expectation", () => {
    const config: ResidualConfig = { alpha: 0.5, warmup: 2, zThreshold: 4, cusumSlack: 0.5, driftThreshold: 2, driftClearRatio: 0.5, minStd: 1e-6 };
    const spikeValue = 12.5 - 10 * Math.sqrt(1.375);
    const { state, outcomes } = feed(config, [10, 12, 14, 12.5, spikeValue]);
    // Warm-up (10, 12): Welford gives mean 11 and population variance 1; nothing is scored.
    expect(Number.isNaN(outcomes[0]!.z) && Number.isNaN(outcomes[1]!.z)).to.equal(true);
    // 14: z = (14 − 11)/1 = 3; S⁺ = 3 − 0.5 = 2.5 ≥ 2 raises the drift alarm. Then μ = 11 + 0.5·3 = 12.5, v = 0.5·(1 + 0.5·9) = 2.75.
    expect(outcomes[2]).to.deep.equal({ expected: 11, z: 3, drift: 2.5, residual: 0, raised: 1 });
    // 12.5: z = 0; S⁺ = 2.5 − 0.5 = 2; still above the clear level (1), so no second alarm. v = 0.5·2.75 = 1.375.
    expect(outcomes[3]).to.deep.equal({ expected: 12.5, z: 0, drift: 2, residual: 0, raised: 0 });
    // z = −10: a residual anomaly; the CUSUM takes the clipped −4: S⁺ = max(0, 2 − 4 − 0.5) = 0, S⁻ = 4 − 0.5 = 3.5.
    expect(outcomes[4]!.z).to.be.closeTo(-10, 1e-12);
    expect(outcomes[4]!.residual).to.equal(1);
    expect(outcomes[4]!.drift).to.be.closeTo(3.5, 1e-12);
    expect(state.cusumHigh[0]).to.equal(0);
    // The expectation moves by at most α·4σ: μ = 12.5 − 0.5·4·√1.375; the variance takes the full deviation: 0.5·(1.375 + 0.5·100·1.375).
    expect(state.mean[0]).to.be.closeTo(12.5 - 2 * Math.sqrt(1.375), 1e-12);
    expect(state.variance[0]).to.be.closeTo(0.5 * 1.375 * 51, 1e-9);
  });

  it("skips missing readings without touching the sensor's state", () => {
    const { state, outcomes } = feed({ ...defaultResidualConfig, warmup: 2 }, [10, Number.NaN, 12]);
    expect(state.count[0]).to.equal(2);
    expect(state.mean[0]).to.equal(11);
    expect(Number.isNaN(outcomes[1]!.z)).to.equal(true);
  });

  it("raises no drift alarm for one spike, and exactly one for a sustained shift", () => {
    const config = defaultResidualConfig;
    // Readings alternate 10/11 (σ 0.5), so every residual is about ±1σ and the CUSUM stays near zero.
    const normal = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => 10 + (i % 2) + offset);
    const spike = feed(config, [...normal(40), 100, ...normal(100)]);
    expect(spike.outcomes.filter((o) => o.residual).length).to.equal(1);
    expect(spike.outcomes.filter((o) => o.raised).length).to.equal(0);
    const shift = feed(config, [...normal(40), ...normal(60, 3)]);
    const raised = shift.outcomes.flatMap((o, i) => (o.raised ? [i] : []));
    expect(raised).to.have.length(1);
    // A 6σ shift accumulates (4 − 0.5) per clipped reading: the alarm comes within a few readings of the shift.
    expect(raised[0]).to.be.within(40, 45);
  });

  it("refuses configurations that would produce meaningless scores", () => {
    expect(() => validateResidualConfig({ ...defaultResidualConfig, alpha: 0 })).to.throw(/alpha/);
    expect(() => validateResidualConfig({ ...defaultResidualConfig, warmup: 1 })).to.throw(/warmup/);
    expect(() => validateResidualConfig({ ...defaultResidualConfig, driftThreshold: -1 })).to.throw(/driftThreshold/);
    expect(validateResidualConfig(defaultResidualConfig)).to.equal(defaultResidualConfig);
  });
});

describe("twin decision rules (pure)", () => {
  it("recommends maintenance strictly under the horizon, once until re-armed", () => {
    expect(maintenanceDue(29.9, 30)).to.equal(true);
    expect(maintenanceDue(30, 30)).to.equal(false);
    expect(maintenanceDue(Number.NaN, 30)).to.equal(false);
    expect(maintenanceTransition(true, 29.9, 30)).to.deep.equal({ recommend: true, armed: false });
    expect(maintenanceTransition(false, 10, 30)).to.deep.equal({ recommend: false, armed: false });
    expect(maintenanceTransition(true, 31, 30)).to.deep.equal({ recommend: false, armed: true });
  });

  it("calls a drift isolated only when every other sensor stays under threshold × isolation", () => {
    expect(isolatedDrift(Float64Array.of(9, 1, 3.9, Number.NaN), 0, 8, 0.5)).to.equal(true);
    expect(isolatedDrift(Float64Array.of(9, 4, 0), 0, 8, 0.5)).to.equal(false);
    expect(isolatedDrift(Float64Array.of(9, 1, 0), 1, 8, 0.5)).to.equal(false);
    expect(isolatedDrift(Float64Array.of(8), 0, 8, 0.5)).to.equal(true);
  });
});
