/**
 * What the twin records and publishes: readings applied, anomalies, predictions, decisions and model switches.
 * These are the JSON shapes of the HTTP API and the server-sent events (see openapi.ts); ids that are uint on
 * chain (asset, window, model version) are JSON numbers, which is exact below 2^53.
 */
import type { Address } from "viem";

/** The model version a prediction or decision came from. */
export interface ModelRef {
  versionId: number;
  cid: string;
}

/** Where a reading came from: the on-chain window that anchored it, and its row in that window. */
export interface ReadingOrigin {
  assetId: number;
  device: Address;
  windowId: number;
  /** Unix ms of the reading. */
  timestamp: number;
}

export type Anomaly =
  | (ReadingOrigin & { kind: "bounds"; row: number; sensor: string; unit: string; value: number; min: number; max: number })
  | (ReadingOrigin & { kind: "residual"; row: number; sensor: string; unit: string; value: number; expected: number; zScore: number; threshold: number })
  | (ReadingOrigin & { kind: "drift"; row: number; sensor: string; unit: string; value: number; expected: number; driftScore: number; threshold: number });

export type AnomalyKind = Anomaly["kind"];

export interface Prediction extends ReadingOrigin {
  /** Predicted remaining useful life, in cycles. */
  rul: number;
  /** The unit's cycle count at the predicted reading. */
  cycle: number;
  model: ModelRef;
}

export type Decision =
  | (ReadingOrigin & { kind: "maintenance"; model: ModelRef | null; rul: number; horizon: number; reason: string })
  | (ReadingOrigin & { kind: "calibration"; model: ModelRef | null; sensor: string; driftScore: number; threshold: number; reason: string });

export interface ModelSwitch {
  taskName: string;
  from: ModelRef | null;
  to: ModelRef;
  weightsHash: string;
  /** Unix ms (wall clock of the twin) when the new version took over. */
  switchedAt: number;
}

/** Every live update, as sent on GET /events and printed by twin/main.ts. */
export type TwinEvent =
  | { type: "readings"; assetId: number; device: Address; windowId: number; rows: number; timestamp: number; values: Record<string, number | null> }
  | { type: "anomaly"; anomaly: Anomaly }
  | { type: "prediction"; prediction: Prediction }
  | { type: "decision"; decision: Decision }
  | ({ type: "model-switched" } & ModelSwitch)
  | { type: "model-load-failed"; taskName: string; versionId: number; cid: string; error: string }
  | { type: "window-rejected"; windowId: number; device: Address; reason: string; detail: string }
  /** Infrastructure trouble (an RPC call failed); the work is retried. */
  | { type: "error"; source: string; message: string };

export type TwinEventType = TwinEvent["type"];

/** Fan-out of live events to subscribers (the SSE stream, the process log). */
export class EventHub {
  private readonly listeners = new Set<(event: TwinEvent) => void>();

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: (event: TwinEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers an event to every listener; a throwing listener does not stop the others. */
  publish(event: TwinEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (e.g. a closed socket) must not break ingestion.
      }
    }
  }
}
