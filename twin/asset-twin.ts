/**
 * The digital twin of one registered asset: its latest readings, a bounded reading history, the detectors' state
 * per device, the current unit's raw history for RUL prediction, and the anomalies, predictions and decisions it
 * has recorded. In memory and synchronous: the runtime does the I/O (chain, IPFS, model) and feeds it verified
 * windows in anchoring order.
 */
import type { Address } from "viem";
import type { SensorBounds } from "../lib/chain/seed.ts";
import { maintenanceTransition, isolatedDrift, type DecisionConfig } from "./decisions.ts";
import { boundsViolations, newResidualState, newResidualStep, residualStep, type ResidualConfig, type ResidualState, type ResidualStep } from "./detectors.ts";
import type { Anomaly, AnomalyKind, Decision, ModelRef, Prediction, ReadingOrigin, TwinEvent } from "./records.ts";
import { Ring } from "./ring.ts";
import { UnitHistory } from "./unit-history.ts";

export interface AssetTwinConfig {
  residual: ResidualConfig;
  decisions: DecisionConfig;
  /** Readings kept for GET /history, per asset. */
  historyCapacity: number;
  /** Anomalies, predictions and decisions kept, each, per asset. */
  recordCapacity: number;
  /** The feature pipeline's raw columns (schema names), or undefined when the twin predicts nothing. */
  pipelineSensors?: readonly string[];
  /** The channel holding the unit's cycle count: it feeds the unit history and is not a physical reading to score. */
  cycleChannel: string;
}

/** A device of the asset, as its on-chain metadata describes it. */
export interface TwinDevice {
  address: Address;
  deviceType: string;
  metadataCid: string;
  sensors: readonly SensorBounds[];
}

/** A verified window, brought to the device's schema (values in schema units, NaN where missing or invalid). */
export interface AppliedWindow {
  windowId: number;
  device: Address;
  /** Unix ms per row; NaN where the timestamp was bad (such rows are skipped). */
  timestamps: Float64Array;
  /** rows × the device's sensors. */
  values: Float64Array;
}

export interface HistoryEntry {
  timestamp: number;
  windowId: number;
  device: Address;
  values: Record<string, number | null>;
}

export interface LatestReading {
  value: number;
  unit: string;
  timestamp: number;
  device: Address;
  windowId: number;
}

/** The twin's state, as GET /assets/:assetId returns it. */
export interface TwinState {
  assetId: number;
  organisationId: number;
  label: string;
  devices: TwinDevice[];
  latest: Record<string, LatestReading>;
  health: {
    predictedRul: number | null;
    predictedAt: number | null;
    /** The model version of the latest prediction. */
    predictionModel: ModelRef | null;
    cycle: number | null;
    unitsSeen: number;
    maintenanceDue: boolean;
    anomalyCounts: Record<AnomalyKind, number>;
    /** The highest current drift score over the asset's sensors, and each sensor's ("device/sensor" keys when several devices report). */
    driftScore: number;
    driftBySensor: Record<string, number>;
  };
  /** The model version the twin predicts with now. */
  model: ModelRef | null;
  windowsApplied: number;
  readingsApplied: number;
  lastWindowId: number | null;
}

/** Per-device detector state; rebuilt when the device's schema changes. */
interface DeviceChannels {
  device: TwinDevice;
  min: Float64Array;
  max: Float64Array;
  /** Schema indices fed to the residual detector (every sensor but the cycle counter). */
  scored: number[];
  residual: ResidualState;
  step: ResidualStep;
  scratch: Float64Array;
  /** Schema index of each pipeline column, and of the cycle channel; undefined when the schema lacks any of them. */
  pipeline: { columns: Int32Array; cycle: number; row: Float64Array } | undefined;
}

function channelsFor(device: TwinDevice, config: AssetTwinConfig): DeviceChannels {
  const sensors = device.sensors;
  const scored = sensors.flatMap((sensor, index) => (sensor.name === config.cycleChannel ? [] : [index]));
  const indexOf = (name: string) => sensors.findIndex((sensor) => sensor.name === name);
  const columns = config.pipelineSensors?.map(indexOf);
  const cycle = indexOf(config.cycleChannel);
  return {
    device,
    min: Float64Array.from(sensors, (sensor) => sensor.min),
    max: Float64Array.from(sensors, (sensor) => sensor.max),
    scored,
    residual: newResidualState(scored.length),
    step: newResidualStep(scored.length),
    scratch: new Float64Array(scored.length),
    pipeline: columns && cycle >= 0 && columns.every((column) => column >= 0) ? { columns: Int32Array.from(columns), cycle, row: new Float64Array(columns.length) } : undefined,
  };
}

