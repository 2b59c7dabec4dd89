"use client";
/**
 * The data hooks of the Tasks and Rounds pages: task histories from the chain log, `version(id)` reads for what
 * only storage holds, oracle reports from IPFS (content-addressed, so read once), and block times for "when".
 */
import { useQueries } from "@tanstack/react-query";
import { useMemo } from "react";
import { usePublicClient, useReadContracts } from "wagmi";
import { modelRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, useChainLog } from "@/lib/chain-log";
import { catJson } from "@/lib/ipfs";
import { parseOracleReport, type ParsedReport } from "./oracle-report";
import { deriveTaskHistories, historyEventNames, type VersionRead } from "./task-history";

export function useModelHistory() {
  const log = useChainLog();
  const events = log.data?.events;
  const tasks = useMemo(() => deriveTaskHistories(eventsNamed(events ? { events, toBlock: 0n } : undefined, ...historyEventNames)), [events]);
  return { tasks, events, isLoading: log.isLoading, error: log.error };
}

export function useVersionReads(versionIds: readonly bigint[]) {
  const { addresses } = useAppConfig();
  const reads = useReadContracts({
    contracts: versionIds.map((versionId) => ({ address: addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "version", args: [versionId] }) as const),
    // Decisions change decidedAt; the events already carry the status, so a slow refresh is enough.
    query: { enabled: versionIds.length > 0, refetchInterval: 5_000 },
  });
  const byId = useMemo(() => {
    const map = new Map<bigint, VersionRead>();
    reads.data?.forEach((entry, index) => {
      const versionId = versionIds[index];
      if (entry.status === "success" && versionId !== undefined) map.set(versionId, entry.result);
    });
    return map;
  }, [reads.data, versionIds]);
  return { reads: byId, isLoading: reads.isLoading, error: reads.error };
}

export type ReportState = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; parsed: ParsedReport };

/** Reports by CID, each fetched and parsed once (a CID's content never changes). */
export function useOracleReports(cids: readonly string[]): Map<string, ReportState> {
  const results = useQueries({
    queries: cids.map((cid) => ({
      queryKey: ["oracle-report", cid],
      queryFn: async ({ signal }: { signal: AbortSignal }) => parseOracleReport(await catJson(cid, { signal })),
      staleTime: Infinity,
      gcTime: Infinity,
      retry: 2,
    })),
  });
  const map = new Map<string, ReportState>();
  cids.forEach((cid, index) => {
    const result = results[index];
    if (!result || result.isPending) map.set(cid, { state: "loading" });
    else if (result.isError) map.set(cid, { state: "error", message: result.error instanceof Error ? result.error.message : String(result.error) });
    else map.set(cid, { state: "ready", parsed: result.data });
  });
  return map;
}

/** Unix seconds of each block (blocks never change, so each is read once). */
export function useBlockTimes(blockNumbers: readonly bigint[]): Map<bigint, number> {
  const client = usePublicClient();
  const { deploymentId } = useAppConfig();
  const unique = [...new Set(blockNumbers)];
  const results = useQueries({
    queries: unique.map((blockNumber) => ({
      queryKey: ["block-time", deploymentId, blockNumber.toString()],
      enabled: client !== undefined,
      queryFn: async () => {
        if (!client) throw new Error("no chain client");
        return Number((await client.getBlock({ blockNumber })).timestamp);
      },
      staleTime: Infinity,
      gcTime: Infinity,
    })),
  });
  const map = new Map<bigint, number>();
  unique.forEach((blockNumber, index) => {
    const time = results[index]?.data;
    if (time !== undefined) map.set(blockNumber, time);
  });
  return map;
}

export function formatTime(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined) return "…";
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
