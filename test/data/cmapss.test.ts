import { expect } from "chai";
import { describe, it } from "node:test";
import { baselineDeviations, buildCmapss, CMAPSS_COLUMNS, DEFAULT_BASELINE_CYCLES, parseCmapssText, parseRulText } from "../../lib/data/cmapss.ts";
import { mulberry32 } from "../../lib/data/dataset.ts";
import { RUL_CAP } from "../../lib/data/windows.ts";

/**
 * Generates FD001-format text: `units` engines with the given lifetimes; sensor 1 is constant, sensor 6 toggles
 * between two values, sensor 2 drifts with wear, the rest is noise. Lines end with two spaces, as NASA's do.
 */
function fdText(lifetimes: number[], seed: number, truncateTo?: number[]): string {
  const random = mulberry32(seed);
  const lines: string[] = [];
  lifetimes.forEach((life, u) => {
    const last = truncateTo?.[u] ?? life;
    for (let cycle = 1; cycle <= last; cycle++) {
      const settings = [random() * 0.002, random() * 0.0004, 100];
      const sensors = Array.from({ length: 21 }, (_, s) => (s === 0 ? 518.67 : s === 5 ? (random() < 0.5 ? 21.6 : 21.61) : 500 + s + random()));
      sensors[1] = 640 + (5 * cycle) / life + random() * 0.1;
      lines.push([u + 1, cycle, ...settings, ...sensors].map((x) => (Number.isInteger(x) ? String(x) : x.toFixed(4))).join(" ") + "  ");
    }
  });
  return lines.join("\n") + "\n";
}

