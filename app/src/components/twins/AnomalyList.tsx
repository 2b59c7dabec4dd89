"use client";
import { useId, useState } from "react";
import type { Anomaly } from "../../../../twin/records.ts";
import { Address } from "../Address";
import { TwinDataState } from "./TwinDataState";
import { anomalyKindWords, describeAnomaly, formatTime, newestFirst } from "./twin-format";
import { useTwinAnomalies } from "./use-twin-queries";
import styles from "./Twins.module.css";

type KindFilter = Anomaly["kind"] | "all";
const kinds: KindFilter[] = ["all", "bounds", "residual", "drift"];
const kindBadge: Record<Anomaly["kind"], string> = { bounds: "badge badge-bad", residual: "badge badge-warn", drift: "badge" };

/** The twin's anomalies, newest first: bounds (on-chain operating bounds), residual (z-score) and drift (CUSUM). */
export function AnomalyList({ assetId, counts }: { assetId: number; counts: Record<Anomaly["kind"], number> }) {
  const [kind, setKind] = useState<KindFilter>("all");
  const anomalies = useTwinAnomalies(assetId, kind);
  const selectId = useId();
  const rows = newestFirst(anomalies.data?.anomalies ?? []);
  return (
    <section aria-labelledby="anomalies-heading">
      <h3 id="anomalies-heading">Anomalies</h3>
      <p className="muted">
        {counts.bounds.toLocaleString("en")} out of bounds, {counts.residual.toLocaleString("en")} residual, {counts.drift.toLocaleString("en")} drift
        since the twin started. The newest 50 of the chosen kind:
      </p>
      <div className="toolbar">
        <div>
          <label htmlFor={selectId}>Kind</label>
          <select id={selectId} value={kind} onChange={(event) => setKind(event.target.value as KindFilter)}>
            {kinds.map((option) => <option key={option} value={option}>{option === "all" ? "all kinds" : anomalyKindWords[option]}</option>)}
          </select>
        </div>
      </div>
      <TwinDataState label="anomalies" loading={anomalies.isLoading} error={anomalies.error} hasData={anomalies.data !== undefined} empty={rows.length === 0} emptyText="No anomaly of this kind has been recorded.">
        <div className={`table-wrap ${styles.scrollTable}`} tabIndex={0} role="region" aria-label="Anomalies, newest first">
          <table data-testid="anomalies">
            <thead>
              <tr><th scope="col">time</th><th scope="col">kind</th><th scope="col">sensor</th><th scope="col">what the twin saw</th><th scope="col">window · row</th><th scope="col">device</th></tr>
            </thead>
            <tbody>
              {rows.map((anomaly) => (
                <tr key={`${anomaly.windowId}-${anomaly.row}-${anomaly.sensor}-${anomaly.kind}`}>
                  <td className={styles.number}>{formatTime(anomaly.timestamp)}</td>
                  <td><span className={kindBadge[anomaly.kind]}>{anomalyKindWords[anomaly.kind]}</span></td>
                  <td>{anomaly.sensor}</td>
                  <td>{describeAnomaly(anomaly)}</td>
                  <td className={styles.number}>{anomaly.windowId} · {anomaly.row}</td>
                  <td><Address value={anomaly.device} label="device" /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </TwinDataState>
    </section>
  );
}
