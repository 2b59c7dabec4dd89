/**
 * npm run bench:ingest: telemetry ingest through a real fog-gateway process (edge/gateway/main.ts) on a local
 * chain, from signed windows POSTed over HTTP to their anchors confirmed on chain. Writes bench/results/ingest.json.
 *
 * Set-up (untimed): a chain (Anvil by default), the suite deployed, a consortium seeded with its devices' metadata
 * on this process's embedded IPFS node (the gateway fetches the sensor schemas from it), every window built and
 * signed on the device side and serialised, and one warm-up window per device anchored (so the gateway's registry
 * cache and schema fetches are not in the figures). For each window the gateway parses the JSON, checks the wire
 * format and the registry entry, recomputes the Merkle root, recovers the EIP-712 signature, wrangles the rows and
 * fsyncs the window to its journal before its 202; its anchorer stores each window document on IPFS and anchors up
 * to `batchWindows` headers per transaction.
 *
 * Two timed phases, on the same gateway:
 *   saturation  closed loop, `concurrency` keep-alive connections with one request in flight each (each owns a
 *               fixed set of devices: a device's windows must arrive in sequence order). Gives readings_per_s and
 *               windows_per_s (accepted between the first POST and the last 202), and the sustained rate up to
 *               the last anchor. Its latencies only measure the backlog the run built, so they are in `detail`.
 *   paced       open loop at the goal rate (50,000 readings/s by default). Gives latency_ms_p50/p99: a window's
 *               first POST → its anchor transaction confirmed (the gateway's "anchored" line, read here).
 * tx_per_million_readings and gas_per_million_readings count the gateway's anchor transactions of both phases.
 * Baseline, same run and chain: the naive design, one `anchorWindow` transaction per window, for the first
 * `baselineWindows` of the same window headers (simulate, send, wait for the receipt, as the gateway does).
 *
 * Environment: BENCH_INGEST_NODE (anvil|hardhat), BENCH_INGEST_DEVICES, BENCH_INGEST_WINDOWS (saturation windows),
 * BENCH_INGEST_PACED_WINDOWS, BENCH_INGEST_PACED_READINGS_PER_S, BENCH_INGEST_WINDOW_READINGS,
 * BENCH_INGEST_CONCURRENCY, BENCH_INGEST_BATCH_WINDOWS, BENCH_INGEST_BATCH_DELAY_MS, BENCH_INGEST_BASELINE_WINDOWS,
 * BENCH_INGEST_PROFILE=1 (V8 CPU profile of the gateway process over the saturation phase, summarised into the
 * result; the profile itself is kept as .twinledger/bench/ingest-gateway.cpuprofile).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { provenanceAnchorAbi } from "../lib/chain/abis.generated.ts";
import { connectRpc } from "../lib/chain/clients.ts";
import { deploySuite } from "../lib/chain/deploy.ts";
import { writeDeployment } from "../lib/chain/deployment.ts";
import { devPrivateKey, devRoles } from "../lib/chain/dev-accounts.ts";
import { freePorts, startLocalNode, type LocalNode, type NodeKind } from "../lib/chain/local-node.ts";
import { seedConsortium, type SeedPlan, type SensorBounds } from "../lib/chain/seed.ts";
import { startChild, type ChildHandle } from "../lib/fl/processes.ts";
import { openContentStore, type ContentStore } from "../lib/ipfs/store.ts";
import type { RawRow } from "../lib/telemetry/merkle.ts";
import { signWindow, type Channel } from "../lib/telemetry/window.ts";
import { postWindows, postWindowsPaced, quantile, summariseProfile, type LoadResult, type PreparedWindow, type ProfileSummary } from "./ingest-client.ts";

const GOAL_READINGS_PER_S = 50_000;
const GOAL_TX_PER_MILLION = 200;

const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return Math.floor(value);
};
const node = (process.env.BENCH_INGEST_NODE ?? "anvil") as NodeKind;
if (node !== "anvil" && node !== "hardhat") throw new Error("BENCH_INGEST_NODE must be anvil or hardhat");
const devices = numberFrom("BENCH_INGEST_DEVICES", 24);
const windowReadings = numberFrom("BENCH_INGEST_WINDOW_READINGS", 1000);
const saturationPerDevice = Math.ceil(numberFrom("BENCH_INGEST_WINDOWS", 1200) / devices);
const pacedPerDevice = Math.ceil(numberFrom("BENCH_INGEST_PACED_WINDOWS", 600) / devices);
const pacedReadingsPerS = numberFrom("BENCH_INGEST_PACED_READINGS_PER_S", GOAL_READINGS_PER_S);
const concurrency = Math.min(devices, numberFrom("BENCH_INGEST_CONCURRENCY", 12));
const batchWindows = Math.min(256, numberFrom("BENCH_INGEST_BATCH_WINDOWS", 256));
const batchDelayMs = numberFrom("BENCH_INGEST_BATCH_DELAY_MS", 250);
const baselineWindows = numberFrom("BENCH_INGEST_BASELINE_WINDOWS", 100);
const profile = process.env.BENCH_INGEST_PROFILE === "1";
const saturationWindows = saturationPerDevice * devices;
const pacedWindows = pacedPerDevice * devices;

const root = fileURLToPath(new URL("..", import.meta.url));
const progress = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/**
 * `npm test` (hardhat test --coverage) can leave coverage-instrumented contracts in artifacts/, whose gas is
 * higher (about 5% here); refuse them, since gas per reading is one of the figures. `npm run build` restores them.
 */
