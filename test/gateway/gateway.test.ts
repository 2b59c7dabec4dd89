import { expect } from "chai";
import { existsSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { getContract, parseEventLogs, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { provenanceAnchorAbi } from "../../lib/chain/abis.generated.ts";
import { confirm } from "../../lib/chain/clients.ts";
import { devPrivateKey, devRoles } from "../../lib/chain/dev-accounts.ts";
import { decodeWindowDocument } from "../../lib/telemetry/document.ts";
import { readingsRoot } from "../../lib/telemetry/merkle.ts";
import { signWindow, type WindowDraft } from "../../lib/telemetry/window.ts";
import { deviceRegistryAbi } from "../../lib/chain/abis.generated.ts";
import type { Gateway } from "../../edge/gateway/gateway.ts";
import { TelemetryStreamer } from "../../edge/telemetry-stream.ts";
import { startTelemetryNetwork, type TelemetryNetwork } from "../helpers/telemetry-network.ts";

const T0 = 1_760_000_000_000;

function draft(sequence: number, count = 10, overrides: Partial<WindowDraft> = {}): WindowDraft {
  const rows = Array.from({ length: count }, (_, i) => [T0 + sequence * 1000 + i, 300 + (i % 5), 1500 + i]);
  return { sequence, startTime: T0 + sequence * 1000, endTime: T0 + sequence * 1000 + count - 1, timeFormat: "epoch-ms", channels: [{ name: "temp", unit: "K" }, { name: "speed", unit: "rpm" }], rows, ...overrides };
}

async function post(gateway: Gateway, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/windows`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function anchoredWindows(network: TelemetryNetwork) {
  const logs = await network.clients.publicClient.getLogs({ address: network.deployment.addresses.ProvenanceAnchor, fromBlock: 0n, toBlock: "latest" });
  return parseEventLogs({ abi: provenanceAnchorAbi, logs, eventName: "WindowAnchored" });
}

describe("fog gateway", () => {
  let network: TelemetryNetwork;
  let gateway: Gateway;
  const sign = (deviceIndex: number, windowDraft: WindowDraft) => signWindow(network.deviceAccount(deviceIndex), network.chainId, network.deployment.addresses.ProvenanceAnchor, windowDraft);

  before(async () => {
    network = await startTelemetryNetwork();
    gateway = await network.startGateway();
  });
  after(async () => network?.close());

  it("accepts a signed window, stores its document on IPFS and anchors its root", async () => {
    const window = await sign(0, draft(1));
    const reply = await post(gateway, window);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
    expect(reply.body.readings).to.equal(10);
    await until(async () => (await anchoredWindows(network)).some((event) => event.args.root === window.root), 30_000, "the anchor");
    const event = (await anchoredWindows(network)).find((candidate) => candidate.args.root === window.root)!;
    expect(event.args.deviceAccount).to.equal(window.device);
    expect(event.args.gateway).to.equal(gateway.address);
    expect(event.args.readingCount).to.equal(10);
    const document = decodeWindowDocument(await network.store.cat(event.args.dataCid));
    expect(readingsRoot(document.window.rows)).to.equal(window.root);
    expect(document.normalised.values[2]).to.deep.equal([302, 1502]);
    expect(document.quality.valid).to.equal(20);
  });

  it("brings units to the schema and counts malformed, missing, invalid and out-of-range values", async () => {
    const rows = [
      [T0 + 0, 26.85, 25], // degC → 300 K, Hz → 1500 rpm
      [T0 + 1, null, 26], // missing temperature
      [T0 + 2, "hot", 27], // invalid temperature
      [T0 + 3, 500, 28], // 773.15 K: out of range
      [T0 + 4, 27], // malformed: one value short
      ["yesterday", 28, 29], // bad timestamp
    ];
    const window = await sign(1, draft(10, 6, { rows, endTime: T0 + 5, startTime: T0, channels: [{ name: "temp", unit: "degC" }, { name: "speed", unit: "Hz" }] }));
    const reply = await post(gateway, window);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
    const quality = reply.body.quality as Record<string, number>;
    expect(quality).to.include({ rows: 6, values: 12, missing: 2, invalid: 1, outOfRange: 1, malformedRows: 1, badTimestamps: 1 });
    expect(quality.valid).to.equal(12 - 2 - 1 - 1);
    await until(async () => (await anchoredWindows(network)).some((event) => event.args.root === window.root), 30_000, "the anchor");
    const event = (await anchoredWindows(network)).find((candidate) => candidate.args.root === window.root)!;
    const document = decodeWindowDocument(await network.store.cat(event.args.dataCid));
    expect(document.normalised.values[0]![0]).to.be.closeTo(300, 1e-9);
    expect(document.normalised.values[0]![1]).to.equal(1500);
    expect(document.normalised.flags["1"]).to.deep.equal(["temp:missing"]);
    expect(document.normalised.flags["3"]).to.deep.equal(["temp:out-of-range"]);
    expect(document.normalised.flags["4"]).to.include("malformed-row");
    expect(document.normalised.timestamps[5]).to.equal(null);
    expect(document.window.rows.length, "malformed rows are kept, not dropped").to.equal(6);
  });

  it("refuses forged, tampered, replayed and foreign windows with the reason", async () => {
    const genuine = await sign(2, draft(20));
    expect((await post(gateway, genuine)).status).to.equal(202);

    const replay = await post(gateway, genuine);
    expect([replay.status, replay.body.reason]).to.deep.equal([409, "replayed-sequence"]);

    const forger = privateKeyToAccount(devPrivateKey(15));
    const forged = await signWindow(forger, network.chainId, network.deployment.addresses.ProvenanceAnchor, draft(21));
    const forgedReply = await post(gateway, { ...forged, device: genuine.device });
    expect([forgedReply.status, forgedReply.body.reason]).to.deep.equal([401, "bad-signature"]);

    const other = await sign(2, draft(22));
    const tamperedRows = other.rows.map((row) => [...row]);
    tamperedRows[3]![1] = 399;
    const tampered = await post(gateway, { ...other, rows: tamperedRows });
    expect([tampered.status, tampered.body.reason]).to.deep.equal([422, "root-mismatch"]);

    const unknown = await post(gateway, forged);
    expect([unknown.status, unknown.body.reason]).to.deep.equal([403, "unknown-device"]);

    const malformed = await post(gateway, { ...genuine, rows: "none" });
    expect([malformed.status, malformed.body.reason]).to.deep.equal([400, "malformed-window"]);
  });

  it("refuses a device's windows once it is revoked on chain (the registry cache follows events)", async () => {
    expect((await post(gateway, await sign(3, draft(30)))).status).to.equal(202);
    const device = network.seeded.devices[3]!;
    const admin = network.clients.walletFor(devPrivateKey(devRoles.organisations[device.organisationId - 1]!));
    const registry = getContract({ address: network.deployment.addresses.DeviceRegistry, abi: deviceRegistryAbi, client: { public: network.clients.publicClient, wallet: admin } });
    await confirm(network.clients.publicClient, await registry.write.revokeDevice([device.address]));
    // The cache drops the entry at its next poll of the registry's events (every 100 ms here).
    let sequence = 31;
    let reply = await post(gateway, await sign(3, draft(sequence++)));
    const deadline = Date.now() + 10_000;
    while (reply.status === 202 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await post(gateway, await sign(3, draft(sequence++)));
    }
    expect([reply.status, reply.body.reason]).to.deep.equal([403, "device-not-active"]);
    expect(reply.body.error).to.match(/revoked/);
  });

  it("refuses new windows with a clear error when its buffer is full", async () => {
    const full = await network.startGateway({ dataDir: `${network.dir}/full-gateway`, capacity: { windows: 2, readings: 1000 }, batchWindows: 256, batchDelayMs: 3_600_000 });
    expect((await post(full, await sign(4, draft(40)))).status).to.equal(202);
    expect((await post(full, await sign(4, draft(41)))).status).to.equal(202);
    const refused = await post(full, await sign(4, draft(42)));
    expect([refused.status, refused.body.reason]).to.deep.equal([503, "buffer-full"]);
    expect(refused.body.error).to.match(/buffer is full \(2 windows/);
    await full.stop();
  });
});

describe("fog gateway across a chain outage", () => {
  let network: TelemetryNetwork;
  after(async () => network?.close());

  it("buffers while the chain is down and anchors every window exactly once after it restarts", async () => {
    network = await startTelemetryNetwork({ keepState: true });
    const gateway = await network.startGateway({ batchWindows: 4, batchDelayMs: 50 });
    const streamers = [0, 1, 2].map((index) => new TelemetryStreamer({
      device: network.deviceAccount(index),
      chainId: network.chainId,
      provenanceAnchor: network.deployment.addresses.ProvenanceAnchor,
      gatewayUrl: gateway.url,
      channels: [{ name: "temp", unit: "K" }, { name: "speed", unit: "rpm" }],
      timeFormat: "epoch-ms",
      windowReadings: 20,
      windowMs: 60_000,
      startSequence: 1,
    }));
    let time = T0;
    const stream = async (readings: number) => {
      for (let i = 0; i < readings; i++) {
        time += 10;
        await Promise.all(streamers.map((streamer) => streamer.push([time, 300, 1500 + (i % 100)], time)));
      }
    };
    await stream(100); // 5 windows per device while the chain is up
    for (const streamer of streamers) await streamer.flush();
    // Those are anchored, and in Anvil's state file, before the outage: a block mined while Anvil shuts down (or
    // after its last dump, if a loaded machine makes it miss the SIGINT grace period) would be lost with the chain,
    // which is a reorganisation, not the outage this test is about.
    await until(() => gateway.buffer.pendingWindows === 0, 60_000, "the first windows to be anchored");
    const anchoredAt = Date.now();
    // Anvil writes the file at its first dump: until then there is none to stat.
    await until(() => existsSync(network.statePath!) && statSync(network.statePath!).mtimeMs > anchoredAt, 10_000, "Anvil's next state dump");
    await network.chain.stop();
    await stream(100); // 5 more per device while it is down: the gateway still accepts (cached registry) and buffers
    for (const streamer of streamers) await streamer.flush();
    const delivered = streamers.reduce((sum, streamer) => sum + streamer.stats.windowsDelivered, 0);
    expect(delivered).to.equal(30);
    expect(gateway.buffer.pendingWindows, "windows wait in the buffer during the outage").to.be.greaterThan(0);
    await until(() => /twinledger_gateway_retries_total\{stage="chain"\}/.test(gateway.metrics.render()), 60_000, "a failed anchor attempt (an in-flight receipt wait times out after 30 s)");

    await network.restartChain();
    await until(() => gateway.buffer.pendingWindows === 0, 60_000, "the buffer to drain");
    const events = await anchoredWindows(network);
    const perDevice = new Map<Address, number>();
    for (const event of events) perDevice.set(event.args.deviceAccount, (perDevice.get(event.args.deviceAccount) ?? 0) + 1);
    expect(events.length, "every window anchored").to.equal(30);
    expect(new Set(events.map((event) => event.args.dataCid)).size, "no window anchored twice").to.equal(30);
    expect([...perDevice.values()]).to.deep.equal([10, 10, 10]);
  });
});

describe("fog gateway across an IPFS outage", () => {
  let network: TelemetryNetwork;
  after(async () => network?.close());

  it("keeps accepted windows while its IPFS node refuses writes, and stores and anchors them when it is back", async () => {
    network = await startTelemetryNetwork();
    // The real embedded node, behind a switch that makes every write fail while it is off.
    let ipfsUp = true;
    const store = {
      ...network.store,
      addFile: (bytes: Uint8Array) => (ipfsUp ? network.store.addFile(bytes) : Promise.reject(new Error("connection refused"))),
      cat: network.store.cat.bind(network.store),
      addDirectory: network.store.addDirectory.bind(network.store),
      close: async () => {},
    };
    const gateway = await network.startGateway({ store, dataDir: `${network.dir}/ipfs-outage-gateway`, batchWindows: 2, batchDelayMs: 50 });
    const sign = (deviceIndex: number, windowDraft: WindowDraft) => signWindow(network.deviceAccount(deviceIndex), network.chainId, network.deployment.addresses.ProvenanceAnchor, windowDraft);
    expect((await post(gateway, await sign(0, draft(1)))).status, "the registry is cached before the outage").to.equal(202);
    await until(() => gateway.buffer.pendingWindows === 0, 30_000, "the first anchor");
    ipfsUp = false;
    for (let sequence = 2; sequence <= 5; sequence++) expect((await post(gateway, await sign(0, draft(sequence)))).status).to.equal(202);
    await until(() => /twinledger_gateway_retries_total\{stage="ipfs"\}/.test(gateway.metrics.render()), 20_000, "a failed store attempt");
    expect(gateway.buffer.pendingWindows, "nothing is dropped while IPFS is down").to.equal(4);
    ipfsUp = true;
    await until(() => gateway.buffer.pendingWindows === 0, 60_000, "the buffer to drain");
    const events = await anchoredWindows(network);
    expect(events.length).to.equal(5);
    expect(new Set(events.map((event) => event.args.dataCid)).size).to.equal(5);
    for (const event of events) expect(decodeWindowDocument(await network.store.cat(event.args.dataCid)).window.device).to.equal(network.deviceAccount(0).address);
  });
});