export class AssetTwin {
  readonly assetId: number;
  readonly organisationId: number;
  readonly label: string;
  private readonly config: AssetTwinConfig;
  private readonly devices = new Map<Address, DeviceChannels>();
  private readonly latest = new Map<string, LatestReading>();
  private readonly history: Ring<{ timestamp: number; windowId: number; device: TwinDevice; values: Float64Array }>;
  readonly anomalies: Ring<Anomaly>;
  readonly predictions: Ring<Prediction>;
  readonly decisions: Ring<Decision>;
  private readonly anomalyCounts: Record<AnomalyKind, number> = { bounds: 0, residual: 0, drift: 0 };
  /** The current unit's raw history in pipeline columns; undefined without a pipeline. */
  readonly unit: UnitHistory | undefined;
  private maintenanceArmed = true;
  private windowsApplied = 0;
  private readingsApplied = 0;
  private lastWindowId: number | null = null;

  constructor(identity: { assetId: number; organisationId: number; label: string }, config: AssetTwinConfig) {
    this.assetId = identity.assetId;
    this.organisationId = identity.organisationId;
    this.label = identity.label;
    this.config = config;
    this.history = new Ring(config.historyCapacity);
    this.anomalies = new Ring(config.recordCapacity);
    this.predictions = new Ring(config.recordCapacity);
    this.decisions = new Ring(config.recordCapacity);
    this.unit = config.pipelineSensors ? new UnitHistory(config.pipelineSensors.length) : undefined;
  }

  /** Adds a device, or updates it; a changed schema restarts that device's detectors (their statistics were in other units). */
  attachDevice(device: TwinDevice): void {
    const existing = this.devices.get(device.address);
    if (existing && JSON.stringify(existing.device.sensors) === JSON.stringify(device.sensors)) {
      existing.device = device;
      return;
    }
    this.devices.set(device.address, channelsFor(device, this.config));
  }

  /**
   * Applies a window's rows in order: latest readings, history, bounds and residual/drift anomalies, calibration
   * decisions, and the unit history. Returns the events to publish and whether the unit history grew (a reason to
   * predict). The device must have been attached.
   */
  applyWindow(window: AppliedWindow, model: ModelRef | null): { events: TwinEvent[]; unitAdvanced: boolean } {
    const channels = this.devices.get(window.device);
    if (!channels) throw new Error(`device ${window.device} is not attached to asset ${this.assetId}`);
    const sensors = channels.device.sensors;
    const width = sensors.length;
    const rows = window.timestamps.length;
    if (window.values.length !== rows * width) throw new Error(`window ${window.windowId} has ${window.values.length} values, expected ${rows} × ${width}`);
    const events: TwinEvent[] = [];
    const violations = boundsViolations(window.values, width, channels.min, channels.max);
    let violation = 0;
    let unitAdvanced = false;
    let applied = 0;
    let lastTimestamp = Number.NaN;

    for (let r = 0; r < rows; r++) {
      const timestamp = window.timestamps[r]!;
      if (Number.isNaN(timestamp)) {
        while (violations[violation]?.row === r) violation++;
        continue;
      }
      applied++;
      lastTimestamp = timestamp;
      const values = window.values.slice(r * width, (r + 1) * width);
      const origin: ReadingOrigin = { assetId: this.assetId, device: window.device, windowId: window.windowId, timestamp };
      this.history.push({ timestamp, windowId: window.windowId, device: channels.device, values });
      for (let s = 0; s < width; s++) {
        const value = values[s]!;
        if (!Number.isNaN(value)) this.latest.set(sensors[s]!.name, { value, unit: sensors[s]!.unit, timestamp, device: window.device, windowId: window.windowId });
      }

      for (; violations[violation]?.row === r; violation++) {
        const sensor = sensors[violations[violation]!.sensor]!;
        const value = values[violations[violation]!.sensor]!;
        events.push(this.recordAnomaly({ ...origin, kind: "bounds", row: r, sensor: sensor.name, unit: sensor.unit, value, min: sensor.min, max: sensor.max }));
      }

      events.push(...this.scoreResiduals(channels, values, origin, r, model));

      if (channels.pipeline && this.unit) {
        const { columns, cycle, row } = channels.pipeline;
        const cycleCount = values[cycle]!;
        if (!Number.isNaN(cycleCount)) {
          for (let c = 0; c < columns.length; c++) row[c] = values[columns[c]!]!;
          if (this.unit.append(cycleCount, row)) this.maintenanceArmed = true;
          unitAdvanced = true;
        }
      }
    }

    if (applied > 0) {
      this.windowsApplied++;
      this.readingsApplied += applied;
      this.lastWindowId = window.windowId;
      const latestValues: Record<string, number | null> = {};
      const lastRow = window.values.subarray((rows - 1) * width, rows * width);
      sensors.forEach((sensor, s) => (latestValues[sensor.name] = Number.isNaN(lastRow[s]!) ? null : lastRow[s]!));
      events.unshift({ type: "readings", assetId: this.assetId, device: window.device, windowId: window.windowId, rows: applied, timestamp: lastTimestamp, values: latestValues });
    }
    return { events, unitAdvanced };
  }

