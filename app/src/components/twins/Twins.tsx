"use client";
import { useSearchParams } from "next/navigation";
import { useAppConfig } from "@/lib/app-config";
import { DataState } from "../DataState";
import { AssetDetail } from "./AssetDetail";
import { AssetTable } from "./AssetTable";

/** `?asset=<id>` as an asset id, or null. */
function openedAsset(raw: string | null): number | null {
  if (raw === null || !/^[1-9][0-9]*$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

export function Twins() {
  const { services } = useAppConfig();
  const assetId = openedAsset(useSearchParams().get("asset"));
  return (
    <>
      <h1>Digital twins</h1>
      <p className="muted">
        One twin per registered asset, fed by the telemetry windows the gateways anchored on chain (each window is checked against its
        anchored root before it is applied), with operating bounds from the device&apos;s on-chain metadata and remaining useful life (RUL)
        predicted by the task&apos;s deployed model version.
      </p>
      {services.twin ? (
        <>
          <AssetTable opened={assetId} />
          {assetId === null ? (
            <p className="hint">Open an asset to follow its live telemetry, anomalies and predictions.</p>
          ) : (
            <AssetDetail key={assetId} assetId={assetId} />
          )}
        </>
      ) : (
        <DataState label="digital twins" loading={false} empty emptyText={<span data-testid="twin-unavailable">This network runs no digital-twin service, so there are no twins to show.</span>}>
          {null}
        </DataState>
      )}
    </>
  );
}
