/**
 * npm run bench:audit: the time to audit 100 model versions with 1,000 devices each from the chain and IPFS alone,
 * and the RPC calls it takes, written to bench/results/audit.json. Goal: under 30 s on a local node.
 *
 * The state is built on a real local node (Anvil by default: a native node answers eth_getLogs and eth_call
 * quicker than Hardhat's, and its 30M block gas limit still packs ~200 device registrations per block; set
 * BENCH_AUDIT_NODE=hardhat for Hardhat's node): deploy with Ignition, seed three organisations, register the
 * devices in batches (many per block, automine off), create a task with a real TF.js genesis model, then run
 * every round as the oracles would record it: open the round on the deployed version, every device's EIP-712
 * signed ModelUpdate (signed in worker threads, all rounds ahead of time, since every signed field is known in
 * advance), the sealed-updates document on IPFS, the Merkle commitment, the FedAvg of the updates as a TF.js
 * model on IPFS, the proposal and a second oracle's attestation (quorum 2), which deploys it.
 * Device updates point to a handful of real weight files per round (BENCH_AUDIT_CONTENTS, 8): the auditor fetches
 * update content for a sample only (BENCH_AUDIT_CONTENT_SAMPLE per version), which the result says.
 * Then ONE auditAll call is timed. Sizes can be shrunk for a quick run: BENCH_AUDIT_VERSIONS, BENCH_AUDIT_DEVICES.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import {
  concat,
  createPublicClient,
  domainSeparator,
  hashTypedData,
  http,
  keccak256,
  numberToHex,
  recoverTypedDataAddress,
  stringToHex,
  toBytes,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAddress, sign } from "viem/accounts";
import { deviceKey } from "../lib/chain/dev-accounts.ts";
import type { Deployment } from "../lib/chain/deployment.ts";
import { modelUpdateDomain, modelUpdateTypes, type ModelUpdate } from "../lib/chain/typed-data.ts";
import type { AuditReport } from "../audit/report.ts";
import { noPrivacy } from "../lib/chain/policy.ts";

/** What a signing worker is asked: every device's update of one round. */
interface SignJob {
  round: number;
  chainId: number;
  updateLedger: Address;
  deviceSeed: string;
  devices: number;
  taskId: Hex;
  roundId: string;
  baseVersion: string;
  deadline: string;
  contents: { cid: string; weightsHash: Hex }[];
}

interface SignResult {
  round: number;
  signatures: Hex[];
  seconds: number;
}

/** Deterministic per-device, per-round figures, shared by the signers and the main thread. */
const sampleCountOf = (device: number, round: number) => BigInt(40 + ((device * 7 + round * 13) % 160));
const localMetricOf = (device: number, round: number) => BigInt(60_000_000 - round * 50_000 + (device % 100) * 1_000);
const contentOf = (device: number, contents: number) => device % contents;

function updateOf(job: Pick<SignJob, "taskId" | "roundId" | "baseVersion" | "deadline" | "contents">, device: number, round: number): ModelUpdate {
  const content = job.contents[contentOf(device, job.contents.length)]!;
  return {
    taskId: job.taskId,
    roundId: BigInt(job.roundId),
    baseVersion: BigInt(job.baseVersion),
    updateCid: content.cid,
    weightsHash: content.weightsHash,
    sampleCount: sampleCountOf(device, round),
    metrics: [localMetricOf(device, round)],
    // As edge/device.ts does: one update per device per round, so the round id is the nonce.
    nonce: BigInt(job.roundId),
    deadline: BigInt(job.deadline),
  };
}

const modelUpdateTypeHash = keccak256(toBytes("ModelUpdate(bytes32 taskId,uint64 roundId,uint64 baseVersion,string updateCid,bytes32 weightsHash,uint64 sampleCount,int256[] metrics,uint256 nonce,uint64 deadline)"));
const word = (value: bigint) => numberToHex(BigInt.asUintN(256, value), { size: 32 });

