/**
 * The gateway's disk buffer: every accepted window is fsynced to a journal before the device gets its
 * acknowledgement, and stays there until its anchor is confirmed on chain (or the chain refuses it for good).
 * Nothing accepted is lost to a crash, an IPFS outage or a chain outage; a restarted gateway replays the journal.
 * The buffer also owns each device's last accepted sequence, so a replayed window is refused even across
 * restarts, and it has a capacity: when full it refuses new windows with a clear error instead of growing.
 */
import type { Hex } from "viem";
import { Journal } from "../../lib/journal.ts";
import type { SensorBounds } from "../../lib/chain/seed.ts";
import type { SignedWindow } from "../../lib/telemetry/window.ts";
import { WindowRejected } from "./admission.ts";

export interface BufferedWindow {
  key: string;
  receivedAt: number;
  sensors: SensorBounds[];
  window: SignedWindow;
  /** The window document's CID, once stored on IPFS. */
  cid?: string;
}

type BufferRecord =
  | { type: "accepted"; key: string; receivedAt: number; sensors: SensorBounds[]; window: SignedWindow }
  | { type: "stored"; key: string; cid: string }
  | { type: "anchored"; keys: string[]; windowIds: string[]; transactionHash: Hex; blockNumber: string }
  | { type: "refused"; key: string; reason: string }
  | { type: "checkpoint"; sequences: Record<string, number>; anchoredThroughBlock: string; anchored: number; refused: number };

export interface BufferCapacity {
  windows: number;
  readings: number;
}

export const windowKey = (window: Pick<SignedWindow, "device" | "sequence">) => `${window.device.toLowerCase()}:${window.sequence}`;

export class WindowBuffer {
  readonly #journal: Journal<BufferRecord>;
  readonly #capacity: BufferCapacity;
  readonly #pending = new Map<string, BufferedWindow>();
  readonly #sequences = new Map<string, number>();
  #pendingReadings = 0;
  #recordsSinceCompaction = 0;
  #queue: { record: BufferRecord; resolve: () => void; reject: (error: Error) => void }[] = [];
  #flushScheduled = false;
  /** The highest block with an anchor recorded here: reconciliation with the chain starts after it. */
  anchoredThroughBlock = 0n;
  anchoredTotal = 0;
  refusedTotal = 0;

  private constructor(journal: Journal<BufferRecord>, capacity: BufferCapacity) {
    this.#journal = journal;
    this.#capacity = capacity;
  }

  static open(path: string, capacity: BufferCapacity): WindowBuffer {
    const { journal, records } = Journal.open<BufferRecord>(path);
    const buffer = new WindowBuffer(journal, capacity);
    for (const record of records) buffer.#apply(record);
    buffer.compact();
    return buffer;
  }

