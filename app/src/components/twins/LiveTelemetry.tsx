"use client";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { TwinState } from "../../../../twin/asset-twin.ts";
import { LineChart } from "../charts/LineChart";
import { gapQuery, mergeReadings, readingOfEvent, sensorCharts, seedStart, TELEMETRY_CAPACITY, type TelemetryReading } from "./telemetry";
import { historySchema, readTwin, type FollowedEvent } from "./twin-api";
import { useTwinEvents, type StreamStatus } from "./use-twin-events";
import styles from "./Twins.module.css";

const statusWords: Record<StreamStatus, string> = {
  off: "not connected",
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
};

const newestOf = (readings: readonly TelemetryReading[]) => (readings.length ? readings[readings.length - 1]!.timestamp : null);

/**
 * The asset's last readings per sensor, seeded from the twin's history and kept current by the event stream.
 * A readings event carries its window's last row; the rows before it are fetched from the history, so the charts
 * show every reading, not one per window.
 */
export function LiveTelemetry({ assetId, state }: { assetId: number; state: TwinState }) {
  const [readings, setReadings] = useState<TelemetryReading[]>([]);
  const [seed, setSeed] = useState<"pending" | "done" | "failed">("pending");
  const [arrived, setArrived] = useState({ readings: 0, windows: 0, anomalies: 0, predictions: 0 });
  const latestAtOpen = useRef(state.latest);
  // Newest reading fetched from the history: where the next gap starts.
  const historyThrough = useRef<number | null>(null);
  const filling = useRef(false);
  const lifetime = useRef<AbortController | null>(null);

  const fetchHistory = useCallback(async (from: number, to: number | null, signal: AbortSignal) => {
    const query = `from=${Math.floor(from)}${to === null ? "" : `&to=${Math.floor(to)}`}&limit=1000`;
    const history = await readTwin(`assets/${assetId}/history?${query}`, historySchema, signal);
    const newest = newestOf(history.readings);
    if (newest !== null) historyThrough.current = Math.max(historyThrough.current ?? 0, newest);
    setReadings((current) => mergeReadings(current, history.readings));
  }, [assetId]);

  useEffect(() => {
    const controller = new AbortController();
    lifetime.current = controller;
    fetchHistory(seedStart(latestAtOpen.current), null, controller.signal).then(
      () => setSeed("done"),
      () => {
        // Aborted on unmount, or the history is unavailable: the stream still fills the charts.
        if (!controller.signal.aborted) setSeed("failed");
      },
    );
    return () => controller.abort();
  }, [fetchHistory]);

  const fillGap = useCallback((eventTimestamp: number) => {
    const controller = lifetime.current;
    // One fill at a time; the next event's fill starts where the history ends, so a skipped one is covered.
    if (!controller || controller.signal.aborted || filling.current) return;
    const query = gapQuery(historyThrough.current, eventTimestamp);
    if (!query) return;
    filling.current = true;
    fetchHistory(query.from, query.to, controller.signal)
      .catch(() => {
        // The event's own row is already charted; the next event retries the gap.
      })
      .finally(() => {
        filling.current = false;
      });
  }, [fetchHistory]);

  const onEvent = useCallback((event: FollowedEvent) => {
    switch (event.type) {
      case "readings":
        setArrived((count) => ({ ...count, readings: count.readings + event.rows, windows: count.windows + 1 }));
        setReadings((current) => mergeReadings(current, [readingOfEvent(event)]));
        fillGap(event.timestamp);
        break;
      case "anomaly":
        setArrived((count) => ({ ...count, anomalies: count.anomalies + 1 }));
        break;
      case "prediction":
        setArrived((count) => ({ ...count, predictions: count.predictions + 1 }));
        break;
      case "decision":
        break;
    }
  }, [fillGap]);

  const status = useTwinEvents(assetId, onEvent);
  const charts = useMemo(() => sensorCharts(readings, state.devices), [readings, state.devices]);

  return (
    <section aria-labelledby="telemetry-heading">
      <h3 id="telemetry-heading">Live telemetry</h3>
      <div className={styles.streamBar}>
        <p role="status" className={styles.streamStatus} data-testid="stream-status" data-status={status}>
          <span className={`${styles.dot} ${status === "live" ? styles.dotLive : styles.dotWaiting}`} aria-hidden="true" />
          Event stream: {statusWords[status]}
        </p>
        <p className={styles.arrived}>
          <strong data-testid="telemetry-count">{arrived.readings.toLocaleString("en")}</strong> readings arrived since this page opened
          <span className="muted"> ({arrived.windows} windows, {arrived.anomalies} anomalies, {arrived.predictions} predictions)</span>
        </p>
      </div>
      <p className="hint">
        The last {readings.length} readings per sensor (the page keeps at most {TELEMETRY_CAPACITY}); x is seconds before the newest reading. The flat lines are the
        sensor&apos;s operating bounds from the device&apos;s on-chain metadata.
        {seed === "failed" ? " The twin's history could not be read, so the charts start with the live readings." : null}
      </p>
      {seed === "pending" && readings.length === 0 ? (
        <p role="status" className="state state-loading"><span className="spinner" aria-hidden="true" /> Loading the recent readings…</p>
      ) : charts.length === 0 ? (
        <p className="state">The twin knows no sensors of this asset&apos;s devices.</p>
      ) : (
        <div className={styles.charts} data-testid="telemetry-charts">
          {charts.map((chart) => (
            <div key={chart.key} className={styles.sensorChart}>
              <LineChart title={chart.title} series={chart.series} xLabel="seconds before the newest reading" yLabel={chart.unit === "1" ? chart.sensor : chart.unit} height={200} />
              <p className={styles.sensorFacts}>
                bounds [{chart.min}, {chart.max}]{chart.unit === "1" ? "" : ` ${chart.unit}`} · latest {chart.latest === null ? "—" : chart.latest}
                {chart.outOfBounds > 0 ? <> · <span className="badge badge-warn">{chart.outOfBounds} of {chart.points} outside</span></> : null}
              </p>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