describe("C-MAPSS parsing", () => {
  it("parses units, cycles and the 24 value columns", () => {
    const units = parseCmapssText(fdText([30, 40], 1));
    expect(units.map((u) => u.unit)).to.deep.equal([1, 2]);
    expect(units[1]!.cycles.length).to.equal(40);
    expect(units[0]!.values.length).to.equal(30 * CMAPSS_COLUMNS.length);
    expect(units[0]!.values[3]).to.equal(518.67); // s_1 of the first row
  });

  it("reports malformed lines with their line number", () => {
    expect(() => parseCmapssText("1 1 0 0 100 1 2 3\n")).to.throw(/line 1: expected 26 numbers, found 8/);
    const bad = fdText([3], 1).split("\n");
    bad[1] = bad[1]!.replace(/^1 2 \S+/, "1 2 abc");
    expect(() => parseCmapssText(bad.join("\n"))).to.throw(/line 2: field 3 \("abc"\) is not a number/);
    expect(() => parseRulText("10\nx\n")).to.throw(/line 2/);
  });

  it("builds capped RUL labels, drops constant and two-valued sensors, and evaluates on each test engine's last cycle", () => {
    const lifetimes = [150, 180, 200, 160, 170, 190, 210, 140, 175, 185];
    const testLives = [150, 200, 170];
    const testCut = [100, 60, 150];
    const rul = testLives.map((l, i) => l - testCut[i]!); // 50, 140, 20
    const data = buildCmapss(fdText(lifetimes, 2), fdText(testLives, 3, testCut), rul.join("\n") + "\n", { devices: 3, seed: 1 });
    expect(data.kind).to.equal("regression");
    expect(data.taskName).to.equal("cmapss-rul");
    const sensors = new Set(data.featureNames.filter((n) => !n.includes("_ma") && !n.includes("_slope") && !n.endsWith("_dev") && n !== "cycle"));
    expect(sensors.has("s_1"), "constant sensor kept").to.equal(false);
    expect(sensors.has("s_6"), "two-valued sensor kept").to.equal(false);
    expect(sensors.has("setting_3")).to.equal(false);
    expect(sensors.has("s_2")).to.equal(true);
    expect(data.featureNames).to.include.members(["s_2_ma5", "s_2_ma20", "s_2_slope20", "cycle"]);
    // Train labels: every cycle, capped at 125; each engine ends at RUL 0.
    const labels = data.devices.flatMap((d) => Array.from(d.labels));
    expect(Math.max(...labels)).to.equal(RUL_CAP);
    expect(labels.filter((l) => l === 0)).to.have.length(lifetimes.length - Math.round(lifetimes.length * 0.2));
    expect(labels.filter((l) => l === RUL_CAP).length).to.be.greaterThan(0);
    // Test: one row per engine with the true RUL capped (140 → 125).
    expect(Array.from(data.test.labels)).to.deep.equal([50, RUL_CAP, 20]);
    // 2 engines held out for validation, whole engines per device.
    expect(data.validation.rows + data.devices.reduce((s, d) => s + d.rows, 0)).to.equal(lifetimes.reduce((s, x) => s + x, 0));
  });

  it("baseline deviation: each sensor's long moving average minus the mean of the engine's own first cycles", () => {
    // Two sensors over 6 cycles: a ramp 10, 12, …, 20 and a constant 5. Baseline of 2 cycles, long window 3.
    const readings = Float64Array.from([10, 5, 12, 5, 14, 5, 16, 5, 18, 5, 20, 5]);
    // t=0: mean(10) − mean(10) = 0; t=1: mean(10,12) − mean(10,12) = 0 (baseline still filling);
    // t=2: mean(10,12,14) − 11 = 1; t=5: mean(16,18,20) − 11 = 7. The constant sensor never deviates.
    expect(Array.from(baselineDeviations(readings, 2, [0, 1, 2, 5], 3, 2))).to.deep.equal([0, 0, 0, 0, 1, 0, 7, 0]);
    expect(Array.from(baselineDeviations(readings, 2, [5], 3, 10))).to.deep.equal([18 - 15, 0]); // baseline = all 6 cycles
    expect(() => baselineDeviations(readings, 2, [6], 3, 2)).to.throw(/outside 0..5/);
  });

  it("adds one <sensor>_dev feature per kept sensor by default, none with baselineCycles 0", () => {
    const lifetimes = [150, 180, 200, 160, 170];
    const args = [fdText(lifetimes, 4), fdText([150], 5, [100]), "50\n"] as const;
    const withDev = buildCmapss(...args, { devices: 2, seed: 1 });
    const without = buildCmapss(...args, { devices: 2, seed: 1, baselineCycles: 0 });
    const sensorCount = (without.featureNames.length - 1) / 4;
    expect(DEFAULT_BASELINE_CYCLES).to.equal(20);
    expect(without.featureNames.filter((n) => n.endsWith("_dev"))).to.deep.equal([]);
    expect(withDev.featureNames).to.deep.equal([...without.featureNames, ...without.featureNames.filter((n) => /^s_\d+$/.test(n)).map((n) => `${n}_dev`)]);
    expect(withDev.featureNames.length).to.equal(5 * sensorCount + 1);
    // Sensor 2 drifts up with wear, so its deviation falls as the remaining life grows (normalised, on validation).
    const column = withDev.featureNames.indexOf("s_2_dev");
    const width = withDev.featureNames.length;
    const x = Array.from({ length: withDev.validation.rows }, (_, r) => withDev.validation.features[r * width + column]!);
    const y = Array.from(withDev.validation.labels);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const covariance = mean(x.map((xi, i) => (xi - mean(x)) * (y[i]! - mean(y))));
    expect(covariance).to.be.lessThan(0);
    expect(() => buildCmapss(...args, { devices: 2, seed: 1, baselineCycles: -1 })).to.throw(/non-negative integer/);
  });

  it("rejects a RUL file that does not match the test engines, and too many devices", () => {
    expect(() => buildCmapss(fdText([50, 60, 70], 1), fdText([50], 2, [20]), "5\n6\n", { devices: 1, seed: 1 })).to.throw(/2 values for 1 test units/);
    expect(() => buildCmapss(fdText([50, 60, 70], 1), fdText([50], 2, [20]), "5\n", { devices: 5, seed: 1 })).to.throw(/cannot be split over 5 devices/);
  });
});
