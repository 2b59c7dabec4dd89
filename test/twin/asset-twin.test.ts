import { expect } from "chai";
import { describe, it } from "node:test";
import type { Address } from "viem";
import { gaussian, mulberry32 } from "../../lib/data/dataset.ts";
import { AssetTwin, type AssetTwinConfig, type TwinDevice } from "../../twin/asset-twin.ts";
import { defaultDecisionConfig } from "../../twin/decisions.ts";
import { defaultResidualConfig } from "../../twin/detectors.ts";
import type { TwinEvent } from "../../twin/records.ts";

const device: TwinDevice = {
  address: "0x00000000000000000000000000000000000000d1" as Address,
  deviceType: "pump-monitor",
  metadataCid: "QmTest",
  sensors: [
    { name: "cycle", unit: "1", min: 0, max: 10_000 },
    { name: "flow", unit: "m3/h", min: 20, max: 140 },
    { name: "vibration", unit: "mm/s", min: 0, max: 7.1 },
    { name: "bearing_temp", unit: "degC", min: 10, max: 85 },
  ],
};
const config: AssetTwinConfig = { residual: defaultResidualConfig, decisions: defaultDecisionConfig, historyCapacity: 1000, recordCapacity: 1000, pipelineSensors: ["flow", "vibration", "bearing_temp"], cycleChannel: "cycle" };
const model = { versionId: 3, cid: "QmModel" };

/** Rows of [cycle, flow, vibration, temp] with unit-σ noise around 80, 3, 50; `bias` adds to each sensor from row `from` on. */
function readings(count: number, bias: { from: number; add: [number, number, number] } | undefined, seed = 1) {
  const random = mulberry32(seed);
  const values = new Float64Array(count * 4);
  const timestamps = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const add = bias && r >= bias.from ? bias.add : [0, 0, 0];
    values.set([r + 1, 80 + gaussian(random) + add[0]!, 3 + 0.2 * gaussian(random) + add[1]!, 50 + gaussian(random) + add[2]!], r * 4);
    timestamps[r] = 1_700_000_000_000 + r * 1000;
  }
  return { timestamps, values };
}

const ofType = <T extends TwinEvent["type"]>(events: TwinEvent[], type: T) => events.filter((e): e is Extract<TwinEvent, { type: T }> => e.type === type);

describe("AssetTwin", () => {
  it("turns a sustained bias of one sensor into one calibration event, naming the sensor, window and model", () => {
    const twin = new AssetTwin({ assetId: 1, organisationId: 2, label: "pump-07" }, config);
    twin.attachDevice(device);
    const { events } = twin.applyWindow({ windowId: 9, device: device.address, ...readings(120, { from: 60, add: [0, 0, 6] }) }, model);
    const decisions = ofType(events, "decision").map((e) => e.decision);
    expect(decisions).to.have.length(1);
    const calibration = decisions[0]!;
    expect(calibration.kind).to.equal("calibration");
    expect(calibration).to.include({ windowId: 9, assetId: 1, device: device.address });
    expect(calibration.kind === "calibration" && calibration.sensor).to.equal("bearing_temp");
    expect(calibration.model).to.deep.equal(model);
    expect(calibration.timestamp).to.be.at.least(1_700_000_060_000);
    const drift = ofType(events, "anomaly").filter((e) => e.anomaly.kind === "drift");
    expect(drift.map((e) => e.anomaly.sensor)).to.deep.equal(["bearing_temp"]);
    expect(twin.state(model).health.anomalyCounts.drift).to.equal(1);
  });

  it("reads a shift of every sensor as wear, not calibration: drift anomalies, no calibration event", () => {
    const twin = new AssetTwin({ assetId: 1, organisationId: 2, label: "pump-07" }, config);
    twin.attachDevice(device);
    const { events } = twin.applyWindow({ windowId: 1, device: device.address, ...readings(120, { from: 60, add: [6, 1.2, 6] }) }, model);
    expect(ofType(events, "decision")).to.have.length(0);
    expect(new Set(ofType(events, "anomaly").filter((e) => e.anomaly.kind === "drift").map((e) => e.anomaly.sensor))).to.deep.equal(new Set(["flow", "vibration", "bearing_temp"]));
  });

  it("records bounds anomalies against the device's bounds, latest readings and a time-ranged history", () => {
    const twin = new AssetTwin({ assetId: 1, organisationId: 2, label: "pump-07" }, config);
    twin.attachDevice(device);
    const window = readings(5, undefined);
    window.values[2 * 4 + 2] = 9.5; // vibration above 7.1 at row 2
    window.timestamps[4] = Number.NaN; // a row without a usable timestamp is not applied
    const { events } = twin.applyWindow({ windowId: 4, device: device.address, ...window }, null);
    const bounds = ofType(events, "anomaly").map((e) => e.anomaly);
    expect(bounds).to.deep.equal([{ assetId: 1, device: device.address, windowId: 4, timestamp: 1_700_000_002_000, kind: "bounds", row: 2, sensor: "vibration", unit: "mm/s", value: 9.5, min: 0, max: 7.1 }]);
    const state = twin.state(null);
    expect(state.readingsApplied).to.equal(4);
    expect(state.latest["cycle"]!.value).to.equal(4);
    expect(twin.readings(1_700_000_001_000, 1_700_000_002_000, 10).map((r) => r.values["vibration"])).to.deep.equal([window.values[1 * 4 + 2], 9.5]);
  });

  it("recommends maintenance once per unit, and again after the unit is replaced", () => {
    const twin = new AssetTwin({ assetId: 1, organisationId: 2, label: "pump-07" }, config);
    twin.attachDevice(device);
    const origin = { assetId: 1, device: device.address, windowId: 1, timestamp: 0 };
    twin.applyWindow({ windowId: 1, device: device.address, ...readings(10, undefined) }, model);
    const first = [40, 29, 20].flatMap((rul) => twin.recordPrediction(rul, origin, model));
    expect(ofType(first, "decision").map((e) => e.decision.kind === "maintenance" && e.decision.rul)).to.deep.equal([29]);
    expect(ofType(first, "prediction").map((e) => e.prediction.cycle)).to.deep.equal([10, 10, 10]);
    // The cycle count restarts: a new unit, so the twin may recommend maintenance again.
    twin.applyWindow({ windowId: 2, device: device.address, ...readings(3, undefined) }, model);
    expect(twin.state(model).health.unitsSeen).to.equal(2);
    const second = twin.recordPrediction(12, { ...origin, windowId: 2 }, model);
    expect(ofType(second, "decision").map((e) => e.decision.windowId)).to.deep.equal([2]);
  });
});