  /** Records a RUL prediction for the latest cycle and, when it falls under the horizon, one maintenance recommendation per unit. */
  recordPrediction(modelOutput: number, origin: ReadingOrigin, model: ModelRef): TwinEvent[] {
    // A regression model can undershoot past failure; remaining life is never negative.
    const rul = Math.max(0, modelOutput);
    const cycle = this.unit?.lastCycle ?? Number.NaN;
    const prediction: Prediction = { ...origin, rul, cycle, model };
    this.predictions.push(prediction);
    const events: TwinEvent[] = [{ type: "prediction", prediction }];
    const horizon = this.config.decisions.maintenanceHorizon;
    const transition = maintenanceTransition(this.maintenanceArmed, rul, horizon);
    this.maintenanceArmed = transition.armed;
    if (transition.recommend) {
      const decision: Decision = {
        ...origin,
        kind: "maintenance",
        model,
        rul,
        horizon,
        reason: `predicted RUL ${rul.toFixed(1)} cycles at cycle ${cycle} is under the ${horizon}-cycle horizon`,
      };
      this.decisions.push(decision);
      events.push({ type: "decision", decision });
    }
    return events;
  }

  /** The twin's state for the API; `model` is the version the runtime predicts with now. */
  state(model: ModelRef | null): TwinState {
    const driftBySensor: Record<string, number> = {};
    let driftScore = 0;
    const prefix = this.devices.size > 1;
    for (const channels of this.devices.values()) {
      channels.scored.forEach((schemaIndex, s) => {
        const score = Math.max(channels.residual.cusumHigh[s]!, channels.residual.cusumLow[s]!);
        const name = channels.device.sensors[schemaIndex]!.name;
        driftBySensor[prefix ? `${channels.device.address}/${name}` : name] = score;
        driftScore = Math.max(driftScore, score);
      });
    }
    const lastPrediction = this.predictions.newest(1)[0];
    return {
      assetId: this.assetId,
      organisationId: this.organisationId,
      label: this.label,
      devices: [...this.devices.values()].map((channels) => channels.device),
      latest: Object.fromEntries(this.latest),
      health: {
        predictedRul: lastPrediction?.rul ?? null,
        predictedAt: lastPrediction?.timestamp ?? null,
        predictionModel: lastPrediction?.model ?? null,
        cycle: this.unit && this.unit.length > 0 ? this.unit.lastCycle : null,
        unitsSeen: this.unit?.unitsStarted ?? 0,
        maintenanceDue: lastPrediction !== undefined && lastPrediction.rul < this.config.decisions.maintenanceHorizon,
        anomalyCounts: { ...this.anomalyCounts },
        driftScore,
        driftBySensor,
      },
      model,
      windowsApplied: this.windowsApplied,
      readingsApplied: this.readingsApplied,
      lastWindowId: this.lastWindowId,
    };
  }

  /** Readings with from ≤ timestamp ≤ to (Unix ms), oldest first, at most `limit` (the oldest ones). */
  readings(from: number, to: number, limit: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (const entry of this.history.filter((e) => e.timestamp >= from && e.timestamp <= to)) {
      if (out.length >= limit) break;
      const values: Record<string, number | null> = {};
      entry.device.sensors.forEach((sensor, s) => (values[sensor.name] = Number.isNaN(entry.values[s]!) ? null : entry.values[s]!));
      out.push({ timestamp: entry.timestamp, windowId: entry.windowId, device: entry.device.address, values });
    }
    return out;
  }

  private recordAnomaly(anomaly: Anomaly): TwinEvent {
    this.anomalies.push(anomaly);
    this.anomalyCounts[anomaly.kind]++;
    return { type: "anomaly", anomaly };
  }

  private scoreResiduals(channels: DeviceChannels, values: Float64Array, origin: ReadingOrigin, row: number, model: ModelRef | null): TwinEvent[] {
    const { scored, scratch, step, residual } = channels;
    if (scored.length === 0) return [];
    for (let s = 0; s < scored.length; s++) scratch[s] = values[scored[s]!]!;
    residualStep(residual, this.config.residual, scratch, step);
    const events: TwinEvent[] = [];
    const { zThreshold, driftThreshold } = this.config.residual;
    for (let s = 0; s < scored.length; s++) {
      const sensor = channels.device.sensors[scored[s]!]!;
      const common = { ...origin, row, sensor: sensor.name, unit: sensor.unit, value: scratch[s]!, expected: step.expected[s]! };
      if (step.residualAnomaly[s]) events.push(this.recordAnomaly({ ...common, kind: "residual", zScore: step.z[s]!, threshold: zThreshold }));
      if (!step.driftRaised[s]) continue;
      events.push(this.recordAnomaly({ ...common, kind: "drift", driftScore: step.drift[s]!, threshold: driftThreshold }));
      if (isolatedDrift(step.drift, s, driftThreshold, this.config.decisions.calibrationIsolation)) {
        const decision: Decision = {
          ...origin,
          kind: "calibration",
          model,
          sensor: sensor.name,
          driftScore: step.drift[s]!,
          threshold: driftThreshold,
          reason: `${sensor.name} drifted from the twin's expectation (CUSUM ${step.drift[s]!.toFixed(1)} ≥ ${driftThreshold}) while the device's other sensors did not: check its calibration`,
        };
        this.decisions.push(decision);
        events.push({ type: "decision", decision });
      }
    }
    return events;
  }
}
