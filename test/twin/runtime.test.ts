import { expect } from "chai";
import { network } from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, toBytes, type Address } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { LayersModel } from "@tensorflow/tfjs";
import { deviceKey } from "../../lib/chain/dev-accounts.ts";
import { metadataDigestOf } from "../../lib/chain/metadata-digest.ts";
import { labelToBytes32 } from "../../lib/chain/labels.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { syntheticRunToFailure } from "../../lib/data/synthetic.ts";
import { syntheticFeaturePipeline, syntheticSensorSchema, syntheticTelemetry } from "../../lib/data/telemetry.ts";
import { publishModel } from "../../lib/fl/model-store.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { buildModel } from "../../lib/model/model.ts";
import { defaultSpec } from "../../lib/model/spec.ts";
import { initTf } from "../../lib/model/tf.ts";
import { predict } from "../../lib/model/train.ts";
import { defaultDecisionConfig } from "../../twin/decisions.ts";
import { defaultResidualConfig } from "../../twin/detectors.ts";
import type { TwinEvent } from "../../twin/records.ts";
import { defaultRuntimeTuning, TwinRuntime } from "../../twin/runtime.ts";
import { makeFixture, testPlan, type Fixture } from "../helpers/fixture.ts";
import { commit, openRound, updateLeaves } from "../helpers/rounds.ts";
import { anchorTestWindow } from "./anchor.ts";

const chainOf = (f: Fixture) => ({ clients: f.clients, addresses: f.addresses, gateway: f.wallets.gateways[0]! });
const syntheticOptions = { seed: 3, devices: 2, minUnits: 1, maxUnits: 1 };
const T0 = 1_700_000_000_000;

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads an SSE stream in the background, collecting the events it carries; `ready` resolves once subscribed. */
function listen(url: string) {
  const controller = new AbortController();
  const received: { event: string; data: TwinEvent }[] = [];
  let subscribed: () => void = () => {};
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const done = (async () => {
    // The server subscribes before it sends the headers, so nothing published after this is missed.
    const response = await fetch(url, { signal: controller.signal });
    subscribed();
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (event && data) received.push({ event, data: JSON.parse(data) as TwinEvent });
      }
    }
  })().catch(() => undefined);
  return { ready, received, close: async () => (controller.abort(), await done) };
}

