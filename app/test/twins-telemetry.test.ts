import { afterEach, describe, expect, it, vi } from "vitest";
import type { Address } from "viem";
import type { TwinState } from "../../twin/asset-twin.ts";
import type { Anomaly, Prediction } from "../../twin/records.ts";
import { boundsNearData, gapQuery, mergeReadings, readingOfEvent, reconnectDelay, seedStart, sensorCharts, type TelemetryReading } from "@/components/twins/telemetry";
import { parseTwinEvent, readTwin, twinStateSchema, TwinUnavailableError, assetListSchema } from "@/components/twins/twin-api";
import { describeAnomaly, newestFirst, rulSeries } from "@/components/twins/twin-format";

const device = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7" as Address;
const other = "0x0847000000000000000000000000000000000001" as Address;
const reading = (timestamp: number, values: Record<string, number | null>, from: Address = device, windowId = 1): TelemetryReading => ({ timestamp, windowId, device: from, values });

describe("mergeReadings", () => {
  it("keeps readings in time order, once each, the later copy winning", () => {
    const current = [reading(100, { a: 1 }), reading(150, { a: 2 })];
    const merged = mergeReadings(current, [reading(150, { a: 3 }), reading(120, { a: 9 }), reading(150, { a: 5 }, other)]);
    expect(merged.map((r) => [r.timestamp, r.values.a])).toEqual([[100, 1], [120, 9], [150, 3], [150, 5]]);
  });

  it("keeps only the newest `capacity` readings", () => {
    const many = Array.from({ length: 50 }, (_, i) => reading(i, { a: i }));
    const merged = mergeReadings([], many, 10);
    expect(merged).toHaveLength(10);
    expect(merged[0]!.timestamp).toBe(40);
    expect(merged[9]!.timestamp).toBe(49);
  });
});

describe("history queries", () => {
  it("seeds from 30 s before the twin's latest reading", () => {
    const latest = { s1: { value: 1, unit: "K", timestamp: 100_000, device, windowId: 3 }, s2: { value: 1, unit: "K", timestamp: 90_000, device, windowId: 2 } };
    expect(seedStart(latest)).toBe(70_000);
    expect(seedStart({})).toBe(0);
  });

  it("fills the gap after the newest history row, never more than 30 s back", () => {
    expect(gapQuery(10_000, 12_000)).toEqual({ from: 10_001, to: 12_000 });
    expect(gapQuery(null, 100_000)).toEqual({ from: 70_000, to: 100_000 });
    expect(gapQuery(1_000, 100_000)).toEqual({ from: 70_000, to: 100_000 });
    expect(gapQuery(12_000, 12_000)).toBeNull();
  });

  it("turns a readings event into the reading of its window's last row", () => {
    const event = { type: "readings" as const, assetId: 1, device, windowId: 7, rows: 40, timestamp: 5_000, values: { s1: 2 } };
    expect(readingOfEvent(event)).toEqual({ timestamp: 5_000, windowId: 7, device, values: { s1: 2 } });
  });
});

describe("sensorCharts", () => {
  const devices: TwinState["devices"] = [{ address: device, deviceType: "turbofan-ecu", metadataCid: "Qm", sensors: [{ name: "cycle", unit: "1", min: 0, max: 10_000 }, { name: "s1", unit: "K", min: 470, max: 480 }] }];

  it("charts each sensor against seconds before the newest reading, with its bounds and the readings outside them", () => {
    const readings = [reading(1_000, { cycle: 1, s1: 471 }), reading(1_050, { cycle: 2, s1: 466 }), reading(2_000, { cycle: 3, s1: null })];
    const [cycle, s1] = sensorCharts(readings, devices);
    expect(s1!.title).toBe("s1 (K)");
    expect(s1!.series[0]!.points).toEqual([{ x: -1, y: 471 }, { x: -0.95, y: 466 }]);
    expect(s1!.series.map((s) => s.name)).toEqual(["s1", "lower bound 470", "upper bound 480"]);
    expect(s1!.outOfBounds).toBe(1);
    expect(s1!.latest).toBe(466);
    // A counter's far bound (10000) would flatten its line: only the near one is drawn.
    expect(cycle!.series.map((s) => s.name)).toEqual(["cycle", "lower bound 0"]);
  });

  it("names the device when an asset has several, and gives each its own readings", () => {
    const two = [...devices, { ...devices[0]!, address: other }];
    const charts = sensorCharts([reading(1, { s1: 475 }), reading(1, { s1: 476 }, other)], two);
    expect(charts).toHaveLength(4);
    expect(charts[3]!.title).toBe("0x0847…0001 s1 (K)");
    expect(charts[3]!.series[0]!.points).toEqual([{ x: 0, y: 476 }]);
    // One point: no bounds lines (they need two distinct x).
    expect(charts[3]!.series).toHaveLength(1);
  });

  it("draws a bound only when it is within three data ranges of the readings", () => {
    expect(boundsNearData([10, 20], 0, 10_000)).toEqual({ min: true, max: false });
    expect(boundsNearData([10, 20], -21, 51)).toEqual({ min: false, max: false });
    expect(boundsNearData([5, 5], 0, 10)).toEqual({ min: false, max: false });
  });
});

