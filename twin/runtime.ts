/**
 * The twin runtime: wires the chain follower, IPFS, the device directory, the model tracker and one AssetTwin per
 * registered asset, and serves the HTTP API. Windows are applied strictly in anchoring order; fetching and
 * verifying their documents runs ahead, a few at a time, so IPFS latency does not serialise ingestion.
 */
import { getContract, hexToString, keccak256, toBytes, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { deviceRegistryAbi, modelRegistryAbi } from "../lib/chain/abis.generated.ts";
import type { ContractAddresses } from "../lib/chain/deployment.ts";
import { makeDataset } from "../lib/data/dataset.ts";
import type { FeaturePipeline } from "../lib/data/telemetry.ts";
import { loadVerifiedModel } from "../lib/fl/model-store.ts";
import type { ContentStore } from "../lib/ipfs/store.ts";
import { initTf } from "../lib/model/tf.ts";
import { predict } from "../lib/model/train.ts";
import { decodeWindowDocument, type WindowDocument } from "../lib/telemetry/document.ts";
import { checkAnchoredDocument, readingsInSchema, type AnchoredWindow } from "./anchored-window.ts";
import { AssetTwin, type AssetTwinConfig } from "./asset-twin.ts";
import { ChainFollower, type ChainEvent } from "./chain-follower.ts";
import type { DecisionConfig } from "./decisions.ts";
import { validateResidualConfig, type ResidualConfig } from "./detectors.ts";
import { DeviceDirectory } from "./device-directory.ts";
import { serveTwinApi, type TwinServer } from "./http.ts";
import { ModelTracker, type LoadedModel } from "./model-tracker.ts";
import { EventHub, type ModelRef, type TwinEvent } from "./records.ts";

export interface TwinRuntimeOptions {
  publicClient: PublicClient<Transport, Chain>;
  addresses: ContractAddresses;
  store: ContentStore;
  /** The FL task whose deployed model predicts RUL (e.g. "cmapss-rul"). */
  taskName: string;
  /** Raw readings → model features; without one the twin detects anomalies but predicts nothing. */
  pipeline?: FeaturePipeline;
  /** HTTP port on 127.0.0.1 (0 = a free port). */
  port: number;
  /** First block to follow; 0 rebuilds every twin from the chain's whole history. */
  fromBlock: bigint;
  pollMs: number;
  maxBlockRange: bigint;
  /** Delay before retrying a model version that failed to load. */
  modelRetryMs: number;
  /** How long to wait for a window document from IPFS. */
  fetchTimeoutMs: number;
  /** Window documents fetched and verified ahead of the one being applied. */
  prefetch: number;
  residual: ResidualConfig;
  decisions: DecisionConfig;
  historyCapacity: number;
  recordCapacity: number;
  /** Replaces the TF.js loader (tests); receives the CID and the weights hash recorded on chain. */
  loadModel?: (cid: string, weightsHash: Hex) => Promise<LoadedModel>;
}

export const defaultRuntimeTuning = {
  fromBlock: 0n,
  pollMs: 500,
  maxBlockRange: 2000n,
  modelRetryMs: 30_000,
  fetchTimeoutMs: 10_000,
  prefetch: 16,
  historyCapacity: 10_000,
  recordCapacity: 1000,
} as const;

/** Loads a model version with TF.js, verified against its on-chain weights hash, and checks it takes the pipeline's features. */
function tfModelLoader(store: ContentStore, pipeline: FeaturePipeline): (cid: string, weightsHash: Hex) => Promise<LoadedModel> {
  const featureNames = [...pipeline.featureNames];
  return async (cid, weightsHash) => {
    const tf = await initTf();
    const { model } = await loadVerifiedModel(tf, store, cid, weightsHash);
    const width = model.inputs[0]?.shape[1];
    if (width !== featureNames.length) {
      model.dispose();
      throw new Error(`model ${cid} takes ${String(width)} features, the twin's pipeline makes ${featureNames.length}`);
    }
    return {
      predict: (features) => predict(tf, model, makeDataset(features, new Float32Array(1), featureNames))[0]!,
      dispose: () => model.dispose(),
    };
  };
}

type Prepared = { ok: true; document: WindowDocument } | { ok: false; reason: string; detail: string; unavailable?: boolean };

export class TwinRuntime {
  readonly events = new EventHub();
  readonly taskName: string;
  readonly taskId: Hex;
  private readonly options: TwinRuntimeOptions;
  private readonly twinConfig: AssetTwinConfig;
  private readonly assets = new Map<number, AssetTwin>();
  private readonly directory: DeviceDirectory;
  private readonly tracker: ModelTracker | undefined;
  private readonly devices;
  private readonly models;
  private follower: ChainFollower | undefined;
  private server: TwinServer | undefined;
  /** Deployments at or before this block were read directly at startup; the log replay must not load them again. */
  private startupBlock = 0n;
  private readonly counts = { applied: 0, rejected: 0, unavailable: 0 };

  private constructor(options: TwinRuntimeOptions) {
    this.options = options;
    validateResidualConfig(options.residual);
    this.taskName = options.taskName;
    this.taskId = keccak256(toBytes(options.taskName));
    const client = { public: options.publicClient };
    this.devices = getContract({ address: options.addresses.DeviceRegistry, abi: deviceRegistryAbi, client });
    this.models = getContract({ address: options.addresses.ModelRegistry, abi: modelRegistryAbi, client });
    this.twinConfig = {
      residual: options.residual,
      decisions: options.decisions,
      historyCapacity: options.historyCapacity,
      recordCapacity: options.recordCapacity,
      ...(options.pipeline ? { pipelineSensors: options.pipeline.sensorNames } : {}),
      cycleChannel: options.pipeline?.cycleChannel ?? "cycle",
    };
    this.directory = new DeviceDirectory({
      readDevice: async (address) => {
        const record = await this.devices.read.device([address]);
        return { organisationId: record.organisationId, assetId: record.assetId, status: record.status, metadataDigest: record.metadataDigest };
      },
      cat: (cid) => options.store.cat(cid, undefined, { timeoutMs: options.fetchTimeoutMs }),
    });
    const loadModel = options.loadModel ?? (options.pipeline ? tfModelLoader(options.store, options.pipeline) : undefined);
    this.tracker = loadModel
      ? new ModelTracker(
          options.taskName,
          {
            readVersion: async (versionId) => {
              const version = await this.models.read.version([BigInt(versionId)]);
              return { cid: version.cid, weightsHash: version.weightsHash };
            },
            load: loadModel,
          },
          { retryMs: options.modelRetryMs },
          (event) => this.events.publish(event),
        )
      : undefined;
  }

  /** Reads the registered assets and the deployed model, starts following the chain, and serves the API. */
  static async start(options: TwinRuntimeOptions): Promise<TwinRuntime> {
    const runtime = new TwinRuntime(options);
    await runtime.begin();
    return runtime;
  }

  /** The API's base URL. */
  get url(): string {
    if (!this.server) throw new Error("the runtime is not serving");
    return this.server.url;
  }

  /** The model version predictions are made with now. */
  get model(): ModelRef | null {
    return this.tracker?.current ?? null;
  }

  /** The twin of an asset, if the asset is registered. */
  twin(assetId: number): AssetTwin | undefined {
    return this.assets.get(assetId);
  }

  /** Handles every block up to the chain's head now (instead of waiting for the next poll), and any model load it started. */
  async sync(): Promise<void> {
    await this.follower?.catchUp();
    await this.tracker?.idle();
  }

  /** Stops following, loading and serving. */
  async stop(): Promise<void> {
    await this.follower?.stop();
    await this.tracker?.stop();
    await this.server?.close();
  }

  private async begin(): Promise<void> {
    const { publicClient } = this.options;
    this.startupBlock = await publicClient.getBlockNumber({ cacheTime: 0 });
    const assetCount = Number(await this.devices.read.assetCount({ blockNumber: this.startupBlock }));
    for (let assetId = 1; assetId <= assetCount; assetId++) await this.ensureTwin(assetId);
    if (this.tracker) this.tracker.want(Number(await this.models.read.deployedVersion([this.taskId], { blockNumber: this.startupBlock })));

    this.follower = new ChainFollower(
      publicClient,
      {
        provenanceAnchor: this.options.addresses.ProvenanceAnchor,
        deviceRegistry: this.options.addresses.DeviceRegistry,
        modelRegistry: this.options.addresses.ModelRegistry,
        taskId: this.taskId,
        fromBlock: this.options.fromBlock,
        maxBlockRange: this.options.maxBlockRange,
        pollMs: this.options.pollMs,
      },
      (events) => this.handle(events),
      // The range is retried at the next poll; say so rather than fail silently.
      (error) => this.events.publish({ type: "error", source: "chain-follower", message: error instanceof Error ? error.message.split("\n")[0]! : String(error) }),
    );
    this.server = await serveTwinApi(
      {
        twins: () => [...this.assets.values()].sort((a, b) => a.assetId - b.assetId),
        twin: (assetId) => this.assets.get(assetId),
        model: () => this.model,
        health: () => this.health(),
        events: this.events,
      },
      this.options.port,
    );
    this.follower.start();
  }

  private health() {
    return {
      status: "ok",
      taskName: this.taskName,
      model: this.model,
      deployedVersion: this.tracker?.deployed ?? null,
      modelSwitches: this.tracker?.switches ?? [],
      assets: this.assets.size,
      handledThroughBlock: Number(this.follower?.handledThrough ?? -1n),
      windows: { ...this.counts },
    };
  }

  private async ensureTwin(assetId: number, known?: { organisationId: number; label: Hex }): Promise<AssetTwin> {
    const existing = this.assets.get(assetId);
    if (existing) return existing;
    const asset = known ?? (await this.devices.read.asset([BigInt(assetId)]));
    // Another event may have created it while the asset was being read.
    const raced = this.assets.get(assetId);
    if (raced) return raced;
    const twin = new AssetTwin({ assetId, organisationId: asset.organisationId, label: hexToString(asset.label, { size: 32 }) }, this.twinConfig);
    this.assets.set(assetId, twin);
    return twin;
  }

  /** Handles one block range's events in chain order. */
  private async handle(events: ChainEvent[]): Promise<void> {
    const prepared = this.prefetch(events.filter((event): event is Extract<ChainEvent, { kind: "window" }> => event.kind === "window"));
    for (const event of events) {
      switch (event.kind) {
        case "asset-registered":
          await this.ensureTwin(event.assetId, event);
          break;
        case "metadata-updated":
          this.directory.invalidate(event.device);
          break;
        case "version-deployed":
          if (event.blockNumber > this.startupBlock) this.tracker?.want(event.versionId);
          break;
        case "window":
          await this.applyWindow(event, await prepared.get(event.windowId)!);
          break;
      }
    }
  }

  /** Starts fetching and verifying the windows' documents, at most `prefetch` at a time. */
  private prefetch(windows: AnchoredWindow[]): Map<number, Promise<Prepared>> {
    const results = new Map<number, Promise<Prepared>>();
    let running = 0;
    const queue: (() => void)[] = [];
    const slot = async () => {
      if (running >= this.options.prefetch) await new Promise<void>((resolve) => queue.push(resolve));
      running++;
    };
    const release = () => {
      running--;
      queue.shift()?.();
    };
    for (const window of windows) {
      results.set(window.windowId, slot().then(() => this.prepare(window).finally(release)));
    }
    return results;
  }

  /** Fetches a window's document and checks it against its anchor; never rejects. */
  private async prepare(anchored: AnchoredWindow): Promise<Prepared> {
    let document: WindowDocument;
    try {
      document = decodeWindowDocument(await this.options.store.cat(anchored.dataCid, undefined, { timeoutMs: this.options.fetchTimeoutMs }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const malformed = message.startsWith("window document");
      return { ok: false, reason: malformed ? "malformed-document" : "data-unavailable", detail: message, unavailable: !malformed };
    }
    try {
      const check = await checkAnchoredDocument(document, anchored, { chainId: this.options.publicClient.chain.id, provenanceAnchor: this.options.addresses.ProvenanceAnchor });
      return check.ok ? { ok: true, document } : { ok: false, reason: check.reason, detail: check.detail };
    } catch (error) {
      return { ok: false, reason: "malformed-document", detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private reject(anchored: AnchoredWindow, reason: string, detail: string, unavailable = false): void {
    if (unavailable) this.counts.unavailable++;
    else this.counts.rejected++;
    this.events.publish({ type: "window-rejected", windowId: anchored.windowId, device: anchored.device, reason, detail });
  }

  private async applyWindow(anchored: AnchoredWindow, prepared: Prepared): Promise<void> {
    if (!prepared.ok) return this.reject(anchored, prepared.reason, prepared.detail, prepared.unavailable);
    let device;
    try {
      device = await this.directory.resolve(anchored.device);
    } catch (error) {
      return this.reject(anchored, "device-unresolved", error instanceof Error ? error.message : String(error), true);
    }
    const twin = await this.ensureTwin(device.assetId);
    twin.attachDevice({ address: anchored.device, deviceType: device.metadata.deviceType, metadataCid: device.metadataCid, sensors: device.metadata.sensors });
    const { timestamps, values } = readingsInSchema(prepared.document, device.metadata.sensors);
    const model = this.model;
    const applied = twin.applyWindow({ windowId: anchored.windowId, device: anchored.device, timestamps, values }, model);
    this.counts.applied++;
    this.publishAll(applied.events);
    if (applied.unitAdvanced) this.predict(twin, anchored, applied.events);
  }

  /** RUL for the asset's latest cycle from the current model version, recorded with that version and the window. */
  private predict(twin: AssetTwin, anchored: AnchoredWindow, windowEvents: TwinEvent[]): void {
    const pipeline = this.options.pipeline;
    if (!pipeline || !this.tracker || !twin.unit || twin.unit.length === 0) return;
    const { history, cycleNumbers } = twin.unit.view();
    const features = pipeline.featuresFor(history, cycleNumbers);
    // A channel the unit has never reported leaves NaN features; predicting from them would be noise.
    if (!features.every(Number.isFinite)) return;
    const result = this.tracker.predict(features);
    if (!result) return;
    const readings = windowEvents.find((event) => event.type === "readings");
    const timestamp = readings?.type === "readings" ? readings.timestamp : anchored.endTime;
    this.publishAll(twin.recordPrediction(result.rul, { assetId: twin.assetId, device: anchored.device, windowId: anchored.windowId, timestamp }, result.model));
  }

  private publishAll(events: TwinEvent[]): void {
    for (const event of events) this.events.publish(event);
  }
}

