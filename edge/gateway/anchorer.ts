/**
 * Moves buffered windows to their anchors: stores each window document on IPFS, then anchors the documents'
 * headers in batches (one transaction per batch, so on-chain cost grows with windows and batches, not readings).
 * Failures back off and retry; nothing leaves the buffer until its anchor is confirmed. After an uncertain send
 * (a timeout, a chain restart) it reconciles with the chain's WindowAnchored events before sending again, so a
 * window is never anchored twice.
 */
import { BaseError, ContractFunctionRevertedError, parseEventLogs, type Address, type Hex } from "viem";
import { provenanceAnchorAbi } from "../../lib/chain/abis.generated.ts";
import type { ChainClients, Wallet } from "../../lib/chain/clients.ts";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";
import type { ContentStore } from "../../lib/ipfs/store.ts";
import { encodeWindowDocument, windowDocument } from "../../lib/telemetry/document.ts";
import { wrangleWindow } from "../../lib/telemetry/wrangle.ts";
import type { BufferedWindow, WindowBuffer } from "./window-buffer.ts";

export interface AnchorerOptions {
  buffer: WindowBuffer;
  store: ContentStore;
  clients: ChainClients;
  wallet: Wallet;
  addresses: ContractAddresses;
  /** Anchor when this many windows are ready (at most the contract's MAX_BATCH)… */
  batchWindows: number;
  /** …or when the oldest ready window has waited this long (ms). */
  batchDelayMs: number;
  onEvent?: (event: AnchorerEvent) => void;
}

export type AnchorerEvent =
  | { event: "anchored"; windows: number; readings: number; firstWindowId: string; transactionHash: Hex; gasUsed: string; latenciesMs: number[] }
  | { event: "reconciled"; windows: number }
  | { event: "refused"; key: string; reason: string }
  | { event: "retrying"; stage: "ipfs" | "chain"; error: string; delayMs: number };

const MAX_BATCH = 256;
const MAX_BACKOFF_MS = 8_000;

export class Anchorer {
  readonly #options: AnchorerOptions;
  readonly #gateway: Address;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #needsReconcile = true;
  #backoffMs = 0;
  transactions = 0;
  gasUsed = 0n;

