"use client";
/** What the Audit page picks from: tasks and their versions, registered devices, and one device's anchored windows. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Address, Hex } from "viem";
import { usePublicClient } from "wagmi";
import { provenanceAnchorAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, type ChainLog } from "@/lib/chain-log";
import { bytes32Label } from "@/lib/event-words";
import type { WindowAnchorRecord } from "./reading-proof";

export interface TaskVersions {
  taskId: Hex;
  name: string;
  genesisVersion: bigint;
  /** Every version of the task, oldest first (genesis, then each proposal). */
  versions: bigint[];
}

export function tasksOf(log: ChainLog | undefined): TaskVersions[] {
  const proposals = eventsNamed(log, "VersionProposed");
  return eventsNamed(log, "TaskCreated").map((task) => ({
    taskId: task.args.taskId,
    name: task.args.name,
    genesisVersion: task.args.genesisVersion,
    versions: [task.args.genesisVersion, ...proposals.filter((proposal) => proposal.args.taskId.toLowerCase() === task.args.taskId.toLowerCase()).map((proposal) => proposal.args.versionId)],
  }));
}

export interface RegisteredDevice {
  account: Address;
  assetId: bigint;
  assetLabel: string;
  organisationId: number;
}

export function devicesOf(log: ChainLog | undefined): RegisteredDevice[] {
  const labels = new Map(eventsNamed(log, "AssetRegistered").map((asset) => [asset.args.assetId, bytes32Label(asset.args.label)]));
  return eventsNamed(log, "DeviceRegistered").map((device) => ({
    account: device.args.deviceAccount,
    assetId: device.args.assetId,
    assetLabel: labels.get(device.args.assetId) ?? `asset ${device.args.assetId}`,
    organisationId: device.args.organisationId,
  }));
}

interface AnchoredWindows {
  /** Newest first. */
  windows: WindowAnchorRecord[];
  toBlock: bigint;
}

/**
 * The WindowAnchored events of one device, newest first, filtered on chain by the indexed device topic (never a
 * scan of every window): the first read from block 0, later reads only the blocks since.
 */
export function useAnchoredWindows(device: Address | undefined) {
  const { addresses, deploymentId } = useAppConfig();
  const client = usePublicClient();
  const queryClient = useQueryClient();
  const queryKey = ["anchored-windows", deploymentId, device ?? "none"] as const;
  return useQuery({
    queryKey,
    enabled: client !== undefined && device !== undefined,
    refetchInterval: 5_000,
    staleTime: 0,
    queryFn: async (): Promise<AnchoredWindows> => {
      if (!client || !device) throw new Error("no chain client");
      const previous = queryClient.getQueryData<AnchoredWindows>(queryKey);
      const head = await client.getBlockNumber({ cacheTime: 0 });
      const fromBlock = previous ? previous.toBlock + 1n : 0n;
      if (previous && head < fromBlock) return previous;
      const logs = await client.getContractEvents({
        address: addresses.ProvenanceAnchor,
        abi: provenanceAnchorAbi,
        eventName: "WindowAnchored",
        args: { deviceAccount: device },
        fromBlock,
        toBlock: head,
        strict: true,
      });
      const fresh = logs
        .map((log): WindowAnchorRecord => ({
          windowId: log.args.windowId,
          gateway: log.args.gateway,
          header: {
            deviceAccount: log.args.deviceAccount,
            startTime: log.args.startTime,
            endTime: log.args.endTime,
            readingCount: log.args.readingCount,
            root: log.args.root,
            dataCid: log.args.dataCid,
          },
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
        }))
        .reverse();
      return { windows: previous ? [...fresh, ...previous.windows] : fresh, toBlock: head };
    },
  });
}
