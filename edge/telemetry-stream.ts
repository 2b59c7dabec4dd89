/**
 * A device's telemetry uplink: collects readings into windows (by count or by age), signs each window with the
 * device key, and delivers it to a fog gateway. Delivery is at-least-once with idempotent retries: a window is
 * resent with its original sequence until the gateway answers, and "replayed-sequence" on a resend means an
 * earlier attempt already got through. A window the gateway refuses for cause (bad data, inactive device) is
 * counted with its reason and not retried.
 */
import type { Address, LocalAccount } from "viem";
import type { RawRow } from "../lib/telemetry/merkle.ts";
import { signWindow, type Channel, type SignedWindow, type TimeFormat } from "../lib/telemetry/window.ts";

export interface StreamerOptions {
  device: LocalAccount;
  chainId: number;
  provenanceAnchor: Address;
  gatewayUrl: string;
  channels: Channel[];
  timeFormat: TimeFormat;
  /** Seal a window at this many readings… */
  windowReadings: number;
  /** …or when its first reading is this old (ms). */
  windowMs: number;
  /** First sequence number; later windows count up. Defaults to the clock, so a restarted device never reuses one. */
  startSequence?: number;
  /** Sealed windows kept while the gateway is unreachable; beyond this the oldest is dropped and counted. */
  maxQueuedWindows?: number;
}

export interface StreamerStats {
  windowsDelivered: number;
  readingsDelivered: number;
  retries: number;
  refused: Record<string, number>;
  dropped: number;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export class TelemetryStreamer {
  readonly #options: StreamerOptions;
  #sequence: number;
  #rows: RawRow[] = [];
  #times: number[] = [];
  #queue: SignedWindow[] = [];
  #sending: Promise<void> | undefined;
  #attemptedOnce = new Set<number>();
  readonly stats: StreamerStats = { windowsDelivered: 0, readingsDelivered: 0, retries: 0, refused: {}, dropped: 0 };

  constructor(options: StreamerOptions) {
    this.#options = options;
    this.#sequence = options.startSequence ?? Date.now();
  }

  /** Adds one reading (`row[0]` is its timestamp in the declared format; `timeMs` the same instant in Unix ms). */
  async push(row: RawRow, timeMs: number): Promise<void> {
    this.#rows.push(row);
    this.#times.push(timeMs);
    if (this.#rows.length >= this.#options.windowReadings || timeMs - this.#times[0]! >= this.#options.windowMs) await this.seal();
  }

  /** Signs the readings collected so far as one window and queues it for delivery. */
  async seal(): Promise<void> {
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    const times = this.#times;
    this.#rows = [];
    this.#times = [];
    const window = await signWindow(this.#options.device, this.#options.chainId, this.#options.provenanceAnchor, {
      sequence: this.#sequence++,
      startTime: Math.min(...times),
      endTime: Math.max(...times),
      timeFormat: this.#options.timeFormat,
      channels: this.#options.channels,
      rows,
    });
    this.#queue.push(window);
    const limit = this.#options.maxQueuedWindows ?? 1000;
    while (this.#queue.length > limit) {
      this.#queue.shift();
      this.stats.dropped++;
    }
    this.#kick();
  }

  /** Seals what is pending and waits until the queue is delivered, or until `timeoutMs` passes. */
  async flush(timeoutMs = 30_000): Promise<void> {
    await this.seal();
    const deadline = Date.now() + timeoutMs;
    while ((this.#queue.length > 0 || this.#sending) && Date.now() < deadline) {
      this.#kick();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get queuedWindows(): number {
    return this.#queue.length;
  }

  #kick(): void {
    if (!this.#sending && this.#queue.length > 0) {
      this.#sending = this.#drain().finally(() => {
        this.#sending = undefined;
      });
    }
  }

  async #drain(): Promise<void> {
    let backoffMs = 100;
    while (this.#queue.length > 0) {
      const window = this.#queue[0]!;
      const outcome = await this.#deliver(window);
      if (outcome === "retry") {
        this.stats.retries++;
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(5_000, backoffMs * 2);
        continue;
      }
      backoffMs = 100;
      this.#queue.shift();
      this.#attemptedOnce.delete(window.sequence);
    }
  }

  async #deliver(window: SignedWindow): Promise<"done" | "retry"> {
    const resend = this.#attemptedOnce.has(window.sequence);
    this.#attemptedOnce.add(window.sequence);
    let response: Response;
    try {
      response = await fetch(`${this.#options.gatewayUrl}/windows`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(window) });
    } catch {
      return "retry";
    }
    const body = (await response.json().catch(() => ({}))) as { reason?: string };
    if (response.status === 202 || (resend && body.reason === "replayed-sequence")) {
      this.stats.windowsDelivered++;
      this.stats.readingsDelivered += window.rows.length;
      return "done";
    }
    if (RETRY_STATUSES.has(response.status)) return "retry";
    const reason = body.reason ?? `http-${response.status}`;
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
    return "done";
  }
}