  constructor(options: AnchorerOptions) {
    this.#options = { ...options, batchWindows: Math.min(MAX_BATCH, Math.max(1, options.batchWindows)) };
    this.#gateway = options.wallet.account.address;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the current step; what is not anchored stays in the buffer for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  /** Tells the loop that new windows arrived. */
  poke(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let worked = false;
      try {
        // Both steps every turn: under sustained intake there are always documents to store, and batches must still go out.
        const stored = await this.#storeDocuments();
        const anchored = await this.#anchorReady();
        worked = stored || anchored;
        this.#backoffMs = 0;
      } catch (error) {
        const stage = (error as { stage?: "ipfs" | "chain" }).stage ?? "chain";
        if (stage === "chain") this.#needsReconcile = true;
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.#backoffMs * 2));
        this.#options.onEvent?.({ event: "retrying", stage, error: shortMessage(error), delayMs: this.#backoffMs });
        await this.#sleep(this.#backoffMs);
        continue;
      }
      if (!worked) await this.#sleep(this.#waitForBatchMs());
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #waitForBatchMs(): number {
    const oldest = this.#options.buffer.pending().find((entry) => entry.cid !== undefined);
    if (!oldest) return 1_000;
    return Math.max(10, oldest.receivedAt + this.#options.batchDelayMs - Date.now());
  }

  /** Stores the documents of windows that have none yet; true when it stored something. */
  async #storeDocuments(): Promise<boolean> {
    const unstored = this.#options.buffer.pending().filter((entry) => entry.cid === undefined).slice(0, 64);
    for (const entry of unstored) {
      const document = windowDocument(entry.window, wrangleWindow(entry.window, entry.sensors), this.#gateway, entry.receivedAt);
      let cid: string;
      try {
        cid = await this.#options.store.addFile(encodeWindowDocument(document));
      } catch (error) {
        throw Object.assign(new Error(`cannot store window ${entry.key} on IPFS: ${shortMessage(error)}`), { stage: "ipfs" as const });
      }
      await this.#options.buffer.markStored(entry.key, cid);
    }
    return unstored.length > 0;
  }

  /** Sends one batch when one is due; true when it sent one. */
  async #anchorReady(): Promise<boolean> {
    const ready = this.#options.buffer.pending().filter((entry) => entry.cid !== undefined);
    if (ready.length === 0) return false;
    const due = ready.length >= this.#options.batchWindows || ready[0]!.receivedAt + this.#options.batchDelayMs <= Date.now() || !this.#running;
    if (!due) return false;
    if (this.#needsReconcile) {
      await this.#reconcile();
      this.#needsReconcile = false;
      return true;
    }
    const batch = ready.slice(0, this.#options.batchWindows);
    await this.#send(batch);
    return true;
  }

  async #send(batch: BufferedWindow[]): Promise<void> {
    const { clients, wallet, addresses, buffer } = this.#options;
    const headers = batch.map((entry) => ({
      deviceAccount: entry.window.device,
      startTime: BigInt(entry.window.startTime),
      endTime: BigInt(entry.window.endTime),
      readingCount: entry.window.rows.length,
      root: entry.window.root,
      dataCid: entry.cid!,
    }));
    let hash: Hex;
    try {
      // Simulate first: a device revoked since its window was accepted makes the whole batch revert.
      const { request } = await clients.publicClient.simulateContract({ account: wallet.account, address: addresses.ProvenanceAnchor, abi: provenanceAnchorAbi, functionName: "anchorWindows", args: [headers] });
      hash = await wallet.writeContract(request);
    } catch (error) {
      const inactive = inactiveDevice(error);
      if (inactive) {
        for (const entry of batch.filter((candidate) => candidate.window.device.toLowerCase() === inactive.toLowerCase())) {
          const reason = `the chain refused the anchor: device ${inactive} is no longer active`;
          await buffer.markRefused(entry.key, reason);
          this.#options.onEvent?.({ event: "refused", key: entry.key, reason });
        }
        return;
      }
      throw Object.assign(new Error(`cannot anchor ${batch.length} windows: ${shortMessage(error)}`), { stage: "chain" as const });
    }
    // From here the transaction may be mined even if waiting fails: a failure means reconcile before resending.
    let receipt;
    try {
      receipt = await clients.publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
    } catch (error) {
      throw Object.assign(new Error(`anchor transaction ${hash} unconfirmed: ${shortMessage(error)}`), { stage: "chain" as const });
    }
    if (receipt.status !== "success") throw Object.assign(new Error(`anchor transaction ${hash} reverted`), { stage: "chain" as const });
    const events = parseEventLogs({ abi: provenanceAnchorAbi, logs: receipt.logs, eventName: "WindowAnchored" });
    await buffer.markAnchored(batch.map((entry) => entry.key), events.map((event) => event.args.windowId), hash, receipt.blockNumber);
    this.transactions++;
    this.gasUsed += receipt.gasUsed;
    const now = Date.now();
    this.#options.onEvent?.({
      event: "anchored",
      windows: batch.length,
      readings: batch.reduce((sum, entry) => sum + entry.window.rows.length, 0),
      firstWindowId: String(events[0]?.args.windowId ?? 0n),
      transactionHash: hash,
      gasUsed: receipt.gasUsed.toString(),
      latenciesMs: batch.map((entry) => now - entry.receivedAt),
    });
  }

  /** Marks buffered windows whose anchors are already on chain (sent before a crash or an outage) as anchored. */
  async #reconcile(): Promise<void> {
    const { clients, addresses, buffer } = this.#options;
    const latest = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
    const fromBlock = buffer.anchoredThroughBlock + 1n;
    if (fromBlock > latest) return;
    const byCid = new Map(buffer.pending().filter((entry) => entry.cid).map((entry) => [entry.cid!, entry]));
    if (byCid.size === 0) return;
    const logs = await clients.publicClient.getLogs({
      address: addresses.ProvenanceAnchor,
      event: provenanceAnchorAbi.find((item) => item.type === "event" && item.name === "WindowAnchored")!,
      args: { gateway: this.#gateway },
      fromBlock,
      toBlock: latest,
    });
    let found = 0;
    for (const log of logs) {
      const entry = byCid.get(log.args.dataCid!);
      if (!entry || entry.window.device.toLowerCase() !== log.args.deviceAccount!.toLowerCase()) continue;
      await buffer.markAnchored([entry.key], [log.args.windowId!], log.transactionHash, log.blockNumber);
      byCid.delete(log.args.dataCid!);
      found++;
    }
    if (found > 0) this.#options.onEvent?.({ event: "reconciled", windows: found });
  }
}

function inactiveDevice(error: unknown): Address | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName === "DeviceNotActive") return revert.data.args?.[0] as Address;
  return undefined;
}

function shortMessage(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return (error as Error).message.split("\n")[0] ?? String(error);
}
