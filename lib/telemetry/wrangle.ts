/**
 * Brings a device's window to the schema of its on-chain metadata: channels matched by name, values converted
 * to the schema's units, timestamps to Unix milliseconds. Nothing is dropped without a trace: each bad cell
 * keeps its row and gets a flag, and the window's quality report counts every kind of flag.
 */
import type { SensorBounds } from "../chain/seed.ts";
import { conversion, type Conversion } from "./units.ts";
import type { Channel, SignedWindow, TimeFormat } from "./window.ts";

/** Per-value flags. */
export const ValueFlag = { ok: 0, missing: 1, invalid: 2, outOfRange: 3 } as const;
export type ValueFlag = (typeof ValueFlag)[keyof typeof ValueFlag];

export type RowFlag = "malformed-row" | "bad-timestamp" | "time-outside-window" | "time-not-increasing";

export interface WindowQuality {
  rows: number;
  /** Cells in the schema's sensors × rows. */
  values: number;
  valid: number;
  missing: number;
  invalid: number;
  outOfRange: number;
  malformedRows: number;
  badTimestamps: number;
  /** Rows whose time is outside the signed span or not after the previous row's. */
  timeOrderIssues: number;
  /** Device channels that match no schema sensor (ignored, but reported). */
  unknownChannels: string[];
  /** Device channels whose unit cannot be converted to the schema's (their values count as invalid). */
  unconvertibleChannels: string[];
}

export interface WrangledWindow {
  sensors: readonly SensorBounds[];
  /** Unix ms per row; NaN when the row's timestamp is bad. */
  timestamps: Float64Array;
  /** rows × sensors, in schema order and units; NaN where missing or invalid. */
  values: Float64Array;
  flags: Uint8Array;
  rowFlags: Map<number, RowFlag[]>;
  quality: WindowQuality;
}

function parseTimestamp(cell: unknown, format: TimeFormat): number {
  if (format === "iso8601") {
    if (typeof cell !== "string") return Number.NaN;
    return Date.parse(cell);
  }
  const value = typeof cell === "number" ? cell : typeof cell === "string" && cell.trim() !== "" ? Number(cell) : Number.NaN;
  if (!Number.isFinite(value) || value < 0) return Number.NaN;
  return format === "epoch-s" ? value * 1000 : value;
}

/** A cell's number; NaN when it is invalid; undefined when it is missing. */
function parseValue(cell: unknown): number | undefined {
  if (cell === null || cell === undefined || cell === "") return undefined;
  const value = typeof cell === "number" ? cell : typeof cell === "string" && cell.trim() !== "" ? Number(cell.trim()) : Number.NaN;
  return Number.isFinite(value) ? value : Number.NaN;
}

interface ChannelPlan {
  /** For each device column (after the timestamp): the schema sensor it fills, or -1. */
  targetOf: Int32Array;
  conversions: (Conversion | undefined)[];
  unknownChannels: string[];
  unconvertibleChannels: string[];
}

function planChannels(channels: readonly Channel[], sensors: readonly SensorBounds[]): ChannelPlan {
  const targetOf = new Int32Array(channels.length).fill(-1);
  const conversions: (Conversion | undefined)[] = [];
  const unknownChannels: string[] = [];
  const unconvertibleChannels: string[] = [];
  channels.forEach((channel, c) => {
    const sensor = sensors.findIndex((candidate) => candidate.name === channel.name);
    if (sensor < 0) {
      unknownChannels.push(channel.name);
      conversions.push(undefined);
      return;
    }
    targetOf[c] = sensor;
    const converted = conversion(channel.unit, sensors[sensor]!.unit);
    if (!converted) unconvertibleChannels.push(`${channel.name} (${channel.unit} → ${sensors[sensor]!.unit})`);
    conversions.push(converted);
  });
  return { targetOf, conversions, unknownChannels, unconvertibleChannels };
}

export function wrangleWindow(window: Pick<SignedWindow, "channels" | "rows" | "timeFormat" | "startTime" | "endTime">, sensors: readonly SensorBounds[]): WrangledWindow {
  const rowCount = window.rows.length;
  const sensorCount = sensors.length;
  const plan = planChannels(window.channels, sensors);
  const timestamps = new Float64Array(rowCount);
  const values = new Float64Array(rowCount * sensorCount).fill(Number.NaN);
  const flags = new Uint8Array(rowCount * sensorCount).fill(ValueFlag.missing);
  const rowFlags = new Map<number, RowFlag[]>();
  const flagRow = (row: number, flag: RowFlag) => {
    const existing = rowFlags.get(row);
    if (existing) existing.push(flag);
    else rowFlags.set(row, [flag]);
  };
  const expectedWidth = window.channels.length + 1;
  let malformedRows = 0;
  let badTimestamps = 0;
  let timeOrderIssues = 0;
  let previousTime = Number.NEGATIVE_INFINITY;

  for (let r = 0; r < rowCount; r++) {
    const row = window.rows[r]!;
    if (row.length !== expectedWidth) {
      malformedRows++;
      flagRow(r, "malformed-row");
    }
    const time = parseTimestamp(row[0], window.timeFormat);
    timestamps[r] = time;
    if (Number.isNaN(time)) {
      badTimestamps++;
      flagRow(r, "bad-timestamp");
    } else if (time < window.startTime || time > window.endTime) {
      timeOrderIssues++;
      flagRow(r, "time-outside-window");
    } else if (time <= previousTime) {
      timeOrderIssues++;
      flagRow(r, "time-not-increasing");
    }
    if (!Number.isNaN(time)) previousTime = Math.max(previousTime, time);

    const cells = Math.min(row.length - 1, window.channels.length);
    for (let c = 0; c < cells; c++) {
      const sensor = plan.targetOf[c]!;
      if (sensor < 0) continue;
      const at = r * sensorCount + sensor;
      const parsed = parseValue(row[c + 1]);
      const convert = plan.conversions[c];
      if (parsed === undefined) {
        flags[at] = ValueFlag.missing;
      } else if (Number.isNaN(parsed) || !convert) {
        flags[at] = ValueFlag.invalid;
      } else {
        const value = parsed * convert.scale + convert.offset;
        values[at] = value;
        const bounds = sensors[sensor]!;
        flags[at] = value < bounds.min || value > bounds.max ? ValueFlag.outOfRange : ValueFlag.ok;
      }
    }
  }

  let valid = 0;
  let missing = 0;
  let invalid = 0;
  let outOfRange = 0;
  for (const flag of flags) {
    if (flag === ValueFlag.ok) valid++;
    else if (flag === ValueFlag.missing) missing++;
    else if (flag === ValueFlag.invalid) invalid++;
    else outOfRange++;
  }
  return {
    sensors,
    timestamps,
    values,
    flags,
    rowFlags,
    quality: {
      rows: rowCount,
      values: flags.length,
      valid,
      missing,
      invalid,
      outOfRange,
      malformedRows,
      badTimestamps,
      timeOrderIssues,
      unknownChannels: plan.unknownChannels,
      unconvertibleChannels: plan.unconvertibleChannels,
    },
  };
}
