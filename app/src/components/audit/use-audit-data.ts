"use client";
/** One device's anchored windows, for the Audit page's reading picker (tasks: useModelHistory; devices: useConsortium). */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Address } from "viem";
import { usePublicClient } from "wagmi";
import { provenanceAnchorAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import type { WindowAnchorRecord } from "./reading-proof";

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
