/**
 * The synthetic dataset seen from the shop floor: what a simulated device declares in its on-chain metadata
 * (channels, units, operating bounds), the raw readings it would stream, and the feature pipeline a digital twin
 * runs over those readings to feed the federated model. All three are derived from the same generator as the
 * training data, so a twin's live features equal the features the model was trained on.
 */
import type { SensorBounds } from "../chain/seed.ts";
import type { Normaliser } from "./dataset.ts";
import { syntheticDeviceUnits, syntheticRunToFailureWithNormaliser, syntheticSensorModels, syntheticSensorNames, type SyntheticOptions } from "./synthetic.ts";
import { DEFAULT_WINDOWS, unitWindowFeatures, windowFeatureNames, type WindowOptions } from "./windows.ts";

/** The options that decide a synthetic device's readings (those of syntheticRunToFailure that touch device data). */
export type SyntheticTelemetryOptions = Pick<SyntheticOptions, "seed" | "devices" | "sensors" | "minUnits" | "maxUnits" | "meanLifetime" | "windows">;

/** The channel that carries the unit's cycle count; it restarts at 1 when a new unit starts. */
export const CYCLE_CHANNEL = "cycle";

/** Physical units given to sensor_1..N in turn (the generator's values are unitless; these make the schema realistic). */
const SENSOR_UNITS = ["K", "psia", "rpm"] as const;

/**
 * Bounds in noise units around a sensor's baseline. The healthy side leaves room for site calibration offsets
 * (σ 0.8) plus reading noise (σ 1): ±5 is ~3.9σ of their sum. On the side a responsive sensor moves under wear
 * the bound sits closer, at 1 + 0.75·|response| (at least 4), so a unit near failure (damage → 1, shift = response)
 * crosses it while healthy readings stay inside.
 */
const HEALTHY_MARGIN = 5;
function wearMargin(response: number): number {
  return Math.max(4, 1 + 0.75 * Math.abs(response));
}

/** Rounds outward to 3 decimals, so the metadata JSON stays short and the bounds never shrink. */
const floor3 = (x: number) => Math.floor(x * 1000) / 1000;
const ceil3 = (x: number) => Math.ceil(x * 1000) / 1000;

/**
 * The schema a synthetic device's metadata declares: `cycle` (unit "1", 0..10000), then sensor_1..N with a
 * physical unit each and operating bounds derived from the generator's sensor models.
 */
export function syntheticSensorSchema(options: { seed: number; sensors?: number }): SensorBounds[] {
  const models = syntheticSensorModels(options);
  const sensorNames = syntheticSensorNames(models.length);
  return [
    { name: CYCLE_CHANNEL, unit: "1", min: 0, max: 10_000 },
    ...models.map((model, s) => {
      const below = model.response < 0 ? wearMargin(model.response) : HEALTHY_MARGIN;
      const above = model.response > 0 ? wearMargin(model.response) : HEALTHY_MARGIN;
      return { name: sensorNames[s]!, unit: SENSOR_UNITS[s % SENSOR_UNITS.length]!, min: floor3(model.baseline - below * model.noise), max: ceil3(model.baseline + above * model.noise) };
    }),
  ];
}

/** A device's raw readings: row-major rowCount × schema.length, row = [cycle, sensor_1..N] in schema units. */
export interface SyntheticTelemetry {
  schema: SensorBounds[];
  rows: Float64Array;
  rowCount: number;
}

/**
 * The raw readings of device `deviceIndex`, one row per cycle in time order, unit after unit (the cycle restarts
 * at 1). Exactly the series the device's training partition of the federated dataset for these options was
 * computed from.
 */
export function syntheticTelemetry(options: SyntheticTelemetryOptions, deviceIndex: number): SyntheticTelemetry {
  const schema = syntheticSensorSchema(options);
  const sensorCount = schema.length - 1;
  const units = syntheticDeviceUnits(options, deviceIndex);
  const rowCount = units.reduce((sum, unit) => sum + unit.lifetime, 0);
  const width = schema.length;
  const rows = new Float64Array(rowCount * width);
  let row = 0;
  for (const unit of units) {
    for (let t = 0; t < unit.lifetime; t++, row++) {
      rows[row * width] = unit.cycleNumbers[t]!;
      rows.set(unit.readings.subarray(t * sensorCount, (t + 1) * sensorCount), row * width + 1);
    }
  }
  return { schema, rows, rowCount };
}

/** Turns one unit's raw history into the model's input for its latest cycle. */
export interface FeaturePipeline {
  /** The raw channels a history carries, in column order (schema names; the cycle count is passed separately). */
  readonly sensorNames: readonly string[];
  /** The channel that carries the cycle count. */
  readonly cycleChannel: string;
  /** The model's inputs, in order. */
  readonly featureNames: readonly string[];
  /**
   * The normalised feature row of the latest cycle. `history` is row-major cycles × sensorNames.length (schema
   * units, oldest first, the current unit only); `cycleNumbers` the cycle count of each row.
   */
  featuresFor(history: Float64Array, cycleNumbers: Float64Array): Float32Array;
}

/** A pipeline from the raw window features and a fitted normaliser; exactly the arithmetic the training data went through. */
export function windowFeaturePipeline(sensorNames: readonly string[], normaliser: Normaliser, windows: WindowOptions = DEFAULT_WINDOWS): FeaturePipeline {
  const featureNames = windowFeatureNames(sensorNames, windows);
  if (normaliser.mean.length !== featureNames.length) throw new Error(`the normaliser has ${normaliser.mean.length} features, the pipeline ${featureNames.length}`);
  const sensorCount = sensorNames.length;
  return {
    sensorNames: [...sensorNames],
    cycleChannel: CYCLE_CHANNEL,
    featureNames,
    featuresFor(history, cycleNumbers) {
      const cycles = cycleNumbers.length;
      if (cycles === 0) throw new Error("featuresFor needs at least one cycle of history");
      // The same call (whole history, one wanted row) as training makes the prefix sums, and so the features, identical.
      const raw = unitWindowFeatures(history, sensorCount, cycleNumbers, [cycles - 1], windows);
      const out = new Float32Array(raw.length);
      // applyNormaliser's expression, evaluated on the float32 raw feature, rounded to float32 once.
      for (let j = 0; j < raw.length; j++) out[j] = (raw[j]! - normaliser.mean[j]!) / normaliser.std[j]!;
      return out;
    },
  };
}

/** The feature pipeline of the synthetic federated dataset for these options (regenerates it to fit the normaliser). */
export function syntheticFeaturePipeline(options: SyntheticTelemetryOptions): FeaturePipeline {
  const { normaliser } = syntheticRunToFailureWithNormaliser(options);
  const sensorNames = syntheticSensorNames(syntheticSensorModels(options).length);
  return windowFeaturePipeline(sensorNames, normaliser, options.windows ?? DEFAULT_WINDOWS);
}
