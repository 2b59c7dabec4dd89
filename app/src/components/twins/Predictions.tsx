"use client";
import Link from "next/link";
import type { ModelRef } from "../../../../twin/records.ts";
import { Address } from "../Address";
import { LineChart } from "../charts/LineChart";
import { TwinDataState } from "./TwinDataState";
import { formatRul, formatTime, modelLabel, newestFirst, rulSeries } from "./twin-format";
import { useTwinPredictions } from "./use-twin-queries";
import styles from "./Twins.module.css";

/** RUL predictions, each naming the model version (ModelRegistry id and IPFS CID) that made it. */
export function Predictions({ assetId, model }: { assetId: number; model: ModelRef | null }) {
  const predictions = useTwinPredictions(assetId);
  const all = predictions.data?.predictions ?? [];
  const recent = newestFirst(all).slice(0, 15);
  const series = rulSeries(all);
  return (
    <section aria-labelledby="predictions-heading">
      <h3 id="predictions-heading">Remaining useful life</h3>
      <p className="muted">
        The twin predicts with the task&apos;s deployed model version, which it loads from IPFS and checks against the weights hash on chain:
        now {model ? <><strong>{modelLabel(model)}</strong> (<Address value={model.cid} label="model CID" />, <Link href={`/audit?version=${model.versionId}`}>verify it</Link>)</> : "no model yet"}.
      </p>
      <TwinDataState label="predictions" loading={predictions.isLoading} error={predictions.error} hasData={predictions.data !== undefined} empty={all.length === 0} emptyText="The twin has made no prediction for this asset yet.">
        <LineChart title={`Predicted RUL over time, by model version (${series.map((line) => line.name.replace("model ", "")).join(", ")})`} series={series} xLabel="minutes before the latest prediction" yLabel="RUL (cycles)" height={240} />
        <p className="hint">{predictions.data?.total ?? 0} predictions in all; the chart shows the last {all.length}. A new unit starts with a jump up.</p>
        <div className={`table-wrap ${styles.scrollTable}`} tabIndex={0} role="region" aria-label="Recent predictions, newest first">
          <table data-testid="predictions">
            <thead>
              <tr><th scope="col">time</th><th scope="col">cycle</th><th scope="col">predicted RUL</th><th scope="col">model version</th><th scope="col">model CID</th><th scope="col">window</th></tr>
            </thead>
            <tbody>
              {recent.map((prediction) => (
                <tr key={`${prediction.windowId}-${prediction.timestamp}-${prediction.model.versionId}`}>
                  <td className={styles.number}>{formatTime(prediction.timestamp)}</td>
                  <td className={styles.number}>{Number.isNaN(prediction.cycle) ? "—" : prediction.cycle}</td>
                  <td className={styles.number}>{formatRul(prediction.rul)}</td>
                  <td data-testid="prediction-model">{modelLabel(prediction.model)}</td>
                  <td><Address value={prediction.model.cid} label="model CID" /></td>
                  <td className={styles.number}>{prediction.windowId}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </TwinDataState>
    </section>
  );
}
