/**
 * The twin's anomaly detectors, as pure functions over typed arrays (no I/O, no clocks), so each one can be checked
 * against hand-computed values:
 *
 * - bounds: a reading outside the static operating bounds the device declared on chain;
 * - residual: a reading far from the twin's expectation of that sensor (an EWMA of its recent readings),
 *   measured in standard deviations of the sensor's recent variation;
 * - drift: a two-sided CUSUM over those residuals, which adds up small, sustained disagreements that no single
 *   reading reveals (wear, or a sensor losing its calibration).
 */

/** Tuning of the residual and drift detectors. */
export interface ResidualConfig {
  /** EWMA weight of the newest reading (0 < alpha ≤ 1): higher forgets faster. */
  alpha: number;
  /** Readings used to learn a sensor's mean and spread (plain running moments) before it is scored. */
  warmup: number;
  /** |z| above this is a residual anomaly; z is also clipped to ±this before it feeds the CUSUM and the EWMA. */
  zThreshold: number;
  /** CUSUM allowance k, in standard deviations: residuals within ±k do not accumulate. */
  cusumSlack: number;
  /** CUSUM decision interval h: a drift alarm is raised when a sensor's score reaches it. */
  driftThreshold: number;
  /** A raised alarm clears when the score falls below driftThreshold × this (hysteresis, so one shift is one alarm). */
  driftClearRatio: number;
  /** Floor for the standard deviation, so a sensor that has been constant does not divide by zero. */
  minStd: number;
}

export const defaultResidualConfig: ResidualConfig = {
  alpha: 0.1,
  warmup: 10,
  zThreshold: 4,
  cusumSlack: 0.5,
  driftThreshold: 8,
  driftClearRatio: 0.5,
  minStd: 1e-6,
};

/** Checks a configuration, so a bad flag fails at startup rather than silently producing NaN scores. */
export function validateResidualConfig(config: ResidualConfig): ResidualConfig {
  const positive = (name: keyof ResidualConfig) => {
    if (!(config[name] > 0 && Number.isFinite(config[name]))) throw new Error(`${name} must be a positive number, got ${config[name]}`);
  };
  if (!(config.alpha > 0 && config.alpha <= 1)) throw new Error(`alpha must be in (0, 1], got ${config.alpha}`);
  if (!Number.isInteger(config.warmup) || config.warmup < 2) throw new Error(`warmup must be an integer >= 2, got ${config.warmup}`);
  positive("zThreshold");
  positive("driftThreshold");
  positive("minStd");
  if (!(config.cusumSlack >= 0)) throw new Error(`cusumSlack must be >= 0, got ${config.cusumSlack}`);
  if (!(config.driftClearRatio > 0 && config.driftClearRatio <= 1)) throw new Error(`driftClearRatio must be in (0, 1], got ${config.driftClearRatio}`);
  return config;
}

/** Where each reading of a rows × sensors matrix lies outside [min, max]; NaN (missing) readings are not violations. */
export function boundsViolations(values: Float64Array, sensorCount: number, min: Float64Array, max: Float64Array): { row: number; sensor: number }[] {
  if (min.length !== sensorCount || max.length !== sensorCount) throw new Error(`bounds have ${min.length}/${max.length} entries, expected ${sensorCount}`);
  if (values.length % sensorCount !== 0) throw new Error(`values has ${values.length} entries, not a multiple of ${sensorCount} sensors`);
  const violations: { row: number; sensor: number }[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const sensor = i % sensorCount;
    if (value < min[sensor]! || value > max[sensor]!) violations.push({ row: (i - sensor) / sensorCount, sensor });
  }
  return violations;
}

/** Per-sensor detector state; struct of arrays, one entry per sensor. */
export interface ResidualState {
  /** Readings seen per sensor (only the first `warmup` matter). */
  count: Uint32Array;
  /** The expectation: running mean during warm-up, EWMA after. */
  mean: Float64Array;
  /** Spread of the readings around the expectation: running (population) variance during warm-up, EWM variance after. */
  variance: Float64Array;
  /** Upper and lower CUSUM sums (≥ 0). */
  cusumHigh: Float64Array;
  cusumLow: Float64Array;
  /** 1 while a drift alarm is raised for the sensor. */
  driftAlarm: Uint8Array;
}

/** A fresh state for `sensorCount` sensors. */
export function newResidualState(sensorCount: number): ResidualState {
  return {
    count: new Uint32Array(sensorCount),
    mean: new Float64Array(sensorCount),
    variance: new Float64Array(sensorCount),
    cusumHigh: new Float64Array(sensorCount),
    cusumLow: new Float64Array(sensorCount),
    driftAlarm: new Uint8Array(sensorCount),
  };
}

