import { expect } from "chai";
import { describe, it } from "node:test";
import { syntheticRunToFailure, syntheticSensorModels } from "../../lib/data/synthetic.ts";
import { CYCLE_CHANNEL, syntheticFeaturePipeline, syntheticSensorSchema, syntheticTelemetry } from "../../lib/data/telemetry.ts";
import { knownUnits } from "../../lib/telemetry/units.ts";
import { wrangleWindow } from "../../lib/telemetry/wrangle.ts";

const options = { seed: 11, devices: 3, minUnits: 2, maxUnits: 3 };

/** Splits a device's telemetry into units (the cycle restarts at 1). */
function unitsOf(telemetry: ReturnType<typeof syntheticTelemetry>) {
  const width = telemetry.schema.length;
  const starts: number[] = [];
  for (let r = 0; r < telemetry.rowCount; r++) if (telemetry.rows[r * width] === 1) starts.push(r);
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? telemetry.rowCount }));
}

describe("synthetic telemetry and the twin's feature pipeline", () => {
  it("reproduces every device's training features bit for bit from the raw readings, one cycle at a time", () => {
    const data = syntheticRunToFailure(options);
    const pipeline = syntheticFeaturePipeline(options);
    expect(pipeline.featureNames).to.deep.equal(data.featureNames);
    for (let d = 0; d < options.devices; d++) {
      const telemetry = syntheticTelemetry(options, d);
      const width = telemetry.schema.length;
      const sensors = width - 1;
      const training = data.devices[d]!;
      expect(telemetry.rowCount).to.equal(training.rows);
      const featureWidth = pipeline.featureNames.length;
      for (const { start, end } of unitsOf(telemetry)) {
        // A twin sees one cycle at a time: the features of cycle t come from cycles 1..t of the unit only.
        for (let t = start; t < end; t++) {
          const rows = t - start + 1;
          const history = new Float64Array(rows * sensors);
          const cycles = new Float64Array(rows);
          for (let r = 0; r < rows; r++) {
            cycles[r] = telemetry.rows[(start + r) * width]!;
            history.set(telemetry.rows.subarray((start + r) * width + 1, (start + r + 1) * width), r * sensors);
          }
          const live = pipeline.featuresFor(history, cycles);
          const trained = training.features.subarray(t * featureWidth, (t + 1) * featureWidth);
          expect(Buffer.from(live.buffer).equals(Buffer.from(trained.slice().buffer)), `device ${d}, row ${t}`).to.equal(true);
        }
      }
    }
  });

  it("survives the trip through a signed window: JSON rows wrangled to the schema give the same numbers", () => {
    const telemetry = syntheticTelemetry(options, 0);
    const width = telemetry.schema.length;
    const rows = Array.from({ length: 25 }, (_, r) => [1_700_000_000_000 + r * 1000, ...telemetry.rows.subarray(r * width, (r + 1) * width)]);
    const sent = JSON.parse(JSON.stringify(rows)) as unknown[][];
    const wrangled = wrangleWindow({ channels: telemetry.schema.map(({ name, unit }) => ({ name, unit })), rows: sent, timeFormat: "epoch-ms", startTime: 1_700_000_000_000, endTime: 1_700_000_024_000 }, telemetry.schema);
    const differences = Array.from(wrangled.values).flatMap((value, i) => (Object.is(value, telemetry.rows[i]) ? [] : [`row ${Math.floor(i / width)} ${telemetry.schema[i % width]!.name}: sent ${telemetry.rows[i]}, wrangled ${value}`]));
    expect(differences, "every value must come through unchanged").to.deep.equal([]);
  });

  it("declares cycle then sensor_1..N with physical units, and bounds that hold healthy readings and catch a failing unit", () => {
    const schema = syntheticSensorSchema({ seed: 7 });
    expect(schema[0]).to.deep.equal({ name: CYCLE_CHANNEL, unit: "1", min: 0, max: 10_000 });
    expect(schema.slice(1).map((s) => s.name)).to.deep.equal(Array.from({ length: 12 }, (_, i) => `sensor_${i + 1}`));
    expect(schema.every((s) => knownUnits.includes(s.unit) && s.min < s.max)).to.equal(true);
    expect(new Set(schema.slice(1).map((s) => s.unit)).size).to.equal(3);

    const models = syntheticSensorModels({ seed: 7 });
    const devices = 6;
    let healthy = 0;
    let healthyOut = 0;
    let failing = 0;
    let failingOut = 0;
    for (let d = 0; d < devices; d++) {
      const telemetry = syntheticTelemetry({ seed: 7, devices }, d);
      const width = schema.length;
      expect(telemetry.schema).to.deep.equal(schema);
      for (const { start, end } of unitsOf(telemetry)) {
        for (let r = start; r < end; r++) {
          const early = r - start < 40;
          const lastCycles = end - r <= 5;
          for (let s = 1; s < width; s++) {
            const value = telemetry.rows[r * width + s]!;
            const out = value < schema[s]!.min || value > schema[s]!.max;
            if (early) {
              healthy++;
              if (out) healthyOut++;
            } else if (lastCycles && models[s - 1]!.response !== 0) {
              failing++;
              if (out) failingOut++;
            }
          }
        }
      }
    }
    expect(healthyOut / healthy).to.be.below(0.005);
    expect(failingOut / failing).to.be.above(0.5);
  });
});