describe("reconnectDelay", () => {
  it("doubles from 1 s up to 15 s", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(reconnectDelay)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });
});

describe("twin API parsing", () => {
  it("parses followed events and ignores others or malformed ones", () => {
    const readings = { type: "readings", assetId: 1, device, windowId: 226, rows: 41, timestamp: 1, values: { cycle: 143, s1: null } };
    expect(parseTwinEvent(JSON.stringify(readings))).toEqual(readings);
    expect(parseTwinEvent(JSON.stringify({ type: "model-switched", taskName: "x" }))).toBeNull();
    expect(parseTwinEvent(JSON.stringify({ ...readings, rows: "many" }))).toBeNull();
    expect(parseTwinEvent("not json")).toBeNull();
    const prediction = parseTwinEvent(JSON.stringify({ type: "prediction", prediction: { assetId: 1, device, windowId: 2, timestamp: 3, rul: 50, cycle: null, model: { versionId: 3, cid: "Qm" } } }));
    expect(prediction?.type === "prediction" && Number.isNaN(prediction.prediction.cycle)).toBe(true);
  });

  afterEach(() => vi.unstubAllGlobals());

  it("tells an absent twin service (503) from other failures", async () => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ error: "no_twin", message: "no digital-twin service runs in this network" }), { status: 503 }));
    await expect(readTwin("assets", assetListSchema)).rejects.toBeInstanceOf(TwinUnavailableError);
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ error: "not_found", message: "no twin for asset 9" }), { status: 404 }));
    await expect(readTwin("assets/9", twinStateSchema)).rejects.toThrow("no twin for asset 9");
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ assets: [{ assetId: "one" }] })));
    await expect(readTwin("assets", assetListSchema)).rejects.toThrow(/unexpected shape/);
  });
});

describe("twin words", () => {
  const origin = { assetId: 1, device, windowId: 205, timestamp: 10, row: 24, sensor: "sensor_7", unit: "K" };
  it("describes each kind of anomaly with its numbers", () => {
    const anomalies: Anomaly[] = [
      { ...origin, kind: "bounds", value: 302.5801, min: 303.098, max: 310.566 },
      { ...origin, kind: "residual", value: 265.9391, expected: 261.38817, zScore: 4.2594, threshold: 4 },
      { ...origin, kind: "drift", value: 766.9548, expected: 770.38025, driftScore: 8.0578, threshold: 8 },
    ];
    expect(anomalies.map(describeAnomaly)).toEqual([
      "302.580 K outside the operating bounds [303.098, 310.566]",
      "265.939 K, expected 261.388: z-score 4.26 ≥ 4",
      "766.955 K, expected 770.380: CUSUM 8.06 ≥ 8",
    ]);
  });

  it("lists newest first and charts RUL per model version", () => {
    const prediction = (timestamp: number, rul: number, versionId: number): Prediction => ({ assetId: 1, device, windowId: 1, timestamp, rul, cycle: 1, model: { versionId, cid: `Qm${versionId}` } });
    const predictions = [prediction(0, 90, 1), prediction(60_000, 80, 2), prediction(120_000, 70, 2)];
    expect(newestFirst(predictions).map((p) => p.timestamp)).toEqual([120_000, 60_000, 0]);
    expect(rulSeries(predictions)).toEqual([
      { name: "model v1", points: [{ x: -2, y: 90 }] },
      { name: "model v2", points: [{ x: -1, y: 80 }, { x: 0, y: 70 }] },
    ]);
  });
});
