/**
 * The live telemetry window of an opened twin, as pure functions: readings from the history and the event stream
 * merged into one bounded, time-ordered buffer, and the per-sensor chart series derived from it.
 */
import type { Address } from "viem";
import type { HistoryEntry, TwinState } from "../../../../twin/asset-twin.ts";
import type { LineSeries } from "../charts/LineChart";
import type { ReadingsEvent } from "./twin-api";

/** Readings kept per asset: 30 s of one device at the fleet's 20 readings a second. */
export const TELEMETRY_CAPACITY = 600;
/** How far back the charts are seeded from the twin's history when an asset opens. */
export const SEED_SPAN_MS = 30_000;

export type TelemetryReading = HistoryEntry;

const keyOf = (reading: TelemetryReading) => `${reading.device.toLowerCase()}@${reading.timestamp}`;

/**
 * The newest `capacity` readings of `current` and `incoming`, oldest first. A reading seen twice (the stream's
 * latest row, then the same row from the history) is kept once: the later copy wins, so the history's complete
 * row replaces the event's.
 */
export function mergeReadings(current: readonly TelemetryReading[], incoming: readonly TelemetryReading[], capacity = TELEMETRY_CAPACITY): TelemetryReading[] {
  if (incoming.length === 0) return current.length > capacity ? current.slice(-capacity) : [...current];
  const byKey = new Map<string, TelemetryReading>();
  for (const reading of current) byKey.set(keyOf(reading), reading);
  for (const reading of incoming) byKey.set(keyOf(reading), reading);
  const merged = [...byKey.values()].sort((a, b) => a.timestamp - b.timestamp);
  return merged.length > capacity ? merged.slice(-capacity) : merged;
}

/** A readings event carries the window's last row: it is a reading in its own right. */
export function readingOfEvent(event: ReadingsEvent): TelemetryReading {
  return { timestamp: event.timestamp, windowId: event.windowId, device: event.device, values: event.values };
}

/** Where to start the history query that seeds the charts: `span` before the twin's latest reading. */
export function seedStart(latest: TwinState["latest"], span = SEED_SPAN_MS): number {
  const newest = Math.max(0, ...Object.values(latest).map((reading) => reading.timestamp));
  return Math.max(0, newest - span);
}

/**
 * The history query that fills the rows between what the page has and a new window's last reading (the event
 * carries only that row); never more than `span` back, so a long outage does not page through stale rows.
 */
export function gapQuery(newestKnown: number | null, eventTimestamp: number, span = SEED_SPAN_MS): { from: number; to: number } | null {
  const from = Math.max(newestKnown === null ? 0 : newestKnown + 1, eventTimestamp - span);
  return from <= eventTimestamp ? { from, to: eventTimestamp } : null;
}

export interface SensorChart {
  key: string;
  title: string;
  sensor: string;
  unit: string;
  device: Address;
  min: number;
  max: number;
  series: LineSeries[];
  latest: number | null;
  /** Readings in the buffer outside the sensor's on-chain operating bounds. */
  outOfBounds: number;
  points: number;
}

const shortAddress = (value: string) => `${value.slice(0, 6)}…${value.slice(-4)}`;

/**
 * One chart per sensor of each device (the device named when the asset has several): the readings as seconds
 * before the newest one, and the sensor's operating bounds from its on-chain metadata as two flat lines.
 */
export function sensorCharts(readings: readonly TelemetryReading[], devices: TwinState["devices"]): SensorChart[] {
  const newest = readings.length ? readings[readings.length - 1]!.timestamp : 0;
  const severalDevices = devices.length > 1;
  return devices.flatMap((device) => {
    const own = readings.filter((reading) => reading.device.toLowerCase() === device.address.toLowerCase());
    return device.sensors.map((sensor): SensorChart => {
      const points: { x: number; y: number }[] = [];
      let outOfBounds = 0;
      for (const reading of own) {
        const value = reading.values[sensor.name];
        if (value === null || value === undefined) continue;
        points.push({ x: (reading.timestamp - newest) / 1000, y: value });
        if (value < sensor.min || value > sensor.max) outOfBounds++;
      }
      const unit = sensor.unit === "1" ? "" : ` (${sensor.unit})`;
      const series: LineSeries[] = [{ name: sensor.name, points }];
      // Bounds as lines need two distinct x positions (the chart keys points by x).
      if (points.length >= 2 && points[0]!.x !== points[points.length - 1]!.x) {
        const span = [points[0]!.x, points[points.length - 1]!.x];
        const near = boundsNearData(points.map((point) => point.y), sensor.min, sensor.max);
        if (near.min) series.push({ name: `lower bound ${sensor.min}`, points: span.map((x) => ({ x, y: sensor.min })) });
        if (near.max) series.push({ name: `upper bound ${sensor.max}`, points: span.map((x) => ({ x, y: sensor.max })) });
      }
      return {
        key: `${device.address}/${sensor.name}`,
        title: `${severalDevices ? `${shortAddress(device.address)} ` : ""}${sensor.name}${unit}`,
        sensor: sensor.name,
        unit: sensor.unit,
        device: device.address,
        min: sensor.min,
        max: sensor.max,
        series,
        latest: points.length ? points[points.length - 1]!.y : null,
        outOfBounds,
        points: points.length,
      };
    });
  });
}

/**
 * Which bounds to draw: one far from the readings (a cycle counter's 0..10000) would squash them into a flat
 * line, so a bound is drawn only within three data ranges of the readings; the chart's caption states both anyway.
 */
export function boundsNearData(values: readonly number[], min: number, max: number): { min: boolean; max: boolean } {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const range = high - low;
  if (!(range > 0)) return { min: false, max: false };
  return { min: min >= low - 3 * range, max: max <= high + 3 * range };
}

/** Milliseconds before reconnecting the event stream after its `attempt`-th failure in a row: 1 s, doubling, at most 15 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(15_000, 1_000 * 2 ** Math.max(0, attempt - 1));
}
