/**
 * The embedded default dataset: synthetic run-to-failure units in the spirit of C-MAPSS, so the main job runs
 * without downloads. Each device is a site with its own degradation profile (how long before failure wear
 * starts, how sharply it accelerates, typical lifetimes, sensor calibration offsets, number of units), which
 * makes the partitions non-IID in both features and labels. Labels are RUL capped at RUL_CAP.
 */
import { concat, deriveSeed, gaussian, makeDataset, mulberry32, normaliseFederated, type Dataset, type FederatedData, type Normaliser, type Random } from "./dataset.ts";
import { cappedRul, DEFAULT_WINDOWS, RUL_CAP, unitWindowFeatures, windowFeatureNames, type WindowOptions } from "./windows.ts";

export interface SyntheticOptions {
  devices: number;
  seed: number;
  /** Sensors per unit (default 12; at least 2); about two thirds of them respond to degradation. */
  sensors?: number;
  /** Units per device are drawn uniformly from [minUnits, maxUnits] (defaults 4..10). */
  minUnits?: number;
  maxUnits?: number;
  /** Units in the held-out validation and test sets, drawn from randomly chosen device profiles (defaults 12 and 20). */
  validationUnits?: number;
  testUnits?: number;
  /** Mean lifetime in cycles (default 200). */
  meanLifetime?: number;
  windows?: WindowOptions;
}

interface SiteProfile {
  /** Wear starts this many cycles before failure. */
  onsetLead: number;
  /** Shape of the wear curve: damage = progress^exponent. */
  exponent: number;
  /** Lifetime multiplier of the site's units. */
  lifetimeScale: number;
  /** Per-sensor calibration offset, in noise units. */
  offsets: Float64Array;
}

export interface SensorModel {
  baseline: number;
  /** Change at failure, in noise units; 0 for sensors that do not respond to wear. */
  response: number;
  noise: number;
}

const positiveInteger = (name: string, value: number, min = 1) => {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
};

function sensorModels(count: number, random: Random): SensorModel[] {
  return Array.from({ length: count }, (_, s) => {
    const responsive = s % 3 !== 2;
    const sign = random() < 0.5 ? -1 : 1;
    return { baseline: 100 + 900 * random(), response: responsive ? sign * (3 + 5 * random()) : 0, noise: 0.5 + random() };
  });
}

function siteProfile(sensorCount: number, random: Random): SiteProfile {
  return {
    onsetLead: 130 + 90 * random(),
    exponent: 1.2 + 1.6 * random(),
    lifetimeScale: 0.7 + 0.7 * random(),
    offsets: Float64Array.from({ length: sensorCount }, () => 0.8 * gaussian(random)),
  };
}

/** One simulated unit's raw readings, before feature engineering. */
export interface SyntheticUnit {
  /** Row-major cycles × sensors, in the sensor models' order. */
  readings: Float64Array;
  /** 1..lifetime. */
  cycleNumbers: Float64Array;
  /** The unit fails after this cycle. */
  lifetime: number;
}

/** Draws one unit's lifetime and readings from `random` (the draw order is part of the dataset's identity). */
function simulateUnitReadings(profile: SiteProfile, sensors: readonly SensorModel[], meanLifetime: number, random: Random): SyntheticUnit {
  const sensorCount = sensors.length;
  const lifetime = Math.max(Math.round(profile.onsetLead) + 10, Math.round(meanLifetime * profile.lifetimeScale * (0.75 + 0.5 * random())));
  const cycleNumbers = Float64Array.from({ length: lifetime }, (_, t) => t + 1);
  const readings = new Float64Array(lifetime * sensorCount);
  for (let t = 0; t < lifetime; t++) {
    const cyclesLeft = lifetime - (t + 1);
    const progress = Math.max(0, 1 - cyclesLeft / profile.onsetLead);
    const damage = Math.pow(progress, profile.exponent);
    for (let s = 0; s < sensorCount; s++) {
      const sensor = sensors[s]!;
      readings[t * sensorCount + s] = sensor.baseline + sensor.noise * (profile.offsets[s]! + sensor.response * damage + gaussian(random));
    }
  }
  return { readings, cycleNumbers, lifetime };
}

function unitDataset(unit: SyntheticUnit, sensorCount: number, windows: WindowOptions): Dataset {
  const sensorNames = syntheticSensorNames(sensorCount);
  const allRows = Array.from({ length: unit.lifetime }, (_, t) => t);
  const features = unitWindowFeatures(unit.readings, sensorCount, unit.cycleNumbers, allRows, windows);
  return makeDataset(features, cappedRul(unit.cycleNumbers, unit.lifetime, RUL_CAP), windowFeatureNames(sensorNames, windows));
}

