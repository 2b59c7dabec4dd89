"use client";
/**
 * Every event of the deployed suite, decoded, in chain order, and kept current: the first read fetches the logs
 * from block 0, later reads (every second) only the blocks since. Pages derive their lists (organisations,
 * devices, rounds, versions, reputation histories) from it and the overview shows its tail as the live feed.
 * Reading logs keeps the page independent of any indexer; a local chain answers in milliseconds.
 * Telemetry anchors (ProvenanceAnchor, a window per device every few seconds) are left out: they grow without
 * bound, and the pages that need them ask for one device's or one window's anchors.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { parseEventLogs, type Address, type Log, type PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import {
  accessManagerAbi,
  consortiumRegistryAbi,
  dataSharingLedgerAbi,
  deviceRegistryAbi,
  encryptionKeyRegistryAbi,
  modelRegistryAbi,
  reputationAbi,
  updateLedgerAbi,
} from "@/generated/contracts";
import { useAppConfig } from "./app-config";
import type { PublicAppConfig } from "./server-config";

export const suiteEventsAbi = [
  ...accessManagerAbi,
  ...consortiumRegistryAbi,
  ...deviceRegistryAbi,
  ...modelRegistryAbi,
  ...updateLedgerAbi,
  ...reputationAbi,
  ...dataSharingLedgerAbi,
  ...encryptionKeyRegistryAbi,
].filter((item) => item.type === "event");

export type ContractName = Exclude<keyof PublicAppConfig["addresses"], "ProvenanceAnchor">;

export type SuiteEvent = ReturnType<typeof parseEventLogs<typeof suiteEventsAbi>>[number] & { contract: ContractName };
export type SuiteEventName = SuiteEvent["eventName"];
export type EventOf<name extends SuiteEventName> = Extract<SuiteEvent, { eventName: name }>;

export interface ChainLog {
  events: SuiteEvent[];
  /** The last block read. */
  toBlock: bigint;
}

export async function readSuiteEvents(client: PublicClient, addresses: PublicAppConfig["addresses"], fromBlock: bigint, toBlock: bigint | "latest"): Promise<SuiteEvent[]> {
  if (toBlock !== "latest" && toBlock < fromBlock) return [];
  const followed = Object.entries(addresses).filter(([name]) => name !== "ProvenanceAnchor") as [ContractName, Address][];
  const contractOf = new Map<string, ContractName>(followed.map(([name, address]) => [address.toLowerCase(), name]));
  const logs: Log[] = await client.getLogs({ address: followed.map(([, address]) => address), fromBlock, toBlock });
  // Events the suite's ABIs do not know (none today) are dropped rather than failing the page.
  return parseEventLogs({ abi: suiteEventsAbi, logs, strict: false }).map((event) => ({ ...event, contract: contractOf.get(event.address.toLowerCase())! }) as SuiteEvent);
}

export function useChainLog() {
  const config = useAppConfig();
  const client = usePublicClient();
  const queryClient = useQueryClient();
  const queryKey = ["chain-log", config.deploymentId] as const;
  return useQuery({
    queryKey,
    enabled: client !== undefined,
    refetchInterval: 1_000,
    staleTime: 0,
    queryFn: async (): Promise<ChainLog> => {
      if (!client) throw new Error("no chain client");
      const previous = queryClient.getQueryData<ChainLog>(queryKey);
      if (!previous) {
        // The first read sends the head and the logs up to "latest" in one JSON-RPC batch (the head first), so the
        // page waits one round trip; logs of a block mined in between are kept, and later reads start after them.
        const [head, events] = await Promise.all([client.getBlockNumber({ cacheTime: 0 }), readSuiteEvents(client as PublicClient, config.addresses, 0n, "latest")]);
        return { events, toBlock: events.reduce((newest, event) => (event.blockNumber > newest ? event.blockNumber : newest), head) };
      }
      const head = await client.getBlockNumber({ cacheTime: 0 });
      if (head <= previous.toBlock) return previous;
      const fresh = await readSuiteEvents(client as PublicClient, config.addresses, previous.toBlock + 1n, head);
      return { events: fresh.length ? [...previous.events, ...fresh] : previous.events, toBlock: head };
    },
  });
}

export function eventsNamed<name extends SuiteEventName>(log: ChainLog | undefined, ...names: name[]): EventOf<name>[] {
  if (!log) return [];
  const wanted = new Set<string>(names);
  return log.events.filter((event): event is EventOf<name> => wanted.has(event.eventName));
}