function assertUninstrumentedArtifacts(): void {
  const artifact = JSON.parse(readFileSync(join(root, "artifacts", "contracts", "ProvenanceAnchor.sol", "ProvenanceAnchor.json"), "utf8")) as { buildInfoId?: string };
  const buildInfo = readFileSync(join(root, "artifacts", "build-info", `${artifact.buildInfoId ?? ""}.json`), "utf8");
  if (buildInfo.includes("__NomicFoundationCoverage")) {
    throw new Error("artifacts/ holds coverage-instrumented contracts (left by npm test); run `npm run build` first (npm run bench:ingest does) so gas is measured on the real bytecode");
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux, 100 ticks/s); NaN elsewhere. */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds the whole machine has spent busy so far, from /proc/stat; NaN elsewhere. */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return ((fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0) + (fields[7] ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

const sensors: SensorBounds[] = [
  { name: "temp", unit: "K", min: 280, max: 400 },
  { name: "speed", unit: "rpm", min: 0, max: 9000 },
];
const channels: Channel[] = sensors.map(({ name, unit }) => ({ name, unit }));
const devicesPerAsset = 2;
const assetsPerOrganisation = Math.ceil(devices / (3 * devicesPerAsset));
const plan: SeedPlan = {
  deviceSeed: "bench-ingest",
  devicesPerAsset,
  organisations: ["turbofan-ecu", "pump-monitor", "mill-controller"].map((deviceType, k) => ({
    name: `Ingest Org ${k + 1}`,
    metadata: { deviceType, sensors },
    assetLabels: Array.from({ length: assetsPerOrganisation }, (_, i) => `${deviceType.split("-")[0]}-${String(i + 1).padStart(4, "0")}`),
  })),
  tasks: [],
};

/** A device's readings for one window: 100 Hz, temperature in K and shaft speed in rpm, both inside the schema's bounds. */
function windowRows(device: number, sequence: number): { rows: RawRow[]; startTime: number; endTime: number } {
  const periodMs = 10;
  const startTime = 1_767_225_600_000 + sequence * windowReadings * periodMs;
  const rows: RawRow[] = [];
  for (let i = 0; i < windowReadings; i++) {
    const t = sequence * windowReadings + i;
    rows.push([startTime + i * periodMs, Math.round((320 + 15 * Math.sin(t / 97 + device)) * 100) / 100, Math.round(3000 + 400 * Math.cos(t / 211 + device))]);
  }
  return { rows, startTime, endTime: startTime + (windowReadings - 1) * periodMs };
}

interface AnchoredEvent {
  /** performance.now() when this process read the gateway's "anchored" line */
  at: number;
  windows: number;
  readings: number;
  firstWindowId: bigint;
  gasUsed: bigint;
  latenciesMs: number[];
}

interface PhaseFigures {
  windows: number;
  readings: number;
  intake_s: number;
  readings_per_s: number;
  windows_per_s: number;
  first_post_to_last_anchor_s: number;
  readings_per_s_to_last_anchor: number;
  last_202_to_last_anchor_s: number;
  anchor_transactions: number;
  windows_per_transaction: number;
  tx_per_million_readings: number;
  gas: number;
  gas_per_million_readings: number;
  /** first POST → anchor confirmed, as read by the load generator */
  latency_ms_p50: number;
  latency_ms_p99: number;
  latency_ms_max: number;
  /** the gateway's own view: receivedAt → anchor confirmed */
  gateway_latency_ms_p50: number;
  gateway_latency_ms_p99: number;
  /** first POST → 202 */
  accept_latency_ms_p50: number;
  accept_latency_ms_p99: number;
  /** windows whose anchor was confirmed before the phase's last 202 */
  windows_anchored_before_last_202: number;
  retries_503: number;
  /** average cores busy over first POST → last anchor; `other_processes` is load from outside this bench (noise) */
  cpu_cores_used: { gateway: number; load_client: number; chain: number; other_processes: number };
}

const dir = mkdtempSync(join(tmpdir(), "twinledger-bench-ingest-"));
const profileDir = join(dir, "profile");
let chain: LocalNode | undefined;
let store: ContentStore | undefined;
let gateway: ChildHandle | undefined;
const anchored: AnchoredEvent[] = [];
let retryEvents = 0;
let output: Record<string, unknown>;
try {
  assertUninstrumentedArtifacts();
  progress(
    `ingest bench: ${devices} devices, windows of ${windowReadings} readings; saturation ${saturationWindows} windows over ${concurrency} connections, ` +
      `then ${pacedWindows} windows paced at ${pacedReadingsPerS.toLocaleString("en")} readings/s; batches of ≤${batchWindows} windows or ${batchDelayMs} ms; ${node}`,
  );
  progress("starting the chain and deploying the suite…");
  chain = await startLocalNode(node);
  const chainNode = chain;
  const deployment = await deploySuite({ rpcUrl: chain.rpcUrl });
  const deploymentPath = join(dir, "deployment.json");
  writeDeployment(deploymentPath, deployment);
  const clients = await connectRpc(chain.rpcUrl);
  const [benchIpfsPort] = await freePorts(1);
  ({ store } = await openContentStore({ dataDir: join(dir, "bench-ipfs"), gatewayPort: benchIpfsPort! }));
  const contentStore = store;
  progress(`seeding ${devices} devices…`);
  const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
  const seeded = await seedConsortium(
    clients,
    deployment.addresses,
    { governance: wallet(devRoles.governance), organisationAdmins: devRoles.organisations.map(wallet), oracles: [], gateways: devRoles.gateways.map((i) => wallet(i).account.address), auditors: [] },
    plan,
    (bytes) => contentStore.addFile(bytes),
  );
  const accounts = seeded.devices.slice(0, devices).map((device) => privateKeyToAccount(device.privateKey));

  // Device side, untimed: build, sign and serialise every window. Sequence 0 is the warm-up window, then the
  // saturation windows, then the paced ones.
  const lastSequence = saturationPerDevice + pacedPerDevice;
  progress(`signing ${(lastSequence + 1) * devices} windows on the device side…`);
  const signingStarted = performance.now();
  const prepared: PreparedWindow[][] = accounts.map(() => []);
  for (let sequence = 0; sequence <= lastSequence; sequence++) {
    for (const [d, account] of accounts.entries()) {
      const { rows, startTime, endTime } = windowRows(d, sequence);
      const window = await signWindow(account, deployment.chainId, deployment.addresses.ProvenanceAnchor, { sequence, startTime, endTime, timeFormat: "epoch-ms", channels, rows });
      const device = account.address.toLowerCase();
      prepared[d]!.push({ key: `${device}:${sequence}`, device, root: window.root, readings: rows.length, body: Buffer.from(JSON.stringify(window)) });
    }
  }
  const signingMs = performance.now() - signingStarted;
  const bodyBytes = prepared.flat().reduce((sum, window) => sum + window.body.length, 0) / prepared.flat().length;
  progress(`  ${seconds(signingMs)} s (${round(bodyBytes / 1024, 1)} KiB per request body)`);

  progress("starting the gateway process…");
  if (profile) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  const spawnedAt = performance.now();
  const totalWindows = (lastSequence + 1) * devices;
  gateway = startChild("gateway", join(root, "edge", "gateway", "main.ts"), [
    "--rpc", chain.rpcUrl,
    "--deployment", deploymentPath,
    "--key", devPrivateKey(devRoles.gateways[0]!),
    "--port", "0",
    "--data-dir", join(dir, "gateway"),
    "--ipfs-peers", `http://127.0.0.1:${benchIpfsPort}`,
    "--ipfs-gateway-port", "0",
    "--batch-windows", String(batchWindows),
    "--batch-delay-ms", String(batchDelayMs),
    // Room for every window of the run: the figures are the gateway's pace, not its back-pressure.
    "--buffer-windows", String(2 * totalWindows),
    "--buffer-readings", String(2 * totalWindows * windowReadings),
  ], (event) => {
    if (event.event === "anchored") {
      anchored.push({ at: performance.now(), windows: Number(event.windows), readings: Number(event.readings), firstWindowId: BigInt(String(event.firstWindowId)), gasUsed: BigInt(String(event.gasUsed)), latenciesMs: event.latenciesMs as number[] });
    } else if (event.event === "retrying" || event.event === "refused") {
      retryEvents++;
      progress(`  gateway: ${JSON.stringify(event)}`);
    }
  });
  if (profile) delete process.env.NODE_OPTIONS;
  const gatewayProcess = gateway;
  const ready = await gateway.waitFor((event) => event.event === "ready", 120_000);
  const gatewayUrl = String(ready.url);
  const anchoredWindows = () => anchored.reduce((sum, event) => sum + event.windows, 0);
  const waitForAnchored = async (windows: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (anchoredWindows() < windows) {
      if (Date.now() > deadline) throw new Error(`only ${anchoredWindows()} of ${windows} windows anchored after ${timeoutMs} ms\n${gatewayProcess.stderr()}`);
      if (gatewayProcess.process.exitCode !== null) throw new Error(`the gateway exited (${gatewayProcess.process.exitCode})\n${gatewayProcess.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const reporter = (total: number, anchoredBefore: number) => {
    let last = 0;
    return (done: number) => {
      const now = performance.now();
      if (now - last < 1000 && done !== total) return;
      last = now;
      const line = `  accepted ${done}/${total} windows, anchored ${anchoredWindows() - anchoredBefore}`;
      process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(60)}${done === total ? "\n" : ""}` : `${line}\n`);
    };
  };

  /** Runs one phase's load, waits for all its anchors, and keeps its events and resource use. */
  const runPhase = async (windows: number, load: (onProgress: (done: number) => void) => Promise<LoadResult>) => {
    const anchoredBefore = anchoredWindows();
    const eventsBefore = anchored.length;
    const clientCpuBefore = process.cpuUsage();
    const gatewayCpuBefore = cpuSecondsOf(gatewayProcess.process.pid);
    const chainCpuBefore = cpuSecondsOf(chainNode.process.pid);
    const machineBefore = machineBusySeconds();
    const result = await load(reporter(windows, anchoredBefore));
    const clientCpu = process.cpuUsage(clientCpuBefore);
    await waitForAnchored(anchoredBefore + windows, 180_000);
    const events = anchored.slice(eventsBefore);
    const lastAnchorAt = events[events.length - 1]!.at;
    const spanS = (lastAnchorAt - result.firstPostAt) / 1000;
    const gatewayCores = (cpuSecondsOf(gatewayProcess.process.pid) - gatewayCpuBefore) / spanS;
    const clientCores = (clientCpu.user + clientCpu.system) / 1e6 / spanS;
    const chainCores = (cpuSecondsOf(chainNode.process.pid) - chainCpuBefore) / spanS;
    const otherCores = Math.max(0, (machineBusySeconds() - machineBefore) / spanS - gatewayCores - clientCores - chainCores);
    const cpu = { gateway: round(gatewayCores, 2), load_client: round(clientCores, 2), chain: round(chainCores, 2), other_processes: round(otherCores, 2) };
    progress(`  all anchored ${seconds(lastAnchorAt - result.lastAcceptedAt)} s after the last 202`);
    if (otherCores > 0.2) progress(`  warning: other processes kept ${round(otherCores, 2)} cores busy during this phase; its figures are noisy`);
    return { result, events, lastAnchorAt, cpu };
  };

  progress("warm-up: one window per device (registry and schema caches)…");
  await postWindows(gatewayUrl, prepared.map((windows) => windows.slice(0, 1)));
  await waitForAnchored(devices, 60_000);

  // Saturation: each connection owns devices c, c + concurrency, … and sends their windows round-robin in sequence order.
  const queues: PreparedWindow[][] = Array.from({ length: concurrency }, () => []);
  for (let sequence = 1; sequence <= saturationPerDevice; sequence++) {
    for (let d = 0; d < devices; d++) queues[d % concurrency]!.push(prepared[d]![sequence]!);
  }
  progress(`saturation: ${saturationWindows} windows, ${concurrency} connections…`);
  const saturation = await runPhase(saturationWindows, (onProgress) => postWindows(gatewayUrl, queues, onProgress));

  const paced: PreparedWindow[] = [];
  for (let sequence = saturationPerDevice + 1; sequence <= lastSequence; sequence++) {
    for (let d = 0; d < devices; d++) paced.push(prepared[d]![sequence]!);
  }
  const pacedWindowsPerS = pacedReadingsPerS / windowReadings;
  progress(`paced: ${pacedWindows} windows at ${round(pacedWindowsPerS, 1)} windows/s…`);
  const pacedPhase = await runPhase(pacedWindows, (onProgress) => postWindowsPaced(gatewayUrl, paced, pacedWindowsPerS, devices, onProgress));

  const gatewayHealth = (await (await fetch(`${gatewayUrl}/health`)).json()) as Record<string, unknown>;
  await gateway.stop();

  // Which windows each anchor covered: ids are consecutive per transaction; the roots come from the chain's events.
  const logs = await clients.publicClient.getContractEvents({ address: deployment.addresses.ProvenanceAnchor, abi: provenanceAnchorAbi, eventName: "WindowAnchored", fromBlock: 0n, args: { gateway: wallet(devRoles.gateways[0]!).account.address } });
  const rootOf = new Map(logs.map((log) => [log.args.windowId!, log.args.root!.toLowerCase()]));
  const figures = (phase: typeof saturation, windows: number): PhaseFigures => {
    const { result, events, lastAnchorAt, cpu } = phase;
    const latenciesMs: number[] = [];
    for (const event of events) {
      for (let i = 0n; i < BigInt(event.windows); i++) {
        const windowRoot = rootOf.get(event.firstWindowId + i);
        const postedAt = windowRoot === undefined ? undefined : result.postedAt.get(windowRoot);
        if (postedAt === undefined) throw new Error(`window ${event.firstWindowId + i} was anchored in a phase that did not post it`);
        latenciesMs.push(event.at - postedAt);
      }
    }
    const readings = events.reduce((sum, event) => sum + event.readings, 0);
    if (readings !== result.readingsAccepted || latenciesMs.length !== windows) throw new Error(`anchored ${readings} readings in ${latenciesMs.length} windows, accepted ${result.readingsAccepted} in ${windows}`);
    const gas = events.reduce((sum, event) => sum + Number(event.gasUsed), 0);
    const intakeS = (result.lastAcceptedAt - result.firstPostAt) / 1000;
    const toLastAnchorS = (lastAnchorAt - result.firstPostAt) / 1000;
    const gatewayLatenciesMs = events.flatMap((event) => event.latenciesMs);
    return {
      windows,
      readings,
      intake_s: round(intakeS, 2),
      readings_per_s: round(readings / intakeS),
      windows_per_s: round(windows / intakeS, 1),
      first_post_to_last_anchor_s: round(toLastAnchorS, 2),
      readings_per_s_to_last_anchor: round(readings / toLastAnchorS),
      last_202_to_last_anchor_s: seconds(lastAnchorAt - result.lastAcceptedAt),
      anchor_transactions: events.length,
      windows_per_transaction: round(windows / events.length, 1),
      tx_per_million_readings: round((events.length / readings) * 1e6, 2),
      gas,
      gas_per_million_readings: round((gas / readings) * 1e6),
      latency_ms_p50: round(quantile(latenciesMs, 0.5)),
      latency_ms_p99: round(quantile(latenciesMs, 0.99)),
      latency_ms_max: round(Math.max(...latenciesMs)),
      gateway_latency_ms_p50: round(quantile(gatewayLatenciesMs, 0.5)),
      gateway_latency_ms_p99: round(quantile(gatewayLatenciesMs, 0.99)),
      accept_latency_ms_p50: round(quantile(result.acceptLatenciesMs, 0.5), 1),
      accept_latency_ms_p99: round(quantile(result.acceptLatenciesMs, 0.99), 1),
      windows_anchored_before_last_202: events.filter((event) => event.at <= result.lastAcceptedAt).reduce((sum, event) => sum + event.windows, 0),
      retries_503: result.retries,
      cpu_cores_used: cpu,
    };
  };
  const saturationFigures = figures(saturation, saturationWindows);
  const pacedFigures = { offered_readings_per_s: pacedReadingsPerS, max_send_lag_ms: round(pacedPhase.result.maxSendLagMs, 1), ...figures(pacedPhase, pacedWindows) };

  // Baseline: the same headers (saturation windows), one anchorWindow transaction each, from the second gateway account.
  const sample = logs.filter((log) => log.args.windowId! > BigInt(devices)).slice(0, baselineWindows);
  progress(`baseline: ${sample.length} windows, one anchorWindow transaction each…`);
  const naive = wallet(devRoles.gateways[1]!);
  let naiveGas = 0n;
  const naiveStarted = performance.now();
  for (const log of sample) {
    const { deviceAccount, startTime, endTime, readingCount, root: windowRoot, dataCid } = log.args;
    const header = { deviceAccount: deviceAccount!, startTime: startTime!, endTime: endTime!, readingCount: readingCount!, root: windowRoot! as Hex, dataCid: dataCid! };
    const { request } = await clients.publicClient.simulateContract({ account: naive.account, address: deployment.addresses.ProvenanceAnchor, abi: provenanceAnchorAbi, functionName: "anchorWindow", args: [header] });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash: await naive.writeContract(request) });
    if (receipt.status !== "success") throw new Error("a baseline anchorWindow reverted");
    naiveGas += receipt.gasUsed;
  }
  const naiveMsPerWindow = (performance.now() - naiveStarted) / sample.length;
  const naiveReadings = sample.reduce((sum, log) => sum + log.args.readingCount!, 0);

  let profileSummary: ProfileSummary | undefined;
  if (profile) {
    const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no CPU profile in ${profileDir}`);
    mkdirSync(join(root, ".twinledger", "bench"), { recursive: true });
    copyFileSync(join(profileDir, file), join(root, ".twinledger", "bench", "ingest-gateway.cpuprofile"));
    profileSummary = summariseProfile(
      join(profileDir, file),
      new Map([
        ["readBody", "HTTP body read + JSON.parse"],
        ["safeParse", "zod wire-format parse"],
        ["buildReadingTree", "Merkle root recomputation (1 leaf per reading)"],
        ["hashTypedData", "EIP-712 typed-data hashing"],
        ["recoverPublicKey", "secp256k1 public-key recovery"],
        ["formatHash", "formatHash (keccak of the channels JSON)"],
        ["wrangleWindow", "wrangling (admission and document)"],
        ["appendMany", "journal append (JSON.stringify + write + fsync)"],
        ["fsyncSync", "fsync (blocks the event loop)"],
        ["compact", "journal compaction"],
        ["#storeDocuments", "anchorer: IPFS document stage"],
        ["windowDocument", "window document build"],
        ["encodeWindowDocument", "window document JSON encode"],
        ["addFile", "IPFS addFile"],
        ["#send", "anchorer: simulate + send + receipt"],
        ["pending", "buffer.pending() copies"],
        ["(garbage collector)", "GC"],
      ]),
      // The saturation phase, from its first POST to its last anchor (the profile starts with the process).
      { fromMs: saturation.result.firstPostAt - spawnedAt, toMs: saturation.lastAnchorAt - spawnedAt },
    );
  }

  const timedReadings = saturationFigures.readings + pacedFigures.readings;
  const timedTransactions = saturationFigures.anchor_transactions + pacedFigures.anchor_transactions;
  const timedGas = saturationFigures.gas + pacedFigures.gas;
  const result = {
    readings_per_s: saturationFigures.readings_per_s,
    windows_per_s: saturationFigures.windows_per_s,
    tx_per_million_readings: round((timedTransactions / timedReadings) * 1e6, 2),
    gas_per_million_readings: round((timedGas / timedReadings) * 1e6),
    latency_ms_p50: pacedFigures.latency_ms_p50,
    latency_ms_p99: pacedFigures.latency_ms_p99,
  };
  const baseline = {
    name: "one anchorWindow transaction per window (same window headers, same chain, same run)",
    windows: sample.length,
    tx_per_million_readings: round((sample.length / naiveReadings) * 1e6, 2),
    gas_per_million_readings: round((Number(naiveGas) / naiveReadings) * 1e6),
    gas_per_window: round(Number(naiveGas) / sample.length),
    anchor_ms_per_window: round(naiveMsPerWindow, 2),
    /** readings/s the naive design could anchor at most, one confirmed transaction at a time as the gateway sends them */
    anchor_readings_per_s_ceiling: round((windowReadings * 1000) / naiveMsPerWindow),
  };
  const goals = {
    readings_per_s: { target: `>= ${GOAL_READINGS_PER_S} accepted`, value: result.readings_per_s, met: result.readings_per_s >= GOAL_READINGS_PER_S },
    readings_per_s_to_last_anchor: { target: `>= ${GOAL_READINGS_PER_S} sustained (saturation, first POST → last anchor)`, value: saturationFigures.readings_per_s_to_last_anchor, met: saturationFigures.readings_per_s_to_last_anchor >= GOAL_READINGS_PER_S },
    tx_per_million_readings: {
      target: `< ${GOAL_TX_PER_MILLION} in each phase (fewer than 1 transaction per 5,000 readings)`,
      value: Math.max(saturationFigures.tx_per_million_readings, pacedFigures.tx_per_million_readings),
      met: saturationFigures.tx_per_million_readings < GOAL_TX_PER_MILLION && pacedFigures.tx_per_million_readings < GOAL_TX_PER_MILLION,
    },
  };
  output = {
    ...result,
    gas_ratio_vs_one_tx_per_window: round(result.gas_per_million_readings / baseline.gas_per_million_readings, 4),
    tx_ratio_vs_one_tx_per_window: round(result.tx_per_million_readings / baseline.tx_per_million_readings, 4),
    readings_per_s_ratio_vs_goal: round(result.readings_per_s / GOAL_READINGS_PER_S, 3),
    baseline,
    goals,
    definitions: {
      readings_per_s: "saturation phase: readings accepted (202) / (first POST → last 202), signature and root checks and journal fsync included",
      tx_and_gas: "the gateway's anchor transactions for the windows of both timed phases, per million readings",
      latency: `paced phase at ${pacedReadingsPerS} readings/s offered: a window's first POST → its anchor transaction confirmed`,
    },
    config: { node, devices, window_readings: windowReadings, concurrency, batch_windows: batchWindows, batch_delay_ms: batchDelayMs, request_body_kib: round(bodyBytes / 1024, 1), channels: channels.length, device_signing_s: seconds(signingMs) },
    saturation: saturationFigures,
    paced: pacedFigures,
    gateway_retry_events: retryEvents,
    gateway_health: gatewayHealth,
    ...(profileSummary ? { gateway_profile: profileSummary } : {}),
    machine: `${availableParallelism()} cores; chain, gateway process and load generator on one machine`,
  };
} finally {
  await gateway?.stop().catch(() => {});
  await store?.close().catch(() => {});
  await chain?.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "ingest.json"), JSON.stringify(output, null, 2) + "\n");
const view = output as { baseline: Record<string, number>; saturation: PhaseFigures; paced: PhaseFigures; goals: Record<string, { target: string; value: number; met: boolean }> };
const rows = ["readings_per_s", "windows_per_s", "tx_per_million_readings", "gas_per_million_readings", "latency_ms_p50", "latency_ms_p99"] as const;
console.table(Object.fromEntries(rows.map((key) => [key, { result: output[key], saturation: view.saturation[key], paced: view.paced[key], "baseline (1 tx/window)": view.baseline[key] ?? "" }])));
console.log(`gas ratio vs one tx per window: ${String(output.gas_ratio_vs_one_tx_per_window)}; tx ratio: ${String(output.tx_ratio_vs_one_tx_per_window)}`);
console.log(`saturation: first POST → last anchor ${view.saturation.first_post_to_last_anchor_s} s, ${view.saturation.readings_per_s_to_last_anchor} readings/s sustained`);
console.log("goals:");
for (const [name, goal] of Object.entries(view.goals)) console.log(`  ${goal.met ? "met " : "MISS"} ${name} = ${goal.value} (${goal.target})`);