/**
 * The EIP-712 digest of a ModelUpdate, encoded by hand (5x quicker than viem's generic hashTypedData, which
 * matters over 100,000 updates). Checked against hashTypedData for the first update of every job.
 */
function updateDigest(domainSeparator: Hex, update: ModelUpdate): Hex {
  const structHash = keccak256(
    concat([
      modelUpdateTypeHash,
      update.taskId,
      word(update.roundId),
      word(update.baseVersion),
      keccak256(stringToHex(update.updateCid)),
      update.weightsHash,
      word(update.sampleCount),
      keccak256(update.metrics.length === 0 ? "0x" : concat(update.metrics.map(word))),
      word(update.nonce),
      word(update.deadline),
    ]),
  );
  return keccak256(concat(["0x1901", domainSeparator, structHash]));
}

async function signRound(job: SignJob, keys: Hex[]): Promise<SignResult> {
  const started = performance.now();
  const domain = modelUpdateDomain(job.chainId, job.updateLedger);
  const separator = domainSeparator({ domain });
  const signatures: Hex[] = [];
  for (let device = 0; device < job.devices; device++) {
    const update = updateOf(job, device, job.round);
    const digest = updateDigest(separator, update);
    if (device === 0) {
      const expected = hashTypedData({ domain, types: modelUpdateTypes, primaryType: "ModelUpdate", message: update });
      if (digest !== expected) throw new Error(`hand-encoded EIP-712 digest ${digest} differs from viem's ${expected}`);
    }
    signatures.push(await sign({ hash: digest, privateKey: keys[device]!, to: "hex" }));
  }
  return { round: job.round, signatures, seconds: (performance.now() - started) / 1000 };
}

