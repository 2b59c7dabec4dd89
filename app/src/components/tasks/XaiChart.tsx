"use client";
import { useState } from "react";
import { BarChart } from "../charts/BarChart";
import { importanceBars, topBars, type OracleReport } from "./oracle-report";
import styles from "./Tasks.module.css";

const kinds = {
  permutationImportance: { label: "Permutation importance", unit: "increase of the loss when the feature is shuffled" },
  gradientTimesInput: { label: "Gradient × input", unit: "mean |gradient × input|" },
} as const;
type Kind = keyof typeof kinds;

const TOP = 15;

/** The selected version's feature importance from its oracle report, either measure, the strongest features first. */
export function XaiChart({ report, versionId }: { report: OracleReport; versionId: bigint }) {
  const [kind, setKind] = useState<Kind>("permutationImportance");
  const [showAll, setShowAll] = useState(false);
  const bars = importanceBars(report, kind);
  const shown = showAll ? bars : topBars(bars, TOP);
  return (
    <div data-testid="xai-chart">
      <div className="toolbar">
        <div className={styles.toggle} role="group" aria-label="Importance measure">
          {(Object.keys(kinds) as Kind[]).map((key) => (
            <button key={key} type="button" aria-pressed={kind === key} onClick={() => setKind(key)}>{kinds[key].label}</button>
          ))}
        </div>
        {bars.length > TOP ? (
          <label className={styles.checkbox}>
            <input type="checkbox" checked={showAll} onChange={(event) => setShowAll(event.target.checked)} />
            Show all {bars.length} features
          </label>
        ) : null}
      </div>
      {bars.length === 0 ? (
        <p className="muted">The report of v{versionId.toString()} has no {kinds[kind].label.toLowerCase()} values.</p>
      ) : (
        <BarChart
          title={`${kinds[kind].label} of v${versionId}${shown.length < bars.length ? ` (the ${shown.length} strongest of ${bars.length} features)` : ""}`}
          bars={shown}
          valueLabel={`${kinds[kind].unit}${report.metric ? `; model ${report.metric.name} ${report.metric.value} on the rows evaluated` : ""}`}
        />
      )}
    </div>
  );
}