  #apply(record: BufferRecord): void {
    switch (record.type) {
      case "accepted": {
        const { key, receivedAt, sensors, window } = record;
        this.#pending.set(key, { key, receivedAt, sensors, window });
        this.#pendingReadings += window.rows.length;
        const device = window.device.toLowerCase();
        this.#sequences.set(device, Math.max(this.#sequences.get(device) ?? -1, window.sequence));
        break;
      }
      case "stored": {
        const entry = this.#pending.get(record.key);
        if (entry) entry.cid = record.cid;
        break;
      }
      case "anchored":
        for (const key of record.keys) this.#remove(key);
        this.anchoredTotal += record.keys.length;
        if (BigInt(record.blockNumber) > this.anchoredThroughBlock) this.anchoredThroughBlock = BigInt(record.blockNumber);
        break;
      case "refused":
        this.#remove(record.key);
        this.refusedTotal++;
        break;
      case "checkpoint":
        for (const [device, sequence] of Object.entries(record.sequences)) this.#sequences.set(device, sequence);
        this.anchoredThroughBlock = BigInt(record.anchoredThroughBlock);
        this.anchoredTotal = record.anchored;
        this.refusedTotal = record.refused;
        break;
    }
  }

  #remove(key: string): void {
    const entry = this.#pending.get(key);
    if (!entry) return;
    this.#pending.delete(key);
    this.#pendingReadings -= entry.window.rows.length;
  }

  /**
   * Takes a window into the buffer; resolves once it is on disk. Throws WindowRejected when the sequence was
   * already used or the buffer is full. The check and the reservation are synchronous, so two concurrent copies
   * of one window cannot both be accepted.
   */
  accept(window: SignedWindow, sensors: SensorBounds[], receivedAt: number): Promise<void> {
    const device = window.device.toLowerCase();
    const last = this.#sequences.get(device);
    if (last !== undefined && window.sequence <= last) {
      return Promise.reject(new WindowRejected("replayed-sequence", `sequence ${window.sequence} of ${window.device} is not after the last accepted sequence ${last}`));
    }
    if (this.#pending.size >= this.#capacity.windows || this.#pendingReadings + window.rows.length > this.#capacity.readings) {
      return Promise.reject(
        new WindowRejected(
          "buffer-full",
          `the gateway's buffer is full (${this.#pending.size} windows, ${this.#pendingReadings} readings waiting for their anchor; capacity ${this.#capacity.windows} windows, ${this.#capacity.readings} readings); retry later`,
        ),
      );
    }
    const record: BufferRecord = { type: "accepted", key: windowKey(window), receivedAt, sensors, window };
    this.#apply(record);
    return this.#write(record).catch((error: Error) => {
      this.#remove(record.key);
      if (last === undefined) this.#sequences.delete(device);
      else this.#sequences.set(device, last);
      throw error;
    });
  }

  markStored(key: string, cid: string): Promise<void> {
    const record: BufferRecord = { type: "stored", key, cid };
    this.#apply(record);
    return this.#write(record);
  }

  markAnchored(keys: string[], windowIds: bigint[], transactionHash: Hex, blockNumber: bigint): Promise<void> {
    const record: BufferRecord = { type: "anchored", keys, windowIds: windowIds.map(String), transactionHash, blockNumber: blockNumber.toString() };
    this.#apply(record);
    return this.#write(record);
  }

  markRefused(key: string, reason: string): Promise<void> {
    const record: BufferRecord = { type: "refused", key, reason };
    this.#apply(record);
    return this.#write(record);
  }

  /** Windows waiting for their anchor, in the order they were accepted. */
  pending(): BufferedWindow[] {
    return [...this.#pending.values()];
  }

  get pendingWindows(): number {
    return this.#pending.size;
  }

  get pendingReadings(): number {
    return this.#pendingReadings;
  }

  /** Group commit: records written in one event-loop turn share one write and one fsync. */
  #write(record: BufferRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.#flushScheduled = false;
    try {
      this.#journal.appendMany(batch.map((item) => item.record));
      this.#recordsSinceCompaction += batch.length;
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error as Error);
      return;
    }
    if (this.#recordsSinceCompaction > 4 * (this.#pending.size + 64)) this.compact();
  }

  /** Rewrites the journal as a checkpoint plus the windows still pending, so it does not grow without end. */
  compact(): void {
    const records: BufferRecord[] = [
      { type: "checkpoint", sequences: Object.fromEntries(this.#sequences), anchoredThroughBlock: this.anchoredThroughBlock.toString(), anchored: this.anchoredTotal, refused: this.refusedTotal },
    ];
    for (const entry of this.#pending.values()) {
      records.push({ type: "accepted", key: entry.key, receivedAt: entry.receivedAt, sensors: entry.sensors, window: entry.window });
      if (entry.cid) records.push({ type: "stored", key: entry.key, cid: entry.cid });
    }
    this.#journal.rewrite(records);
    this.#recordsSinceCompaction = 0;
  }

  close(): void {
    this.#journal.close();
  }
}
