import { LineChart } from "../charts/LineChart";
import { formatEpsilon, privacySeries, type PrivacyPoint } from "./task-series";
import type { TaskPrivacy } from "../../../../lib/chain/policy.ts";
import styles from "./Tasks.module.css";

/**
 * The task's differential-privacy budget: ε (at δ) spent after each round, from the privacy accounting the
 * proposing oracle writes into each round's report.
 */
export function PrivacyBudget({ privacy, points, roundsWithoutAccounting, reportsLoading }: {
  privacy: TaskPrivacy | undefined;
  points: readonly PrivacyPoint[];
  /** Rounds whose report was read but carries no privacy block (older oracles). */
  roundsWithoutAccounting: readonly bigint[];
  reportsLoading: boolean;
}) {
  const latest = points.at(-1);
  return (
    <section className="panel" aria-labelledby="privacy-heading" data-testid="privacy-budget">
      <h2 id="privacy-heading">Privacy budget</h2>
      {privacy?.dp === undefined ? (
        <p data-testid="no-dp">No differential privacy: this task&apos;s policy asks devices for no clipping and no noise, so no (ε, δ) guarantee is accounted.</p>
      ) : (
        <>
          {latest ? (
            <div className={styles.current} data-testid="privacy-current">
              <div><div className={styles.big} data-testid="epsilon">ε = {formatEpsilon(latest.epsilon)}</div><div className="muted">at δ = {latest.privacy.delta} after {latest.privacy.rounds ?? "?"} {latest.privacy.rounds === 1 ? "round" : "rounds"} (round {latest.roundId.toString()})</div></div>
              <div><div className={styles.big}>{latest.privacy.effectiveNoiseMultiplier === undefined ? "—" : latest.privacy.effectiveNoiseMultiplier.toPrecision(3)}</div><div className="muted">σ effective (last round)</div></div>
              <div><div className={styles.big}>{latest.privacy.clipNorm ?? privacy.dp.clipNorm}</div><div className="muted">clip norm</div></div>
              <div><div className={styles.big}>{latest.privacy.noiseMultiplier ?? privacy.dp.noiseMultiplier}</div><div className="muted">noise multiplier σ</div></div>
              <div><div className={styles.big}>{(latest.privacy.encrypted ?? privacy.encryptedAggregation) ? "yes" : "no"}</div><div className="muted">encrypted aggregation</div></div>
            </div>
          ) : (
            <p className="muted">{reportsLoading ? "Reading the rounds' reports…" : "No round has released an update yet: nothing of the budget is spent."}</p>
          )}
          <p className="hint">
            Gaussian noise σ = {privacy.dp.noiseMultiplier} × clip {privacy.dp.clipNorm}, composed over rounds (Rényi DP).{" "}
            {privacy.encryptedAggregation
              ? "Updates are encrypted, so only the round's sum is released: each device is protected by the sum's noise."
              : "Updates are seen in the clear, so each device is protected only by its own share of the noise (σ effective)."}
          </p>
          {points.length > 0 ? <LineChart title="Privacy budget spent (ε) after each round" series={privacySeries(points)} xLabel="round" yLabel={`ε at δ = ${latest?.privacy.delta ?? privacy.dp.delta}`} height={200} /> : null}
          {points.some((point) => !Number.isFinite(point.epsilon)) ? <p className="hint">Rounds with an unbounded ε (an update released without noise) are left out of the chart.</p> : null}
          {roundsWithoutAccounting.length > 0 ? (
            <p className="hint" data-testid="privacy-missing">The reports of {roundsWithoutAccounting.map((id) => `round ${id}`).join(", ")} carry no privacy accounting (written by an older oracle).</p>
          ) : null}
        </>
      )}
    </section>
  );
}
