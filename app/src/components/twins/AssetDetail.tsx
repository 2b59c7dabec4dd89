"use client";
import { Address } from "../Address";
import { AnomalyList } from "./AnomalyList";
import { DecisionList } from "./DecisionList";
import { LiveTelemetry } from "./LiveTelemetry";
import { Predictions } from "./Predictions";
import { TwinDataState } from "./TwinDataState";
import { formatRul, modelLabel } from "./twin-format";
import { useTwinState } from "./use-twin-queries";
import styles from "./Twins.module.css";

/** One opened twin: its health, live telemetry, anomalies, predictions and decisions. */
export function AssetDetail({ assetId }: { assetId: number }) {
  const state = useTwinState(assetId);
  const twin = state.data;
  return (
    <section aria-labelledby="twin-heading" className={styles.detail} data-testid="twin-detail">
      <h2 id="twin-heading">{twin ? `${twin.label} (asset ${twin.assetId})` : `Asset ${assetId}`}</h2>
      <TwinDataState label={`the twin of asset ${assetId}`} loading={state.isLoading} error={state.error} hasData={twin !== undefined}>
        {twin ? (
          <>
            <div className={`cards ${styles.stats}`}>
              <div className="card"><div className="value">{formatRul(twin.health.predictedRul)}</div><div className="label">predicted RUL{twin.health.predictionModel ? ` (model ${modelLabel(twin.health.predictionModel)})` : ""}</div></div>
              <div className="card">
                <div className="value">{twin.health.maintenanceDue ? <span className="badge badge-warn">due</span> : <span className="badge badge-ok">not due</span>}</div>
                <div className="label">maintenance</div>
              </div>
              <div className="card"><div className="value">{twin.health.cycle ?? "—"}</div><div className="label">cycle of the current unit ({twin.health.unitsSeen} units seen)</div></div>
              <div className="card"><div className="value">{twin.readingsApplied.toLocaleString("en")}</div><div className="label">readings applied, from {twin.windowsApplied.toLocaleString("en")} anchored windows</div></div>
              <div className="card"><div className="value">{modelLabel(twin.model)}</div><div className="label">model version in use</div></div>
              <div className="card"><div className="value">{twin.health.driftScore.toFixed(2)}</div><div className="label">highest drift score (CUSUM)</div></div>
            </div>
            <p className="muted">
              Devices:{" "}
              {twin.devices.map((device, index) => (
                <span key={device.address}>
                  {index > 0 ? ", " : null}
                  <Address value={device.address} label="device" /> ({device.deviceType}, {device.sensors.length} sensors, metadata <Address value={device.metadataCid} label="metadata CID" />)
                </span>
              ))}
            </p>
            <LiveTelemetry assetId={assetId} state={twin} />
            <AnomalyList assetId={assetId} counts={twin.health.anomalyCounts} />
            <Predictions assetId={assetId} model={twin.model} />
            <DecisionList assetId={assetId} />
          </>
        ) : null}
      </TwinDataState>
    </section>
  );
}