/** sensor_1..sensor_N: the generator's channel names. */
export function syntheticSensorNames(sensorCount: number): string[] {
  return Array.from({ length: sensorCount }, (_, s) => `sensor_${s + 1}`);
}

interface Generator {
  sensorCount: number;
  minUnits: number;
  maxUnits: number;
  validationUnits: number;
  testUnits: number;
  meanLifetime: number;
  windows: WindowOptions;
  seed: number;
  sensors: SensorModel[];
  profiles: SiteProfile[];
}

/** Validates the options and draws the parts every device shares: sensor models and one site profile per device. */
function generator(options: SyntheticOptions): Generator {
  const devices = positiveInteger("devices", options.devices);
  const sensorCount = positiveInteger("sensors", options.sensors ?? 12, 2);
  const minUnits = positiveInteger("minUnits", options.minUnits ?? 4);
  const maxUnits = positiveInteger("maxUnits", options.maxUnits ?? 10);
  if (maxUnits < minUnits) throw new Error(`maxUnits (${maxUnits}) < minUnits (${minUnits})`);
  const validationUnits = positiveInteger("validationUnits", options.validationUnits ?? 12);
  const testUnits = positiveInteger("testUnits", options.testUnits ?? 20);
  const meanLifetime = options.meanLifetime ?? 200;
  if (!(meanLifetime >= 50)) throw new Error(`meanLifetime must be >= 50 cycles, got ${meanLifetime}`);
  const windows = options.windows ?? DEFAULT_WINDOWS;
  const seed = options.seed >>> 0;

  const sensors = sensorModels(sensorCount, mulberry32(deriveSeed(seed, 1)));
  const profileRandom = mulberry32(deriveSeed(seed, 2));
  const profiles = Array.from({ length: devices }, () => siteProfile(sensorCount, profileRandom));
  return { sensorCount, minUnits, maxUnits, validationUnits, testUnits, meanLifetime, windows, seed, sensors, profiles };
}

function deviceUnits(g: Generator, deviceIndex: number): SyntheticUnit[] {
  const random = mulberry32(deriveSeed(g.seed, 3, deviceIndex));
  const units = g.minUnits + Math.floor(random() * (g.maxUnits - g.minUnits + 1));
  return Array.from({ length: units }, () => simulateUnitReadings(g.profiles[deviceIndex]!, g.sensors, g.meanLifetime, random));
}

/** The sensor models of a seed: the baseline, noise and wear response (in noise units) of each sensor. */
export function syntheticSensorModels(options: { seed: number; sensors?: number }): readonly Readonly<SensorModel>[] {
  const sensorCount = positiveInteger("sensors", options.sensors ?? 12, 2);
  return sensorModels(sensorCount, mulberry32(deriveSeed(options.seed >>> 0, 1)));
}

/** The raw run-to-failure units of device `deviceIndex`, in time order: exactly the series its training partition is computed from. */
export function syntheticDeviceUnits(options: SyntheticOptions, deviceIndex: number): SyntheticUnit[] {
  const g = generator(options);
  if (!Number.isInteger(deviceIndex) || deviceIndex < 0 || deviceIndex >= g.profiles.length) throw new Error(`device ${deviceIndex} is outside 0..${g.profiles.length - 1}`);
  return deviceUnits(g, deviceIndex);
}

/** Like syntheticRunToFailure, and also returns the normaliser fitted on the device partitions (what live features need). */
export function syntheticRunToFailureWithNormaliser(options: SyntheticOptions): FederatedData & { normaliser: Normaliser } {
  const g = generator(options);
  const toDataset = (units: SyntheticUnit[]) => concat(units.map((unit) => unitDataset(unit, g.sensorCount, g.windows)));
  const deviceData = g.profiles.map((_, d) => toDataset(deviceUnits(g, d)));
  // Held-out units come from the same population of sites, so they measure how well the federation generalises.
  const heldOut = (count: number, stream: number) => {
    const random = mulberry32(deriveSeed(g.seed, stream));
    return toDataset(Array.from({ length: count }, () => simulateUnitReadings(g.profiles[Math.floor(random() * g.profiles.length)]!, g.sensors, g.meanLifetime, random)));
  };
  const validation = heldOut(g.validationUnits, 4);
  const test = heldOut(g.testUnits, 5);
  return normaliseFederated({
    kind: "regression",
    taskName: "cmapss-rul",
    featureNames: validation.featureNames,
    devices: deviceData,
    validation,
    test,
  });
}

/** Deterministic for a seed: the same options always give bit-identical data. */
export function syntheticRunToFailure(options: SyntheticOptions): FederatedData {
  const { normaliser: _normaliser, ...normalised } = syntheticRunToFailureWithNormaliser(options);
  return normalised;
}
