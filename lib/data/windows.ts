/**
 * Windowed features for run-to-failure time series (shared by the synthetic generator and C-MAPSS): for each
 * sensor the current reading, a short and a long trailing moving average, and the least-squares trend over the
 * long window, plus the cycle count. Trailing windows only use past cycles, so a truncated test unit gets the
 * same features it would get live; early cycles use whatever history exists.
 */

export interface WindowOptions {
  shortWindow: number;
  longWindow: number;
}

export const DEFAULT_WINDOWS: WindowOptions = { shortWindow: 5, longWindow: 20 };

/** Standard piecewise-linear RUL target cap (Heimes 2008): early life is treated as "healthy" at the cap. */
export const RUL_CAP = 125;

export function windowFeatureNames(sensorNames: readonly string[], options: WindowOptions = DEFAULT_WINDOWS): string[] {
  const names: string[] = [];
  for (const s of sensorNames) names.push(s, `${s}_ma${options.shortWindow}`, `${s}_ma${options.longWindow}`, `${s}_slope${options.longWindow}`);
  names.push("cycle");
  return names;
}

/**
 * Features for the chosen cycles of one unit. `readings` is row-major cycles × sensorCount in time order;
 * `cycleNumbers` the cycle count of each row. Returns rows × (4·sensorCount + 1) features.
 */
export function unitWindowFeatures(
  readings: Float64Array,
  sensorCount: number,
  cycleNumbers: Float64Array,
  rowsWanted: readonly number[],
  options: WindowOptions = DEFAULT_WINDOWS,
): Float32Array {
  const cycles = cycleNumbers.length;
  if (readings.length !== cycles * sensorCount) throw new Error(`readings has ${readings.length} values, expected ${cycles} × ${sensorCount}`);
  if (!(options.shortWindow >= 1 && options.longWindow >= options.shortWindow)) throw new Error("need 1 <= shortWindow <= longWindow");
  const width = 4 * sensorCount + 1;
  const out = new Float32Array(rowsWanted.length * width);
  // Prefix sums of x and t·x per sensor make every window O(1).
  const prefix = new Float64Array((cycles + 1) * sensorCount);
  const prefixTx = new Float64Array((cycles + 1) * sensorCount);
  for (let t = 0; t < cycles; t++) {
    for (let s = 0; s < sensorCount; s++) {
      const x = readings[t * sensorCount + s]!;
      prefix[(t + 1) * sensorCount + s] = prefix[t * sensorCount + s]! + x;
      prefixTx[(t + 1) * sensorCount + s] = prefixTx[t * sensorCount + s]! + t * x;
    }
  }
  const windowSum = (p: Float64Array, start: number, end: number, s: number) => p[end * sensorCount + s]! - p[start * sensorCount + s]!;
  rowsWanted.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= cycles) throw new Error(`row ${t} is outside 0..${cycles - 1}`);
    const shortStart = Math.max(0, t + 1 - options.shortWindow);
    const longStart = Math.max(0, t + 1 - options.longWindow);
    const m = t + 1 - longStart;
    // Σt and Σt² over longStart..t for the slope's closed form.
    const sumT = ((longStart + t) * m) / 2;
    const sumT2 = (t * (t + 1) * (2 * t + 1) - (longStart - 1) * longStart * (2 * longStart - 1)) / 6;
    const denominator = m * sumT2 - sumT * sumT;
    for (let s = 0; s < sensorCount; s++) {
      const base = i * width + 4 * s;
      out[base] = readings[t * sensorCount + s]!;
      out[base + 1] = windowSum(prefix, shortStart, t + 1, s) / (t + 1 - shortStart);
      const sumX = windowSum(prefix, longStart, t + 1, s);
      out[base + 2] = sumX / m;
      const sumTx = windowSum(prefixTx, longStart, t + 1, s);
      out[base + 3] = m > 1 && denominator > 0 ? (m * sumTx - sumT * sumX) / denominator : 0;
    }
    out[i * width + 4 * sensorCount] = cycleNumbers[t]!;
  });
  return out;
}

/** RUL of each cycle when the unit fails after `failureCycle`, capped. */
export function cappedRul(cycleNumbers: Float64Array, failureCycle: number, cap: number = RUL_CAP): Float32Array {
  return Float32Array.from(cycleNumbers, (c) => Math.min(cap, failureCycle - c));
}
