/**
 * Which model version the twins predict with. The chain decides: the tracker is told which version the task has
 * deployed (at startup, then at each VersionDeployed), loads it by CID in the background, with its weights checked
 * against the hash on chain, and switches only when it has loaded. Until then the previous version keeps
 * predicting, and every prediction names the version that made it. A version that fails to load is retried.
 */
import type { Hex } from "viem";
import type { ModelRef, TwinEvent } from "./records.ts";

/** A loaded, verified model, reduced to what the twin needs. */
export interface LoadedModel {
  /** The model's output (RUL, cycles) for one normalised feature row. */
  predict(features: Float32Array): number;
  dispose(): void;
}

export interface ModelSources {
  /** The version's record on chain. */
  readVersion(versionId: number): Promise<{ cid: string; weightsHash: Hex }>;
  /** Loads a model by CID, refusing it unless its weights hash to `weightsHash`. */
  load(cid: string, weightsHash: Hex): Promise<LoadedModel>;
}

export class ModelTracker {
  private readonly taskName: string;
  private readonly sources: ModelSources;
  private readonly retryMs: number;
  private readonly publish: (event: TwinEvent) => void;
  private active: { ref: ModelRef; weightsHash: Hex; model: LoadedModel } | undefined;
  private wanted: number | undefined;
  private loading: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Every switch so far, oldest first. */
  readonly switches: Extract<TwinEvent, { type: "model-switched" }>[] = [];

  constructor(taskName: string, sources: ModelSources, options: { retryMs: number }, publish: (event: TwinEvent) => void) {
    this.taskName = taskName;
    this.sources = sources;
    this.retryMs = options.retryMs;
    this.publish = publish;
  }

  /** The version predictions are made with now, or null before any has loaded. */
  get current(): ModelRef | null {
    return this.active?.ref ?? null;
  }

  /** The version the chain has deployed, as last reported (may still be loading). */
  get deployed(): number | undefined {
    return this.wanted;
  }

  /** Reports the task's deployed version; loads and switches to it in the background. */
  want(versionId: number): void {
    this.wanted = versionId;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.loading ??= this.settle().finally(() => (this.loading = undefined));
  }

  /** RUL from the current model, with the version that produced it; undefined without a model or for non-finite output. */
  predict(features: Float32Array): { rul: number; model: ModelRef } | undefined {
    if (!this.active) return undefined;
    const rul = this.active.model.predict(features);
    return Number.isFinite(rul) ? { rul, model: this.active.ref } : undefined;
  }

  /** Resolves when no load is in progress (a retry may still be scheduled). */
  async idle(): Promise<void> {
    while (this.loading) await this.loading;
  }

  /** Stops retries, waits for a load in progress, and frees the model. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.idle();
    this.active?.model.dispose();
    this.active = undefined;
  }

  private async settle(): Promise<void> {
    while (!this.stopped && this.wanted !== undefined && this.wanted !== this.active?.ref.versionId) {
      const versionId = this.wanted;
      let cid = "";
      try {
        const record = await this.sources.readVersion(versionId);
        cid = record.cid;
        const model = await this.sources.load(record.cid, record.weightsHash);
        if (this.stopped) {
          model.dispose();
          return;
        }
        const from = this.current;
        this.active?.model.dispose();
        this.active = { ref: { versionId, cid: record.cid }, weightsHash: record.weightsHash, model };
        const event = { type: "model-switched" as const, taskName: this.taskName, from, to: this.active.ref, weightsHash: record.weightsHash, switchedAt: Date.now() };
        this.switches.push(event);
        this.publish(event);
      } catch (error) {
        this.publish({ type: "model-load-failed", taskName: this.taskName, versionId, cid, error: error instanceof Error ? error.message : String(error) });
        if (!this.stopped && this.wanted === versionId) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            if (this.wanted === versionId) this.want(versionId);
          }, this.retryMs);
          this.retryTimer.unref();
        }
        // A newer version may have been reported while this one failed: try it now rather than after the retry delay.
        if (this.wanted === versionId) return;
      }
    }
  }
}
