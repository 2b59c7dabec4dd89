import { describe, expect, it } from "vitest";
import { keccak256 } from "viem";
import { checkModelDirectory, checkModelFile } from "@/components/tasks/model-files";
import { importanceBars, parseOracleReport, ReportFormatError, topBars } from "@/components/tasks/oracle-report";
import { describePolicy } from "@/components/tasks/policy-words";
import { policy } from "./fixtures/task-history";
import { failureF1Series, formatEpsilon, privacyPoints, privacySeries } from "@/components/tasks/task-series";
import { weightsHash, weightsToBytes } from "../../lib/model/weights.ts";

const fullReport = {
  featureNames: ["sensor_1", "sensor_2", "cycle"],
  permutationImportance: [2.8, -1.8, 1.6],
  gradientTimesInput: [4.3, 3.5, 4.0],
  metric: { name: "rmse", value: 27.2 },
  rows: 512,
  version: 1,
  roundId: "4",
  validationMetric: 29.26,
  failureF1: null,
  decisionThreshold: null,
  participants: ["0x0847559a6a93eA11306A110787C6531628ACBb27"],
  encryptedAggregation: false,
  privacy: { clipNorm: 5, noiseMultiplier: 0.3, expectedParticipants: 3, delta: 0.00001, encrypted: false, participants: 6, effectiveNoiseMultiplier: 0.173, epsilon: 120.02, order: 1.4, rounds: 4 },
};

describe("oracle reports", () => {
  it("reads a current report whole", () => {
    const parsed = parseOracleReport(fullReport);
    expect(parsed.missing).toEqual([]);
    expect(parsed.invalid).toEqual([]);
    expect(parsed.report.roundId).toBe(4n);
    expect(parsed.report.privacy?.epsilon).toBe(120.02);
  });

  it("names what an older report lacks instead of failing, and does not count a missing privacy block", () => {
    const { featureNames, permutationImportance, gradientTimesInput, metric } = fullReport;
    const parsed = parseOracleReport({ featureNames, permutationImportance, gradientTimesInput, metric });
    expect(parsed.missing).toEqual(["roundId", "validationMetric", "failureF1", "participants", "encryptedAggregation"]);
    expect(importanceBars(parsed.report, "permutationImportance")).toHaveLength(3);
  });

  it("drops malformed fields and importance vectors that do not match the features", () => {
    const parsed = parseOracleReport({ ...fullReport, validationMetric: "29", gradientTimesInput: [1, 2] });
    expect(parsed.report.validationMetric).toBeUndefined();
    expect(parsed.report.gradientTimesInput).toBeUndefined();
    expect(parsed.invalid.join("\n")).toMatch(/validationMetric/);
    expect(parsed.invalid.join("\n")).toMatch(/gradientTimesInput: 2 values for 3 features/);
  });

  it("refuses what is not a JSON object", () => {
    expect(() => parseOracleReport([1, 2])).toThrow(ReportFormatError);
  });

  it("keeps the strongest features by magnitude", () => {
    const bars = importanceBars(parseOracleReport(fullReport).report, "permutationImportance");
    expect(topBars(bars, 2).map((bar) => bar.label)).toEqual(["sensor_1", "sensor_2"]);
  });
});

describe("privacy budget and F1 series", () => {
  const report = (roundId: bigint, epsilon: number | "Infinity" | undefined, failureF1: number | null = null) => ({
    versionId: roundId + 1n,
    roundId,
    report: parseOracleReport({ ...fullReport, roundId: roundId.toString(), failureF1, privacy: epsilon === undefined ? undefined : { ...fullReport.privacy, epsilon, rounds: Number(roundId) } }).report,
  });

  it("orders ε by round, keeps an unbounded ε as Infinity and leaves it out of the chart", () => {
    const points = privacyPoints([report(3n, 90.5), report(1n, 40.1), report(2n, "Infinity"), report(4n, undefined)]);
    expect(points.map((point) => [point.roundId, point.epsilon])).toEqual([[1n, 40.1], [2n, Infinity], [3n, 90.5]]);
    expect(privacySeries(points)).toEqual([{ name: "ε", points: [{ x: 1, y: 40.1 }, { x: 3, y: 90.5 }] }]);
    expect(formatEpsilon(Infinity)).toMatch(/∞/);
    expect(formatEpsilon(120.0217)).toBe("120.0");
  });

  it("plots failure F1 only where reports carry one", () => {
    expect(failureF1Series([report(1n, 1, null)])).toEqual([]);
    expect(failureF1Series([report(2n, 1, 0.5), report(1n, 1, 0.25)])).toEqual([{ name: "failure F1", points: [{ x: 1, y: 0.25 }, { x: 2, y: 0.5 }] }]);
  });
});

describe("validation policy in words", () => {
  it("says the metric, direction, scaled threshold, quorum and privacy settings", () => {
    const words = Object.fromEntries(describePolicy(policy).map((clause) => [clause.term, clause.words]));
    expect(words.Metric).toBe("rmse, lower is better");
    expect(words.Threshold).toBe("a version's rmse must be at most 41.5846");
    expect(words.Improvement).toMatch(/no worse than the deployed version/);
    expect(words.Participants).toMatch(/at least 3 device updates/);
    expect(words.Quorum).toMatch(/^2 distinct oracles/);
    expect(words["Encrypted aggregation"]).toMatch(/^no/);
    expect(words["Differential privacy"]).toMatch(/L2 norm 5 .*σ = 0.3/);
    const plain = Object.fromEntries(describePolicy({ ...policy, higherIsBetter: true, minImprovement: 10_000n, dpClipNorm: 0, dpNoiseMultiplier: 0 }).map((clause) => [clause.term, clause.words]));
    expect(plain.Improvement).toMatch(/by at least 0.01 \(higher\)/);
    expect(plain["Differential privacy"]).toBe("no differential privacy");
  });
});

describe("model files against the chain's weights hash", () => {
  const weights = weightsToBytes(new Float32Array([0.5, -1.25, 3, 7.75]));
  const expected = weightsHash(new Float32Array([0.5, -1.25, 3, 7.75]));
  const modelJson = (shape: number[]) => new TextEncoder().encode(JSON.stringify({ modelTopology: { class_name: "Sequential" }, weightsManifest: [{ paths: ["weights.bin"], weights: [{ name: "dense/kernel", shape, dtype: "float32" }] }] }));

  it("accepts a directory whose weights.bin hashes to the chain's hash", () => {
    expect(checkModelDirectory(modelJson([2, 2]), weights, expected)).toEqual({ ok: true, hash: expected });
  });

  it("refuses weights that differ, or that model.json does not describe", () => {
    const tampered = weights.slice();
    tampered[0]! ^= 1;
    expect(checkModelDirectory(modelJson([2, 2]), tampered, expected)).toMatchObject({ ok: false, reason: expect.stringMatching(/but the chain records/) });
    expect(checkModelDirectory(modelJson([3, 2]), weights, expected)).toMatchObject({ ok: false, reason: expect.stringMatching(/model.json describes 24/) });
  });

  it("checks a genesis model file as float32 weights (keccak256 of its bytes)", () => {
    expect(checkModelFile(weights, keccak256(weights))).toMatchObject({ ok: true });
    expect(checkModelFile(weights.slice(0, 7), expected)).toMatchObject({ ok: false, reason: expect.stringMatching(/not whole float32/) });
  });
});