describe("twin runtime on a real chain, through its HTTP API", { timeout: 240_000 }, () => {
  let f: Fixture;
  let store: ContentStore;
  let runtime: TwinRuntime;
  const events: TwinEvent[] = [];
  const pipeline = syntheticFeaturePipeline(syntheticOptions);
  const models: LayersModel[] = [];
  const get = async (path: string) => {
    const response = await fetch(runtime.url + path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    const connection = await network.create();
    f = await makeFixture(connection)();
    ({ store } = await openContentStore({ dataDir: mkdtempSync(join(tmpdir(), "twinledger-twin-")) }));
    // The devices' metadata documents, byte for byte as seeded, so their on-chain digests resolve.
    for (const organisation of testPlan.organisations) {
      const cid = await store.addFile(new TextEncoder().encode(JSON.stringify(organisation.metadata)));
      expect(f.seed.devices.some((d) => d.metadataCid === cid)).to.equal(true);
    }
    runtime = await TwinRuntime.start({
      ...defaultRuntimeTuning,
      publicClient: f.clients.publicClient,
      addresses: f.addresses,
      store,
      taskName: "cmapss-rul",
      pipeline,
      port: 0,
      pollMs: 50,
      modelRetryMs: 60_000,
      fetchTimeoutMs: 2000,
      residual: defaultResidualConfig,
      // A horizon no prediction of an untrained model stays above, so every unit gets a maintenance decision.
      decisions: { ...defaultDecisionConfig, maintenanceHorizon: 1000 },
    });
    runtime.events.subscribe((event) => events.push(event));
  });

  after(async () => {
    await runtime?.stop();
    await store?.close();
    for (const model of models) model.dispose();
  });

  it("flags a reading outside the device's on-chain bounds, even when the gateway's document claims wider ones", async () => {
    const engine = f.seed.devices[0]!;
    const stream = listen(`${runtime.url}/events?assetId=${engine.assetId}`);
    await stream.ready;
    const { windowId } = await anchorTestWindow(chainOf(f), store, {
      devicePrivateKey: engine.privateKey,
      sequence: 1,
      channels: [{ name: "T24", unit: "degR" }],
      rows: [[T0, 641.5], [T0 + 1000, 650.25], [T0 + 2000, 642]],
      gatewaySchema: [{ name: "T24", unit: "degR", min: 0, max: 1000 }],
    });
    const { body } = await eventually(async () => {
      const response = await get(`/assets/${engine.assetId}/anomalies`);
      return (response.body.anomalies as unknown[]).length > 0 ? response : undefined;
    }, "a bounds anomaly");
    expect(body.anomalies).to.deep.equal([{ assetId: Number(engine.assetId), device: engine.address, windowId, timestamp: T0 + 1000, kind: "bounds", row: 1, sensor: "T24", unit: "degR", value: 650.25, min: 640, max: 645 }]);

    const state = (await get(`/assets/${engine.assetId}`)).body as unknown as { label: string; latest: Record<string, { value: number; windowId: number }>; health: { anomalyCounts: Record<string, number> }; devices: { sensors: unknown }[]; windowsApplied: number };
    expect(state.label).to.equal("engine-1");
    expect(state.latest["T24"]).to.include({ value: 642, windowId });
    expect(state.health.anomalyCounts["bounds"]).to.equal(1);
    expect(state.devices[0]!.sensors).to.deep.equal(testPlan.organisations[0]!.metadata.sensors);

    const history = (await get(`/assets/${engine.assetId}/history?from=${T0 + 1000}&to=${T0 + 2000}`)).body as unknown as { readings: { values: { T24: number } }[] };
    expect(history.readings.map((r) => r.values.T24)).to.deep.equal([650.25, 642]);

    await eventually(() => (stream.received.some((e) => e.event === "anomaly") ? true : undefined), "the anomaly on the SSE stream");
    await stream.close();
    const streamed = stream.received.find((e) => e.event === "anomaly")!.data;
    expect(streamed.type === "anomaly" && streamed.anomaly.windowId).to.equal(windowId);
    expect(stream.received.every((e) => e.event !== "readings" || (e.data.type === "readings" && e.data.assetId === Number(engine.assetId)))).to.equal(true);
  });

  it("refuses a document whose rows do not hash to the anchored root", async () => {
    const engine = f.seed.devices[0]!;
    const before = (await get("/health")).body as unknown as { windows: { applied: number; rejected: number } };
    const { windowId } = await anchorTestWindow(chainOf(f), store, {
      devicePrivateKey: engine.privateKey,
      sequence: 2,
      channels: [{ name: "T24", unit: "degR" }],
      rows: [[T0 + 3000, 700], [T0 + 4000, 643]],
      gatewaySchema: testPlan.organisations[0]!.metadata.sensors,
      // A gateway "correcting" a reading after the device signed the window.
      tamper: (document) => (document.window.rows[0]![1] = 643),
    });
    const rejected = await eventually(() => events.find((e) => e.type === "window-rejected" && e.windowId === windowId), "the rejection");
    expect(rejected.type === "window-rejected" && rejected.reason).to.equal("root-mismatch");
    const health = (await get("/health")).body as unknown as { windows: { applied: number; rejected: number } };
    expect(health.windows).to.include({ applied: before.windows.applied, rejected: before.windows.rejected + 1 });
    const state = (await get(`/assets/${engine.assetId}`)).body as unknown as { lastWindowId: number; latest: Record<string, { value: number }> };
    expect(state.latest["T24"]!.value).to.equal(642);
  });

  it("answers bad requests with clear JSON errors and describes itself in OpenAPI 3.1", async () => {
    expect(await get("/assets/999")).to.deep.include({ status: 404 });
    expect((await get("/assets/999")).body.error).to.equal("not_found");
    expect((await get("/assets/abc")).status).to.equal(400);
    expect((await get("/assets/1/history?from=yesterday")).status).to.equal(400);
    expect((await get("/assets/1/history?from=5&to=1")).body).to.include({ error: "bad_request" });
    expect((await get("/assets/1/anomalies?bogus=1")).status).to.equal(400);
    expect((await get("/nowhere")).status).to.equal(404);
    expect((await fetch(runtime.url + "/assets", { method: "POST" })).status).to.equal(405);
    const assets = (await get("/assets")).body.assets as unknown as { label: string }[];
    expect(assets.map((a) => a.label)).to.include.members(["engine-1", "pump-1", "mill-1"]);
    const openapi = (await get("/openapi.json")).body as unknown as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).to.equal("3.1.0");
    expect(Object.keys(openapi.paths)).to.include.members(["/health", "/openapi.json", "/assets", "/assets/{assetId}", "/assets/{assetId}/history", "/assets/{assetId}/anomalies", "/assets/{assetId}/predictions", "/assets/{assetId}/decisions", "/events"]);
  });

  it("switches to each newly deployed model version, verified by hash, and cites it in predictions and decisions", async () => {
    // The seeded genesis is a placeholder that is not a TF.js model: the twin says so and predicts nothing.
    await eventually(() => events.find((e) => e.type === "model-load-failed" && e.versionId === 1), "the genesis load failure");
    expect(runtime.model).to.equal(null);

    // A new asset with a synthetic turbofan, registered while the twin runs.
    const member = f.as(f.wallets.members[0]!);
    await f.send(member.devices.write.registerAsset([f.seed.organisations[0]!.id, labelToBytes32("turbine-syn")]));
    const assetId = Number(await member.devices.read.assetCount());
    const schema = syntheticSensorSchema(syntheticOptions);
    const metadataCid = await store.addFile(new TextEncoder().encode(JSON.stringify({ deviceType: "synthetic-turbofan", sensors: schema })));
    const deviceKeyHex = deviceKey("twin-tests", 0);
    const device: Address = privateKeyToAddress(deviceKeyHex);
    await f.send(member.devices.write.registerDevice([device, BigInt(assetId), keccak256(toBytes("fw-1")), metadataDigestOf(metadataCid)]));
    await eventually(async () => ((await get(`/assets/${assetId}`)).status === 200 ? true : undefined), "the new asset's twin");

    const tf = await initTf();
    const data = syntheticRunToFailure(syntheticOptions);
    const deploy = async (seed: number, metric: bigint) => {
      const model = buildModel(tf, defaultSpec(data), seed);
      models.push(model);
      const published = await publishModel(store, model);
      const roundId = await openRound(f);
      await commit(f, roundId, updateLeaves(f, 2));
      const oracle = f.as(f.wallets.oracles[0]!).models;
      const round = await oracle.read.round([roundId]);
      await f.send(oracle.write.proposeModel([roundId, { cid: published.cid, weightsHash: published.weightsHash, metric, participantsRoot: round.participantsRoot, xaiReportCid: "" }]));
      const versionId = await oracle.read.versionCount();
      await f.send(f.as(f.wallets.oracles[1]!).models.write.attest([versionId, published.weightsHash]));
      expect(await oracle.read.deployedVersion([f.taskId])).to.equal(versionId);
      return { model, ref: { versionId: Number(versionId), cid: published.cid } };
    };
    const telemetry = syntheticTelemetry(syntheticOptions, 0);
    const width = schema.length;
    // Rows from cycle 3 on: the twin joins this unit mid-life, so its unit history is exactly what it was sent.
    const first = 2;
    const rowsOf = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => [T0 + (from + i) * 1000, ...telemetry.rows.subarray((from + i) * width, (from + i + 1) * width)]);
    const expectedRul = (model: LayersModel, to: number) => {
      const sensors = width - 1;
      const history = new Float64Array((to - first) * sensors);
      const cycles = new Float64Array(to - first);
      for (let r = first; r < to; r++) {
        cycles[r - first] = telemetry.rows[r * width]!;
        history.set(telemetry.rows.subarray(r * width + 1, (r + 1) * width), (r - first) * sensors);
      }
      return predict(tf, model, makeDataset(pipeline.featuresFor(history, cycles), new Float32Array(1), [...pipeline.featureNames]))[0]!;
    };
    const anchorRows = (sequence: number, from: number, to: number) =>
      anchorTestWindow(chainOf(f), store, { devicePrivateKey: deviceKeyHex, sequence, channels: schema.map(({ name, unit }) => ({ name, unit })), rows: rowsOf(from, to), gatewaySchema: schema });
    const predictionsOf = async () => ((await get(`/assets/${assetId}/predictions`)).body.predictions as unknown as { windowId: number; rul: number; cycle: number; model: { versionId: number; cid: string } }[]);

    const v2 = await deploy(5, 15_000_000n);
    const switched = await eventually(() => events.find((e) => e.type === "model-switched" && e.to.versionId === v2.ref.versionId), "the switch to the first version");
    expect(switched).to.deep.include({ from: null, to: v2.ref, taskName: "cmapss-rul" });
    const health = (await get("/health")).body as unknown as { model: unknown; deployedVersion: number; modelSwitches: { from: unknown; to: unknown }[] };
    expect(health).to.deep.include({ model: v2.ref, deployedVersion: v2.ref.versionId });
    expect(health.modelSwitches.map(({ from, to }) => ({ from, to }))).to.deep.equal([{ from: null, to: v2.ref }]);

    const window1 = await anchorRows(1, first, first + 20);
    const [prediction1] = await eventually(async () => ((await predictionsOf()).length === 1 ? predictionsOf() : undefined), "the first prediction");
    expect(prediction1).to.deep.include({ windowId: window1.windowId, cycle: first + 20, model: v2.ref });
    expect(prediction1!.rul).to.be.closeTo(expectedRul(v2.model, first + 20), 1e-4);

    const v3 = await deploy(6, 14_000_000n);
    await eventually(() => (runtime.model?.versionId === v3.ref.versionId ? true : undefined), "the switch to the second version");
    const window2 = await anchorRows(2, first + 20, first + 25);
    const predictions = await eventually(async () => ((await predictionsOf()).length === 2 ? predictionsOf() : undefined), "the second prediction");
    // The earlier prediction keeps citing the version that made it.
    expect(predictions.map((p) => [p.windowId, p.model.versionId])).to.deep.equal([[window1.windowId, v2.ref.versionId], [window2.windowId, v3.ref.versionId]]);
    expect(predictions[1]!.rul).to.be.closeTo(expectedRul(v3.model, first + 25), 1e-4);

    const decisions = (await get(`/assets/${assetId}/decisions`)).body.decisions as unknown as { kind: string; windowId: number; model: unknown }[];
    expect(decisions.map((d) => ({ kind: d.kind, windowId: d.windowId, model: d.model }))).to.deep.equal([{ kind: "maintenance", windowId: window1.windowId, model: v2.ref }]);
    const state = (await get(`/assets/${assetId}`)).body as unknown as { model: unknown; health: { predictionModel: unknown; cycle: number } };
    expect(state.model).to.deep.equal(v3.ref);
    expect(state.health).to.deep.include({ predictionModel: v3.ref, cycle: first + 25 });
    expect(events.filter((e) => e.type === "model-switched").map((e) => e.type === "model-switched" && e.to.versionId)).to.deep.equal([v2.ref.versionId, v3.ref.versionId]);
  });
});
