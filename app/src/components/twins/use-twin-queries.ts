"use client";
/** The twin API's views as queries, refreshed every few seconds (the twin applies a window per device every ~2 s). */
import { useQueries, useQuery } from "@tanstack/react-query";
import type { Anomaly } from "../../../../twin/records.ts";
import { useAppConfig } from "@/lib/app-config";
import { anomalyListSchema, assetListSchema, decisionListSchema, predictionListSchema, readTwin, twinStateSchema, TwinUnavailableError } from "./twin-api";

const REFRESH_MS = 3_000;
/** While the twin is unavailable, ask rarely: every request then fails (and the browser logs each failure). */
const UNAVAILABLE_REFRESH_MS = 15_000;

/** Refresh and retry policy shared by the twin's queries. */
const polling = {
  refetchInterval: (query: { state: { error: unknown } }) => (query.state.error instanceof TwinUnavailableError ? UNAVAILABLE_REFRESH_MS : REFRESH_MS),
  retry: (failures: number, error: unknown) => !(error instanceof TwinUnavailableError) && failures < 1,
};

export function useTwinAssets() {
  const { deploymentId, services } = useAppConfig();
  const list = useQuery({
    queryKey: ["twin", deploymentId, "assets"],
    enabled: services.twin,
    ...polling,
    queryFn: ({ signal }) => readTwin("assets", assetListSchema, signal),
  });
  const ids = list.data?.assets.map((asset) => asset.assetId) ?? [];
  const states = useQueries({
    queries: ids.map((assetId) => ({
      queryKey: ["twin", deploymentId, "asset", assetId],
      ...polling,
      queryFn: ({ signal }: { signal: AbortSignal }) => readTwin(`assets/${assetId}`, twinStateSchema, signal),
    })),
  });
  return { list, states };
}

export function useTwinState(assetId: number) {
  const { deploymentId } = useAppConfig();
  return useQuery({
    queryKey: ["twin", deploymentId, "asset", assetId],
    ...polling,
    queryFn: ({ signal }) => readTwin(`assets/${assetId}`, twinStateSchema, signal),
  });
}

export function useTwinAnomalies(assetId: number, kind: Anomaly["kind"] | "all", limit = 50) {
  const { deploymentId } = useAppConfig();
  return useQuery({
    queryKey: ["twin", deploymentId, "anomalies", assetId, kind, limit],
    ...polling,
    queryFn: ({ signal }) => readTwin(`assets/${assetId}/anomalies?limit=${limit}${kind === "all" ? "" : `&kind=${kind}`}`, anomalyListSchema, signal),
  });
}

export function useTwinPredictions(assetId: number, limit = 500) {
  const { deploymentId } = useAppConfig();
  return useQuery({
    queryKey: ["twin", deploymentId, "predictions", assetId, limit],
    ...polling,
    queryFn: ({ signal }) => readTwin(`assets/${assetId}/predictions?limit=${limit}`, predictionListSchema, signal),
  });
}

export function useTwinDecisions(assetId: number, limit = 20) {
  const { deploymentId } = useAppConfig();
  return useQuery({
    queryKey: ["twin", deploymentId, "decisions", assetId, limit],
    ...polling,
    queryFn: ({ signal }) => readTwin(`assets/${assetId}/decisions?limit=${limit}`, decisionListSchema, signal),
  });
}
