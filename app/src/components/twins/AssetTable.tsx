"use client";
import Link from "next/link";
import { useConsortium } from "@/lib/use-consortium";
import { Address } from "../Address";
import { TwinDataState } from "./TwinDataState";
import { formatRul, modelLabel } from "./twin-format";
import { useTwinAssets } from "./use-twin-queries";
import styles from "./Twins.module.css";

export function AssetTable({ opened }: { opened: number | null }) {
  const { list, states } = useTwinAssets();
  const { organisationName } = useConsortium();
  const assets = list.data?.assets ?? [];
  return (
    <section aria-labelledby="assets-heading">
      <h2 id="assets-heading">Assets</h2>
      <TwinDataState label="digital twins" loading={list.isLoading} error={list.error} hasData={list.data !== undefined} empty={assets.length === 0} emptyText="The twin has not seen any registered asset yet.">
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Digital twins of the registered assets">
          <table data-testid="twin-assets">
            <thead>
              <tr>
                <th scope="col">asset</th>
                <th scope="col">organisation</th>
                <th scope="col">device</th>
                <th scope="col">readings applied</th>
                <th scope="col">model in use</th>
                <th scope="col">predicted RUL</th>
                <th scope="col">maintenance</th>
                <th scope="col">anomalies <span className="muted">(bounds · residual · drift)</span></th>
              </tr>
            </thead>
            <tbody>
              {assets.map((asset, index) => {
                const state = states[index]?.data;
                const counts = state?.health.anomalyCounts;
                const name = organisationName(asset.organisationId);
                return (
                  <tr key={asset.assetId} className={opened === asset.assetId ? styles.openedRow : undefined} data-testid="twin-asset">
                    <th scope="row" className={styles.rowHeader}>
                      <Link href={`/twins?asset=${asset.assetId}`} aria-current={opened === asset.assetId ? "true" : undefined}>{asset.label}</Link>
                    </th>
                    <td>{name ? `${name} (${asset.organisationId})` : `organisation ${asset.organisationId}`}</td>
                    <td>{state && state.devices.length > 0 ? state.devices.map((device) => <Address key={device.address} value={device.address} label="device" />) : asset.devices === 0 ? "none yet" : `${asset.devices} device${asset.devices === 1 ? "" : "s"}`}</td>
                    <td className={styles.number}>{state ? state.readingsApplied.toLocaleString("en") : "…"}</td>
                    <td>{state ? modelLabel(state.model) : "…"}</td>
                    <td className={styles.number}>{formatRul(asset.predictedRul)}</td>
                    <td>{state ? state.health.maintenanceDue ? <span className="badge badge-warn">due</span> : <span className="badge badge-ok">not due</span> : "…"}</td>
                    <td className={styles.number}>
                      {counts ? `${counts.bounds.toLocaleString("en")} · ${counts.residual.toLocaleString("en")} · ${counts.drift.toLocaleString("en")}` : asset.anomalyCount.toLocaleString("en")}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </TwinDataState>
    </section>
  );
}
