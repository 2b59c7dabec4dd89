"use client";
import { TwinDataState } from "./TwinDataState";
import { formatTime, modelLabel, newestFirst } from "./twin-format";
import { useTwinDecisions } from "./use-twin-queries";
import styles from "./Twins.module.css";

/** Maintenance recommendations (predicted RUL under the horizon) and calibration checks (one sensor drifting alone). */
export function DecisionList({ assetId }: { assetId: number }) {
  const decisions = useTwinDecisions(assetId);
  const rows = newestFirst(decisions.data?.decisions ?? []);
  return (
    <section aria-labelledby="decisions-heading">
      <h3 id="decisions-heading">Decisions</h3>
      <TwinDataState label="decisions" loading={decisions.isLoading} error={decisions.error} hasData={decisions.data !== undefined} empty={rows.length === 0} emptyText="No maintenance or calibration decision yet.">
        <ul className={styles.decisions} tabIndex={0} aria-label="Decisions, newest first">
          {rows.map((decision) => (
            <li key={`${decision.kind}-${decision.windowId}-${decision.timestamp}-${decision.kind === "calibration" ? decision.sensor : ""}`}>
              <span className={decision.kind === "maintenance" ? "badge badge-warn" : "badge"}>{decision.kind}</span>{" "}
              <span className="muted">{formatTime(decision.timestamp)} · model {modelLabel(decision.model)}</span>
              <div>{decision.reason}</div>
            </li>
          ))}
        </ul>
      </TwinDataState>
    </section>
  );
}
