/**
 * Unit conversion for telemetry wrangling: each unit is an affine map to its dimension's base unit
 * (base = value * scale + offset), so any two units of one dimension convert through the base.
 */

interface UnitDefinition {
  dimension: string;
  scale: number;
  offset: number;
}

const units: Record<string, UnitDefinition> = {
  K: { dimension: "temperature", scale: 1, offset: 0 },
  degC: { dimension: "temperature", scale: 1, offset: 273.15 },
  degF: { dimension: "temperature", scale: 5 / 9, offset: (459.67 * 5) / 9 },
  degR: { dimension: "temperature", scale: 5 / 9, offset: 0 },
  Pa: { dimension: "pressure", scale: 1, offset: 0 },
  kPa: { dimension: "pressure", scale: 1e3, offset: 0 },
  MPa: { dimension: "pressure", scale: 1e6, offset: 0 },
  bar: { dimension: "pressure", scale: 1e5, offset: 0 },
  psia: { dimension: "pressure", scale: 6894.757293168, offset: 0 },
  psi: { dimension: "pressure", scale: 6894.757293168, offset: 0 },
  rpm: { dimension: "rotation", scale: 1, offset: 0 },
  Hz: { dimension: "rotation", scale: 60, offset: 0 },
  "m3/h": { dimension: "flow", scale: 1, offset: 0 },
  "L/min": { dimension: "flow", scale: 0.06, offset: 0 },
  "mm/s": { dimension: "velocity", scale: 1, offset: 0 },
  "in/s": { dimension: "velocity", scale: 25.4, offset: 0 },
  Nm: { dimension: "torque", scale: 1, offset: 0 },
  "lbf.ft": { dimension: "torque", scale: 1.3558179483314, offset: 0 },
  s: { dimension: "time", scale: 1, offset: 0 },
  min: { dimension: "time", scale: 60, offset: 0 },
  h: { dimension: "time", scale: 3600, offset: 0 },
  "1": { dimension: "ratio", scale: 1, offset: 0 },
  "%": { dimension: "ratio", scale: 0.01, offset: 0 },
};

export const knownUnits: readonly string[] = Object.keys(units);

/** y = x * scale + offset converts from `from` to `to`; undefined when the two are not the same dimension. */
export interface Conversion {
  scale: number;
  offset: number;
}

export function conversion(from: string, to: string): Conversion | undefined {
  if (from === to) return { scale: 1, offset: 0 };
  const source = units[from];
  const target = units[to];
  if (!source || !target || source.dimension !== target.dimension) return undefined;
  // base = x*s1 + o1; y = (base - o2)/s2
  return { scale: source.scale / target.scale, offset: (source.offset - target.offset) / target.scale };
}