/** What one row did to each sensor. */
export interface ResidualStep {
  /** The expectation the reading was compared with (NaN while warming up or when the reading is missing). */
  expected: Float64Array;
  /** The reading's z-score against that expectation (NaN when not scored). */
  z: Float64Array;
  /** Drift score after this reading: max(cusumHigh, cusumLow). */
  drift: Float64Array;
  /** 1 where |z| exceeds the threshold. */
  residualAnomaly: Uint8Array;
  /** 1 where a drift alarm was raised by this reading (rising edge only). */
  driftRaised: Uint8Array;
}

/** Scratch output for residualStep, reusable across rows. */
export function newResidualStep(sensorCount: number): ResidualStep {
  return {
    expected: new Float64Array(sensorCount),
    z: new Float64Array(sensorCount),
    drift: new Float64Array(sensorCount),
    residualAnomaly: new Uint8Array(sensorCount),
    driftRaised: new Uint8Array(sensorCount),
  };
}

/**
 * Feeds one row of readings (NaN = missing, skipped) to the detectors, updating `state` in place and writing the
 * outcome to `out`. Per sensor, with the expectation μ and variance v from before this reading:
 *
 *   z = (x − μ) / max(√v, minStd);  residual anomaly iff |z| > zThreshold
 *   c = clip(z, ±zThreshold);       S⁺ = max(0, S⁺ + c − k),  S⁻ = max(0, S⁻ − c − k),  drift = max(S⁺, S⁻)
 *   μ' = μ + α·clip(x − μ, ±zThreshold·σ),  v' = (1 − α)·(v + α·(x − μ)²)
 *
 * Clipping keeps one wild reading (a spike, a dropped decimal point) from firing a drift alarm or dragging the
 * expectation; a sustained shift still accumulates at up to zThreshold − k per reading. The variance takes the
 * unclipped deviation, so after a real change the spread widens and the expectation catches up instead of
 * flagging every later reading.
 */
export function residualStep(state: ResidualState, config: ResidualConfig, row: Float64Array, out: ResidualStep): ResidualStep {
  const sensorCount = state.mean.length;
  if (row.length !== sensorCount) throw new Error(`row has ${row.length} readings, the detector ${sensorCount} sensors`);
  out.expected.fill(Number.NaN);
  out.z.fill(Number.NaN);
  out.residualAnomaly.fill(0);
  out.driftRaised.fill(0);
  for (let s = 0; s < sensorCount; s++) {
    const x = row[s]!;
    out.drift[s] = Math.max(state.cusumHigh[s]!, state.cusumLow[s]!);
    if (Number.isNaN(x)) continue;
    const n = state.count[s]!;
    if (n < config.warmup) {
      // Welford's running moments: a stable start that does not depend on alpha.
      const delta = x - state.mean[s]!;
      const mean = state.mean[s]! + delta / (n + 1);
      state.variance[s] = (state.variance[s]! * n + delta * (x - mean)) / (n + 1);
      state.mean[s] = mean;
      state.count[s] = n + 1;
      continue;
    }
    const mean = state.mean[s]!;
    const std = Math.max(Math.sqrt(state.variance[s]!), config.minStd);
    const z = (x - mean) / std;
    out.expected[s] = mean;
    out.z[s] = z;
    if (Math.abs(z) > config.zThreshold) out.residualAnomaly[s] = 1;
    const clipped = Math.max(-config.zThreshold, Math.min(config.zThreshold, z));
    const high = Math.max(0, state.cusumHigh[s]! + clipped - config.cusumSlack);
    const low = Math.max(0, state.cusumLow[s]! - clipped - config.cusumSlack);
    state.cusumHigh[s] = high;
    state.cusumLow[s] = low;
    const drift = Math.max(high, low);
    out.drift[s] = drift;
    if (!state.driftAlarm[s] && drift >= config.driftThreshold) {
      state.driftAlarm[s] = 1;
      out.driftRaised[s] = 1;
    } else if (state.driftAlarm[s] && drift < config.driftThreshold * config.driftClearRatio) {
      state.driftAlarm[s] = 0;
    }
    const deviation = x - mean;
    const limit = config.zThreshold * std;
    state.mean[s] = mean + config.alpha * Math.max(-limit, Math.min(limit, deviation));
    state.variance[s] = (1 - config.alpha) * (state.variance[s]! + config.alpha * deviation * deviation);
  }
  return out;
}
