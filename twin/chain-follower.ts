/**
 * Follows the chain events a twin reacts to, in chain order: anchored telemetry windows, device metadata changes,
 * new assets, and model deployments of the twin's task. It polls getLogs over bounded block ranges (any
 * JSON-RPC node answers that; filters and websockets are not needed) and hands each range's events to the
 * runtime, advancing only after the runtime has handled them, so a failed range is retried, not skipped.
 */
import { getAbiItem, type Address, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { deviceRegistryAbi, modelRegistryAbi, provenanceAnchorAbi } from "../lib/chain/abis.generated.ts";
import type { AnchoredWindow } from "./anchored-window.ts";

const windowAnchored = getAbiItem({ abi: provenanceAnchorAbi, name: "WindowAnchored" });
const deviceMetadataUpdated = getAbiItem({ abi: deviceRegistryAbi, name: "DeviceMetadataUpdated" });
const assetRegistered = getAbiItem({ abi: deviceRegistryAbi, name: "AssetRegistered" });
const versionDeployed = getAbiItem({ abi: modelRegistryAbi, name: "VersionDeployed" });

export type ChainEvent =
  | ({ kind: "window" } & AnchoredWindow)
  | { kind: "metadata-updated"; device: Address; blockNumber: bigint }
  | { kind: "asset-registered"; assetId: number; organisationId: number; label: Hex; blockNumber: bigint }
  | { kind: "version-deployed"; versionId: number; previousVersion: number; blockNumber: bigint };

export interface FollowerOptions {
  provenanceAnchor: Address;
  deviceRegistry: Address;
  modelRegistry: Address;
  /** Only this task's deployments are reported. */
  taskId: Hex;
  fromBlock: bigint;
  /** Most blocks per getLogs call (providers cap ranges). */
  maxBlockRange: bigint;
  pollMs: number;
}

/** Reads the events of blocks from..to (inclusive), in chain order. */
export async function readChainEvents(publicClient: PublicClient<Transport, Chain>, options: FollowerOptions, fromBlock: bigint, toBlock: bigint): Promise<ChainEvent[]> {
  const logs = await publicClient.getLogs({
    address: [options.provenanceAnchor, options.deviceRegistry, options.modelRegistry],
    events: [windowAnchored, deviceMetadataUpdated, assetRegistered, versionDeployed],
    fromBlock,
    toBlock,
    strict: true,
  });
  logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  const from = (address: Address, expected: Address) => address.toLowerCase() === expected.toLowerCase();
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const blockNumber = log.blockNumber;
    switch (log.eventName) {
      case "WindowAnchored":
        if (!from(log.address, options.provenanceAnchor)) break;
        events.push({
          kind: "window",
          windowId: Number(log.args.windowId),
          device: log.args.deviceAccount,
          gateway: log.args.gateway,
          root: log.args.root,
          startTime: Number(log.args.startTime),
          endTime: Number(log.args.endTime),
          readingCount: log.args.readingCount,
          dataCid: log.args.dataCid,
          blockNumber,
        });
        break;
      case "DeviceMetadataUpdated":
        if (from(log.address, options.deviceRegistry)) events.push({ kind: "metadata-updated", device: log.args.deviceAccount, blockNumber });
        break;
      case "AssetRegistered":
        if (from(log.address, options.deviceRegistry)) events.push({ kind: "asset-registered", assetId: Number(log.args.assetId), organisationId: log.args.organisationId, label: log.args.label, blockNumber });
        break;
      case "VersionDeployed":
        if (from(log.address, options.modelRegistry) && log.args.taskId.toLowerCase() === options.taskId.toLowerCase()) {
          events.push({ kind: "version-deployed", versionId: Number(log.args.versionId), previousVersion: Number(log.args.previousVersion), blockNumber });
        }
        break;
    }
  }
  return events;
}

/** Polls the chain from `fromBlock` on and calls `handle` with each range's events, in order, until stopped. */
export class ChainFollower {
  private readonly publicClient: PublicClient<Transport, Chain>;
  private readonly options: FollowerOptions;
  private readonly handle: (events: ChainEvent[], toBlock: bigint) => Promise<void>;
  private readonly onError: (error: unknown) => void;
  private next: bigint;
  private timer: NodeJS.Timeout | undefined;
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The last block whose events have been handled (fromBlock − 1 before the first range). */
  handledThrough: bigint;

  constructor(
    publicClient: PublicClient<Transport, Chain>,
    options: FollowerOptions,
    handle: (events: ChainEvent[], toBlock: bigint) => Promise<void>,
    onError: (error: unknown) => void,
  ) {
    if (options.maxBlockRange < 1n) throw new Error("maxBlockRange must be at least 1");
    this.publicClient = publicClient;
    this.options = options;
    this.handle = handle;
    this.onError = onError;
    this.next = options.fromBlock;
    this.handledThrough = options.fromBlock - 1n;
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    this.schedule(0);
  }

  /**
   * Handles every block up to the current head, range by range; resolves when caught up. Calls are serialised
   * (the poll timer and a caller may overlap), so no range is handled twice.
   */
  catchUp(): Promise<void> {
    const run = this.tail.then(() => this.catchUpNow());
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async catchUpNow(): Promise<void> {
    const head = await this.publicClient.getBlockNumber({ cacheTime: 0 });
    while (!this.stopped && this.next <= head) {
      const toBlock = this.next + this.options.maxBlockRange - 1n < head ? this.next + this.options.maxBlockRange - 1n : head;
      const events = await readChainEvents(this.publicClient, this.options, this.next, toBlock);
      await this.handle(events, toBlock);
      this.handledThrough = toBlock;
      this.next = toBlock + 1n;
    }
  }

  /** Stops polling and waits for a poll in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tail;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.catchUp()
        .catch((error: unknown) => this.onError(error))
        .finally(() => this.schedule(this.options.pollMs));
    }, delayMs);
  }
}