if (!isMainThread) {
  // A signing worker: derives the device keys once, then signs whole rounds as they come.
  let keys: Hex[] = [];
  parentPort!.on("message", (job: SignJob) => {
    if (keys.length !== job.devices) keys = Array.from({ length: job.devices }, (_, i) => deviceKey(job.deviceSeed, i));
    signRound(job, keys).then(
      (result) => parentPort!.postMessage(result),
      (error: unknown) => parentPort!.postMessage({ round: job.round, error: String((error as Error).stack ?? error) }),
    );
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const { MultiBar, Presets, SingleBar } = await import("cli-progress");
  const { deploySuite } = await import("../lib/chain/deploy.ts");
  const { connectRpc, confirm } = await import("../lib/chain/clients.ts");
  const { suiteContracts } = await import("../lib/chain/contracts.ts");
  const { deviceRegistryAbi } = await import("../lib/chain/abis.generated.ts");
  const { devPrivateKey, devRoles } = await import("../lib/chain/dev-accounts.ts");
  const { startLocalNode } = await import("../lib/chain/local-node.ts");
  const { seedConsortium } = await import("../lib/chain/seed.ts");
  const { metadataDigestOf } = await import("../lib/chain/metadata-digest.ts");
  const { buildUpdateTree } = await import("../lib/chain/update-tree.ts");
  const { encodeSealedUpdates } = await import("../lib/fl/sealed-updates.ts");
  const { toScaled } = await import("../lib/fl/envelope.ts");
  const { publishModel } = await import("../lib/fl/model-store.ts");
  const { openContentStore } = await import("../lib/ipfs/store.ts");
  const { kuboCidOf } = await import("../lib/ipfs/kubo-cid.ts");
  const { buildModel, flattenWeights, setFlatWeights } = await import("../lib/model/model.ts");
  const { initTf } = await import("../lib/model/tf.ts");
  const { weightsHash, weightsToBytes } = await import("../lib/model/weights.ts");
  const { fedAvg } = await import("../oracle/aggregation/strategy.ts");
  const { RoundStatus, VersionStatus } = await import("../lib/chain/status.ts");

  const envInt = (name: string, fallback: number) => {
    const raw = process.env[name];
    const value = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return value;
  };
  const VERSIONS = envInt("BENCH_AUDIT_VERSIONS", 100);
  const DEVICES = envInt("BENCH_AUDIT_DEVICES", 1000);
  const CONTENTS = Math.min(DEVICES, envInt("BENCH_AUDIT_CONTENTS", 8));
  const CONTENT_SAMPLE = envInt("BENCH_AUDIT_CONTENT_SAMPLE", 10);
  const BASELINE_VERSIONS = Math.min(VERSIONS, envInt("BENCH_AUDIT_BASELINE_VERSIONS", 3));
  const nodeKind = process.env.BENCH_AUDIT_NODE === "hardhat" ? "hardhat" : "anvil";
  const DEVICE_SEED = "bench-audit";
  const DEVICES_PER_ASSET = 10;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const bar = (label: string, total: number) => {
    const progress = new SingleBar({ format: `${label.padEnd(22)} [{bar}] {value}/{total} {detail}`, hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr }, Presets.shades_classic);
    progress.start(total, 0, { detail: "" });
    return progress;
  };
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, action: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await action();
    } finally {
      timings[name] = Number(((performance.now() - started) / 1000).toFixed(2));
    }
  };

  const benchStarted = performance.now();
  log(`bench:audit: ${VERSIONS} versions × ${DEVICES} devices on ${nodeKind}, ${CONTENTS} update files per round, content sampled ${CONTENT_SAMPLE} per version`);
  const node = await startLocalNode(nodeKind);
  const dataDir = mkdtempSync(join(tmpdir(), "twinledger-bench-audit-"));
  const { store, gatewayUrl } = await openContentStore({ dataDir: join(dataDir, "bench"), gatewayPort: 0 });
  const workers: Worker[] = [];
  try {
    // ---- chain: deploy, consortium, devices ------------------------------------------------------------------
    const deployment = await phase("deploy", () => deploySuite({ rpcUrl: node.rpcUrl }));
    const { addresses, chainId } = deployment;
    const clients = await connectRpc(node.rpcUrl);
    const { publicClient } = clients;
    const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
    const governance = wallet(devRoles.governance);
    const admins = devRoles.organisations.map(wallet);
    const oracles = devRoles.oracles.map(wallet);
    const organisations = [
      { name: "Northwind Aero", metadata: { deviceType: "turbofan-ecu", sensors: [{ name: "T24", unit: "degR", min: 640, max: 645 }, { name: "T50", unit: "degR", min: 1380, max: 1440 }] } },
      { name: "Delta Pumps", metadata: { deviceType: "pump-monitor", sensors: [{ name: "flow", unit: "m3/h", min: 20, max: 140 }, { name: "vibration", unit: "mm/s", min: 0, max: 7.1 }] } },
      { name: "Helix Machining", metadata: { deviceType: "mill-controller", sensors: [{ name: "torque", unit: "Nm", min: 3.8, max: 76.6 }, { name: "tool_wear", unit: "min", min: 0, max: 253 }] } },
    ];
    // Device i belongs to organisation i mod 3; ten devices per asset.
    const devicesOf = (org: number) => Array.from({ length: DEVICES }, (_, i) => i).filter((i) => i % 3 === org);
    const seeded = await phase("seed", () =>
      seedConsortium(clients, addresses, {
        governance,
        organisationAdmins: admins,
        oracles: oracles.map((o) => o.account.address),
        gateways: devRoles.gateways.map((i) => wallet(i).account.address),
        auditors: [wallet(devRoles.auditor).account.address],
      }, {
        deviceSeed: DEVICE_SEED,
        devicesPerAsset: 0,
        organisations: organisations.map((o, org) => ({
          ...o,
          assetLabels: Array.from({ length: Math.ceil(devicesOf(org).length / DEVICES_PER_ASSET) }, (_, a) => `${o.metadata.deviceType.split("-")[0]}-${String(a + 1).padStart(4, "0")}`),
        })),
        tasks: [],
      }, (bytes) => store.addFile(bytes)),
    );
    if (seeded.organisations.length !== 3) throw new Error("the consortium was not seeded");

    // Assets were registered in order (organisation by organisation), so their ids are known: read them back.
    const contracts = suiteContracts(publicClient, addresses, governance);
    const assetsOf = await Promise.all(seeded.organisations.map((o) => contracts.devices.read.assetsOfOrganisation([o.id, 0n, 10_000n])));
    const deviceAddresses = Array.from({ length: DEVICES }, (_, i) => privateKeyToAddress(deviceKey(DEVICE_SEED, i)));

    const registration = await phase("register_devices", async () => {
      await publicClient.request({ method: "evm_setAutomine", params: [false] } as never);
      const progress = bar("registering devices", DEVICES);
      const hashes: Hex[] = [];
      try {
        // Send every registration without waiting (explicit nonces and gas, so nothing is estimated), then mine
        // blocks until the pool is empty: ~200 registrations fit in one 30M-gas block.
        const fees = { maxFeePerGas: 50_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
        await Promise.all(admins.map(async (admin, org) => {
          const metadataCid = (await kuboCidOf(new TextEncoder().encode(JSON.stringify(organisations[org]!.metadata)))).toString();
          const firmwareHash = keccak256(toBytes(`${organisations[org]!.metadata.deviceType}-firmware-1.0.0`));
          let nonce = await publicClient.getTransactionCount({ address: admin.account.address, blockTag: "pending" });
          for (const [position, device] of devicesOf(org).entries()) {
            const assetId = assetsOf[org]![Math.floor(position / DEVICES_PER_ASSET)]!;
            hashes.push(await admin.writeContract({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, functionName: "registerDevice", args: [deviceAddresses[device]!, assetId, firmwareHash, metadataDigestOf(metadataCid)], nonce: nonce++, gas: 300_000n, type: "eip1559", ...fees }));
            progress.increment(1, { detail: "sent" });
          }
        }));
        let blocks = 0;
        const pending = async () => {
          const counts = await Promise.all(admins.map(async (admin) => (await publicClient.getTransactionCount({ address: admin.account.address, blockTag: "pending" })) - (await publicClient.getTransactionCount({ address: admin.account.address, blockTag: "latest" }))));
          return counts.reduce((a, b) => a + b, 0);
        };
        while ((await pending()) > 0) {
          await publicClient.request({ method: "evm_mine" } as never);
          blocks++;
          progress.update(DEVICES, { detail: `mined ${blocks} blocks` });
        }
        return { blocks, hashes };
      } finally {
        progress.stop();
        await publicClient.request({ method: "evm_setAutomine", params: [true] } as never);
      }
    });
    for (let i = 0; i < registration.hashes.length; i += 100) {
      const receipts = await Promise.all(registration.hashes.slice(i, i + 100).map((hash) => publicClient.getTransactionReceipt({ hash })));
      const failed = receipts.find((receipt) => receipt.status !== "success");
      if (failed) throw new Error(`device registration ${failed.transactionHash} reverted`);
    }
    if (!(await contracts.devices.read.isActive([deviceAddresses[DEVICES - 1]!]))) throw new Error("the last device is not registered");
    log(`  ${DEVICES} devices registered in ${registration.blocks} blocks (${timings.register_devices} s)`);

    // ---- the task and its genesis model -------------------------------------------------------------------------
    const tf = await initTf();
    const spec = { kind: "regression" as const, inputSize: 8, hidden: [16], outputSize: 1, learningRate: 2e-3, outputBias: 60 };
    const model = buildModel(tf, spec, 7);
    const genesis = await publishModel(store, model);
    const taskName = "bench-audit-rul";
    const taskId = keccak256(toBytes(taskName));
    await confirm(publicClient, await contracts.models.write.createTask([
      taskName,
      { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: toScaled(100), minImprovement: 0n, minParticipants: Math.ceil(DEVICES / 2), quorum: 2, ...noPrivacy },
      genesis.cid,
      genesis.weightsHash,
      toScaled(60),
    ]));
    const genesisVersion = await contracts.models.read.deployedVersion([taskId]);
    const firstRoundId = (await contracts.models.read.roundCount()) + 1n;
    const firstVersionId = (await contracts.models.read.versionCount()) + 1n;
    // One deadline for every round (far enough ahead), so every signed field is known before the rounds run.
    const deadline = (await publicClient.getBlock()).timestamp + 30n * 86_400n;

    // ---- plan every round's content: updates around the base, their FedAvg as the next base -------------------
    interface RoundPlan {
      round: number;
      roundId: bigint;
      baseVersion: bigint;
      contents: { cid: string; weightsHash: Hex }[];
      aggregate: Float32Array;
    }
    // Tree order: by device address, as buildUpdateTree sorts (and as the oracles aggregate).
    const order = deviceAddresses.map((address, index) => ({ address, index })).sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : a.address.toLowerCase() > b.address.toLowerCase() ? 1 : 0)).map((d) => d.index);
    const plans: RoundPlan[] = await phase("plan_content", async () => {
      let base = flattenWeights(model);
      let state = 12_345;
      const noise = () => {
        state = (state * 1_103_515_245 + 12_345) >>> 0;
        return (state / 2 ** 32 - 0.5) * 0.02;
      };
      const result: RoundPlan[] = [];
      const progress = bar("storing update files", VERSIONS * CONTENTS);
      for (let round = 1; round <= VERSIONS; round++) {
        const vectors = Array.from({ length: CONTENTS }, () => base.map((w) => w + noise()));
        const contents = [];
        for (const vector of vectors) {
          const cid = await store.addFile(weightsToBytes(vector));
          contents.push({ cid, weightsHash: weightsHash(vector) });
          progress.increment();
        }
        const aggregate = fedAvg(order.map((device) => ({ weights: vectors[contentOf(device, CONTENTS)]!, sampleCount: Number(sampleCountOf(device, round)) }))).weights;
        result.push({ round, roundId: firstRoundId + BigInt(round - 1), baseVersion: round === 1 ? genesisVersion : firstVersionId + BigInt(round - 2), contents, aggregate });
        base = aggregate;
      }
      progress.stop();
      return result;
    });

    // ---- sign every round's updates in worker threads, ahead of the chain ----------------------------------------
    const signingStarted = performance.now();
    const signerCount = Math.max(1, Math.min(2, availableParallelism()));
    const signed = new Map<number, { resolve: (s: SignResult) => void; reject: (e: Error) => void; promise: Promise<SignResult> }>();
    for (const plan of plans) {
      let resolve!: (s: SignResult) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<SignResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      signed.set(plan.round, { resolve, reject, promise });
    }
    let signaturesDone = 0;
    let signingCpuSeconds = 0;
    const bars = new MultiBar({ format: "{label} [{bar}] {value}/{total} {detail}", hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr }, Presets.shades_classic);
    const signBar = bars.create(VERSIONS * DEVICES, 0, { label: "signing updates".padEnd(22), detail: `${signerCount} worker threads` });
    const roundBar = bars.create(VERSIONS, 0, { label: "rounds on chain".padEnd(22), detail: "" });
    for (let w = 0; w < signerCount; w++) {
      const worker = new Worker(new URL(import.meta.url));
      worker.on("message", (message: SignResult | { round: number; error: string }) => {
        const entry = signed.get(message.round)!;
        if ("error" in message) return entry.reject(new Error(`signing round ${message.round}: ${message.error}`));
        signaturesDone += message.signatures.length;
        signingCpuSeconds += message.seconds;
        signBar.update(signaturesDone);
        entry.resolve(message);
      });
      worker.on("error", (error) => {
        for (const entry of signed.values()) entry.reject(error);
      });
      workers.push(worker);
    }
    for (const plan of plans) {
      const job: SignJob = { round: plan.round, chainId, updateLedger: addresses.UpdateLedger, deviceSeed: DEVICE_SEED, devices: DEVICES, taskId, roundId: plan.roundId.toString(), baseVersion: plan.baseVersion.toString(), deadline: deadline.toString(), contents: plan.contents };
      workers[(plan.round - 1) % signerCount]!.postMessage(job);
    }

    // ---- the rounds on chain ------------------------------------------------------------------------------------
    const roundsStarted = performance.now();
    let sealedBytes = 0;
    let roundsWaitingForSignatures = 0;
    const commitBlocks: bigint[] = [];
    for (const plan of plans) {
      const leader = suiteContracts(publicClient, addresses, oracles[(plan.round - 1) % oracles.length]!);
      const attester = suiteContracts(publicClient, addresses, oracles[plan.round % oracles.length]!);
      await confirm(publicClient, await leader.models.write.openRound([taskId, plan.baseVersion, deadline]));
      const roundId = await leader.models.read.roundCount();
      if (roundId !== plan.roundId) throw new Error(`round ${roundId} opened, but round ${plan.roundId} was signed for`);

      const waitStarted = performance.now();
      const { signatures } = await signed.get(plan.round)!.promise;
      roundsWaitingForSignatures += (performance.now() - waitStarted) / 1000;
      signed.delete(plan.round);
      const jobView = { taskId, roundId: plan.roundId.toString(), baseVersion: plan.baseVersion.toString(), deadline: deadline.toString(), contents: plan.contents };
      if (plan.round === 1 || plan.round === VERSIONS) {
        // Spot-check the pre-signed signatures against viem's own recovery.
        const update = updateOf(jobView, 0, plan.round);
        const recovered = await recoverTypedDataAddress({ domain: modelUpdateDomain(chainId, addresses.UpdateLedger), types: modelUpdateTypes, primaryType: "ModelUpdate", message: update, signature: signatures[0]! });
        if (recovered !== deviceAddresses[0]) throw new Error(`round ${plan.round}: device 0's signature recovers to ${recovered}`);
      }
      const envelopes = order.map((device) => ({ device: deviceAddresses[device]!, update: updateOf(jobView, device, plan.round), signature: signatures[device]! }));
      const tree = buildUpdateTree(envelopes.map(({ update }, position) => ({ device: deviceAddresses[order[position]!]!, contentHash: update.weightsHash, cid: update.updateCid, sampleCount: update.sampleCount, nonce: update.nonce })));
      const document = encodeSealedUpdates({ taskId, roundId, updates: envelopes });
      sealedBytes += document.byteLength;
      const updatesCid = await store.addFile(document);
      commitBlocks.push((await confirm(publicClient, await leader.updates.write.commitUpdates([roundId, tree.root as Hex, DEVICES, updatesCid]))).blockNumber);

      setFlatWeights(model, plan.aggregate);
      const published = await publishModel(store, model);
      if (published.weightsHash !== weightsHash(plan.aggregate)) throw new Error("the stored model does not hash to its aggregate");
      const metric = toScaled(60 - plan.round * 0.05);
      const xaiReportCid = await store.addFile(new TextEncoder().encode(JSON.stringify({ format: "twinledger.xai/bench", roundId: roundId.toString(), note: "synthetic benchmark round: no validation data" })));
      await confirm(publicClient, await leader.models.write.proposeModel([roundId, { cid: published.cid, weightsHash: published.weightsHash, metric, participantsRoot: tree.root as Hex, xaiReportCid }]));
      const versionId = await leader.models.read.versionCount();
      await confirm(publicClient, await attester.models.write.attest([versionId, published.weightsHash]));
      const [version, round] = await Promise.all([leader.models.read.version([versionId]), leader.models.read.roundStatus([roundId])]);
      if (version.status !== VersionStatus.Validated || round !== RoundStatus.Deployed) throw new Error(`round ${roundId}: version ${versionId} was not deployed (status ${version.status}, round ${round})`);
      roundBar.increment(1, { detail: `v${versionId} ${published.cid.slice(0, 12)}…` });
    }
    bars.stop();
    timings.rounds = Number(((performance.now() - roundsStarted) / 1000).toFixed(2));
    timings.signing_wall = Number(((performance.now() - signingStarted) / 1000).toFixed(2));
    await Promise.all(workers.map((worker) => worker.terminate()));
    workers.length = 0;
    const blocks = Number(await publicClient.getBlockNumber());
    const setupSeconds = (performance.now() - benchStarted) / 1000;
    log(`  state built in ${setupSeconds.toFixed(1)} s: ${VERSIONS} versions, ${VERSIONS * DEVICES} signed updates, ${blocks} blocks`);

    // ---- the audit ----------------------------------------------------------------------------------------------
    const audit = await runAudit({ rpcUrl: node.rpcUrl, deployment, ipfsPeers: gatewayUrl === undefined ? [] : [gatewayUrl], dataDir: join(dataDir, "auditor"), contentSample: CONTENT_SAMPLE, bar });

    // ---- a baseline: the naive auditor, one RPC call per update -------------------------------------------------
    const baseline = await naiveBaseline(node.rpcUrl, addresses.DeviceRegistry, commitBlocks.slice(0, BASELINE_VERSIONS), deviceAddresses);

    // Per proposed version (the genesis version is audited too, as one of `versions_audited`).
    const perVersionMs = (audit.seconds * 1000) / VERSIONS;
    const result = {
      versions: VERSIONS,
      devices_per_version: DEVICES,
      seconds: Number(audit.seconds.toFixed(2)),
      rpc_calls: audit.rpcCalls,
      goal: { seconds_under: 30, met: audit.ok && audit.seconds < 30 },
      audit: {
        ok: audit.ok,
        versions_audited: audit.subjects,
        per_version_ms: Number(perVersionMs.toFixed(1)),
        get_logs_calls: audit.getLogsCalls,
        ipfs_fetches: audit.ipfsFetches,
        library_reported_seconds: Number(audit.librarySeconds.toFixed(2)),
        subjects: audit.subjects,
        checks: audit.checks,
        failed_checks: audit.failedChecks,
        signed_updates: VERSIONS * DEVICES,
        signature_recovery: (await import("../lib/crypto/recover.ts")).recoveryBackend,
        ipfs_blockstore: "memory (the auditor's cache is bypassed, so fetched blocks are verified and not persisted)",
        update_content: `fetched and hashed for a sample of ${CONTENT_SAMPLE} update(s) per version (verifyUpdateContent: ${CONTENT_SAMPLE}); signatures, Merkle roots, sealed documents, models and device states checked for every update`,
      },
      baseline_naive_extrapolated: baseline === undefined ? null : {
        what: `a naive auditor making one eth_call per update (the device's state at the commitment block), measured on ${BASELINE_VERSIONS} versions and extrapolated linearly to ${VERSIONS}; signature and content work not included`,
        measured_versions: BASELINE_VERSIONS,
        measured_seconds: Number(baseline.seconds.toFixed(2)),
        measured_rpc_calls: baseline.rpcCalls,
        extrapolated_seconds: Number(((baseline.seconds * VERSIONS) / BASELINE_VERSIONS).toFixed(1)),
        extrapolated_rpc_calls: Math.round((baseline.rpcCalls * VERSIONS) / BASELINE_VERSIONS),
      },
      setup: {
        node: nodeKind,
        seconds: Number(setupSeconds.toFixed(1)),
        blocks,
        registration_blocks: registration.blocks,
        phases_s: timings,
        signing_cpu_s: Number(signingCpuSeconds.toFixed(1)),
        signing_threads: signerCount,
        rounds_waiting_for_signatures_s: Number(roundsWaitingForSignatures.toFixed(1)),
        update_files_per_version: CONTENTS,
        sealed_documents_mb: Number((sealedBytes / 1e6).toFixed(1)),
      },
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown"}); chain, IPFS and the auditor on one machine`,
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/audit.json", JSON.stringify(result, null, 2) + "\n");
    console.table({
      "audit seconds": { value: result.seconds, goal: "< 30", met: result.goal.met },
      "RPC calls": { value: result.rpc_calls, goal: "", met: "" },
      "per version (ms)": { value: result.audit.per_version_ms, goal: "", met: "" },
      "IPFS fetches": { value: result.audit.ipfs_fetches, goal: "", met: "" },
      "naive baseline s (extrapolated)": { value: result.baseline_naive_extrapolated?.extrapolated_seconds ?? "n/a", goal: "", met: "" },
      "setup seconds": { value: result.setup.seconds, goal: "", met: "" },
    });
    log(`wrote bench/results/audit.json`);
    if (!audit.ok) process.exitCode = 1;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await store.close().catch(() => undefined);
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  /** One eth_call per update, counted: the device's state at its round's commitment block, as an auditor without log reading or batching would check it. */
  async function naiveBaseline(rpcUrl: string, deviceRegistry: Address, commitBlocks: bigint[], devices: Address[]) {
    if (commitBlocks.length === 0) return undefined;
    let rpcCalls = 0;
    const client = createPublicClient({ transport: http(rpcUrl, { onFetchRequest: () => void rpcCalls++ }) });
    const started = performance.now();
    const progress = bar("naive baseline", commitBlocks.length * devices.length);
    for (const blockNumber of commitBlocks) {
      for (const [i, device] of devices.entries()) {
        if (!(await client.readContract({ address: deviceRegistry, abi: deviceRegistryAbi, functionName: "isActive", args: [device], blockNumber }))) throw new Error(`baseline: ${device} inactive at ${blockNumber}`);
        if (i % 100 === 99) progress.increment(100);
      }
      progress.increment(devices.length % 100);
    }
    progress.stop();
    return { seconds: (performance.now() - started) / 1000, rpcCalls };
  }
}

interface ProgressBar {
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  stop(): void;
}

interface AuditOutcome {
  ok: boolean;
  seconds: number;
  librarySeconds: number;
  rpcCalls: number;
  getLogsCalls: number;
  ipfsFetches: number;
  subjects: number;
  checks: number;
  failedChecks: number;
}

/**
 * ONE auditAll over the whole chain, timed from opening the sources (a fresh auditor: its own embedded IPFS node
 * fetching from the bench's gateway, no local cache) to the report. Prints the failing checks when it is not ok.
 */
async function runAudit(options: { rpcUrl: string; deployment: Deployment; ipfsPeers: string[]; dataDir: string; contentSample: number; bar: (label: string, total: number) => ProgressBar }): Promise<AuditOutcome> {
  const { openAuditSources } = await import("../audit/sources.ts");
  const { auditAll } = await import("../audit/all.ts");
  const started = performance.now();
  const sources = await openAuditSources({ deployment: options.deployment, rpcUrl: options.rpcUrl, ipfsPeers: options.ipfsPeers, dataDir: options.dataDir, noCache: true });
  let progress: ProgressBar | undefined;
  let report: AuditReport;
  try {
    report = await auditAll(sources, {
      verifyUpdateContent: options.contentSample,
      onProgress: (done, total, label) => {
        progress ??= options.bar("auditing versions", total);
        progress.setTotal(total);
        progress.update(done, { detail: label });
      },
    });
  } finally {
    progress?.stop();
    await sources.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const checks = report.subjects.flatMap((subject) => subject.checks.map((check) => ({ subject, check })));
  const failed = checks.filter(({ check }) => !check.ok);
  if (!report.ok) {
    process.stderr.write(`the audit found ${failed.length} failing check(s):\n`);
    for (const { subject, check } of failed.slice(0, 40)) process.stderr.write(`  ✘ ${subject.kind} ${subject.id} ${check.name}: ${check.reason ?? ""} ${JSON.stringify(check.evidence)}\n`);
  }
  return {
    ok: report.ok,
    seconds,
    librarySeconds: report.stats.seconds,
    rpcCalls: report.stats.rpcCalls,
    getLogsCalls: report.stats.getLogsCalls,
    ipfsFetches: report.stats.ipfsFetches,
    subjects: report.subjects.length,
    checks: checks.length,
    failedChecks: failed.length,
  };
}
