import { mkdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256, stringToHex, toBytes, type Hex } from "viem";
import { connectRpc, confirm, type ChainClients } from "../chain/clients.ts";
import { suiteContracts, type SuiteContracts } from "../chain/contracts.ts";
import { deploySuite } from "../chain/deploy.ts";
import { writeDeployment, type Deployment } from "../chain/deployment.ts";
import { devPrivateKey, devRoles } from "../chain/dev-accounts.ts";
import { freePorts, startLocalNode, type LocalNode, type NodeKind } from "../chain/local-node.ts";
import { RoundStatus, roundStatusName, verdictName, VersionStatus, type RoundStatusName } from "../chain/status.ts";
import { seedConsortium, type OrganisationPlan, type SeedPlan, type SeedResult, type SensorBounds } from "../chain/seed.ts";
import { syntheticSensorSchema } from "../data/telemetry.ts";
import { TelemetryServices, telemetryPortCount } from "./telemetry-services.ts";
import type { FederatedData } from "../data/dataset.ts";
import { openContentStore, type ContentStore } from "../ipfs/store.ts";
import { buildModel } from "../model/model.ts";
import { defaultSpec } from "../model/spec.ts";
import { initTf } from "../model/tf.ts";
import { loadFederatedData, taskNameOf, type DatasetName } from "./data-source.ts";
import { fromScaled, toScaled } from "./envelope.ts";
import { publishModel } from "./model-store.ts";
import { policyMetricOf, validationMetric } from "./validation.ts";
import { startChild, type ChildHandle } from "./processes.ts";
import { privacyScaled } from "../chain/policy.ts";
import type { WebAppNetwork } from "./web-app.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ClusterOptions {
  devices: number;
  dataset: DatasetName;
  datasetDir: string;
  strategy: string;
  byzantine: number;
  /** What Byzantine devices do: one attack for all, or "mixed" (sign flip, scaling and label flip in turn). */
  attack: "sign_flip" | "scaled" | "label_flip" | "mixed";
  dataDir: string;
  node: NodeKind;
  oracles: number;
  quorum: number;
  roundSeconds: number;
  sealWindowSeconds: number;
  localEpochs: number;
  maxUpdateNorm: number;
  seed: number;
  /** Synthetic only: run-to-failure units per device (smaller partitions for large simulated fleets). */
  unitsPerDevice?: number;
  /** XAI-guided weighting in the oracles' aggregation. */
  xaiWeighting?: boolean;
  /** Fog gateways, a twin process and the fleet's telemetry beside the FL loop (synthetic data only; default on). */
  telemetry?: boolean;
  /** Telemetry readings per second per device. */
  telemetryRate?: number;
  /** CKKS-encrypted updates, aggregated as ciphertexts; a key-holder process decrypts each round's aggregate only. */
  encrypted?: boolean;
  /** Differential privacy: each device clips its update delta to this L2 norm and adds its share of the noise. */
  dpClipNorm?: number;
  /** Differential privacy: the Gaussian noise multiplier σ (needs dpClipNorm). */
  dpNoiseMultiplier?: number;
}

export const defaultClusterOptions: ClusterOptions = {
  devices: 20,
  dataset: "synthetic",
  datasetDir: join(root, "..", "shared", "data"),
  strategy: "fedavg",
  byzantine: 0,
  attack: "mixed",
  dataDir: join(root, ".twinledger"),
  node: "hardhat",
  oracles: 3,
  quorum: 2,
  roundSeconds: 90,
  sealWindowSeconds: 15,
  localEpochs: 2,
  maxUpdateNorm: 10,
  seed: 7,
};

export type Phase = "training" | "committed" | "proposed" | "decided";

export interface RoundProgress {
  roundId: bigint;
  phase: Phase;
  updatesSent: number;
  devices: number;
}

export interface RoundSummary {
  roundId: bigint;
  status: RoundStatusName;
  participants: number;
  accepted: number;
  rejected: number;
  rejectionReasons: Record<string, number>;
  metric: number | undefined;
  verdict: string;
  deployedVersion: bigint;
  proposedCid: string | undefined;
  gasUsed: bigint;
  transactions: number;
  seconds: number;
}

/** Spreads `count` devices over three organisations, one device per asset. */
export function fleetPlan(count: number, tasks: SeedPlan["tasks"] = [], sensors?: SensorBounds[]): SeedPlan {
  const kinds: OrganisationPlan[] = [
    { name: "Northwind Aero", metadata: { deviceType: "turbofan-ecu", sensors: [{ name: "T24", unit: "degR", min: 640, max: 645 }, { name: "T50", unit: "degR", min: 1380, max: 1440 }] }, assetLabels: [] },
    { name: "Delta Pumps", metadata: { deviceType: "pump-monitor", sensors: [{ name: "flow", unit: "m3/h", min: 20, max: 140 }, { name: "vibration", unit: "mm/s", min: 0, max: 7.1 }] }, assetLabels: [] },
    { name: "Helix Machining", metadata: { deviceType: "mill-controller", sensors: [{ name: "torque", unit: "Nm", min: 3.8, max: 76.6 }, { name: "tool_wear", unit: "min", min: 0, max: 253 }] }, assetLabels: [] },
  ];
  // With telemetry, every device declares the sensors its simulated machine really has (and their bounds).
  if (sensors) for (const kind of kinds) kind.metadata.sensors = sensors;
  const perOrganisation = [0, 0, 0];
  for (let i = 0; i < count; i++) perOrganisation[i % 3]!++;
  kinds.forEach((kind, k) => {
    kind.assetLabels = Array.from({ length: perOrganisation[k]! }, (_, i) => `${kind.metadata.deviceType.split("-")[0]}-${String(i + 1).padStart(4, "0")}`);
  });
  return { deviceSeed: "fleet", devicesPerAsset: 1, organisations: kinds, tasks };
}

/**
 * A whole twinledger network on this machine: a local chain with the suite deployed and a consortium seeded,
 * an embedded IPFS node for this process, oracle processes and a device-fleet process, each with its own IPFS
 * node sharing blocks over loopback trustless gateways.
 */
export class Cluster {
  readonly options: ClusterOptions;
  readonly chain: LocalNode;
  readonly clients: ChainClients;
  readonly deployment: Deployment;
  readonly contracts: SuiteContracts;
  readonly seeded: SeedResult;
  readonly store: ContentStore;
  readonly data: FederatedData;
  readonly taskId: Hex;
  readonly oracles: ChildHandle[];
  readonly oracleUrls: string[];
  /** The device-fleet processes (one, or one per core for large fleets), each running a shard of the devices. */
  readonly fleets: ChildHandle[];
  readonly startOracle: (index: number) => ChildHandle;
  readonly heartbeat: NodeJS.Timeout;
  /** Gateways, twins and the telemetry uplink, when the run has them. */
  readonly telemetry: TelemetryServices | undefined;
  /** The key holder, when updates are encrypted. */
  readonly keyHolder: ChildHandle | undefined;
  /** The trustless gateways of this network's IPFS nodes (this process, fleets, oracles, key holder). */
  readonly ipfsGatewayUrls: string[];

  private constructor(
    options: ClusterOptions,
    chain: LocalNode,
    clients: ChainClients,
    deployment: Deployment,
    contracts: SuiteContracts,
    seeded: SeedResult,
    store: ContentStore,
    data: FederatedData,
    taskId: Hex,
    oracles: ChildHandle[],
    oracleUrls: string[],
    fleets: ChildHandle[],
    startOracle: (index: number) => ChildHandle,
    heartbeat: NodeJS.Timeout,
    telemetry: TelemetryServices | undefined,
    keyHolder: ChildHandle | undefined,
    ipfsGatewayUrls: string[],
  ) {
    this.options = options;
    this.chain = chain;
    this.clients = clients;
    this.deployment = deployment;
    this.contracts = contracts;
    this.seeded = seeded;
    this.store = store;
    this.data = data;
    this.taskId = taskId;
    this.oracles = oracles;
    this.oracleUrls = oracleUrls;
    this.fleets = fleets;
    this.startOracle = startOracle;
    this.heartbeat = heartbeat;
    this.telemetry = telemetry;
    this.keyHolder = keyHolder;
    this.ipfsGatewayUrls = ipfsGatewayUrls;
  }

  static async start(options: ClusterOptions, onStep: (step: string) => void = () => {}): Promise<Cluster> {
    const runDir = join(options.dataDir, "run");
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });

    onStep(`starting a ${options.node} chain`);
    const chain = await startLocalNode(options.node);
    try {
      onStep("deploying the contracts with Ignition");
      const deployment = await deploySuite({ rpcUrl: chain.rpcUrl });
      const deploymentPath = join(runDir, "deployment.json");
      writeDeployment(deploymentPath, deployment);
      writeDeployment(join(options.dataDir, "deployment.json"), deployment);
      const clients = await connectRpc(chain.rpcUrl);
      const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
      const oracleIndices = devRoles.oracles.slice(0, options.oracles);
      if (oracleIndices.length < options.oracles) throw new Error(`at most ${devRoles.oracles.length} oracles`);

      // Large fleets get a process per spare core; on 2 cores the oracles need the second one (measured: no gain).
      const shards = options.devices >= 200 ? Math.max(1, Math.min(4, availableParallelism() - 2)) : 1;
      const telemetry = (options.telemetry ?? true) && options.dataset === "synthetic";
      const encrypted = options.encrypted === true;
      const keyHolderPorts = encrypted ? 2 : 0;
      const picked = await freePorts(1 + shards + 2 * options.oracles + keyHolderPorts + (telemetry ? telemetryPortCount(2) : 0));
      const afterOracles = 1 + shards + 2 * options.oracles;
      const ports = {
        main: picked[0]!,
        fleets: picked.slice(1, 1 + shards),
        oracleGateways: picked.slice(1 + shards, 1 + shards + options.oracles),
        oracleApis: picked.slice(1 + shards + options.oracles, afterOracles),
        keyHolder: encrypted ? { api: picked[afterOracles]!, gateway: picked[afterOracles + 1]! } : undefined,
        telemetry: picked.slice(afterOracles + keyHolderPorts),
      };
      const gateway = (port: number) => `http://127.0.0.1:${port}`;
      const allGateways = [ports.main, ...ports.fleets, ...ports.oracleGateways, ...(ports.keyHolder ? [ports.keyHolder.gateway] : [])].map(gateway);
      const peersOf = (port: number) => allGateways.filter((url) => url !== gateway(port));
      const { store } = await openContentStore({ dataDir: join(runDir, "main"), peers: peersOf(ports.main), gatewayPort: ports.main });
      onStep(`seeding a consortium of 3 organisations and ${options.devices} devices`);
      const seeded = await seedConsortium(clients, deployment.addresses, {
        governance: wallet(devRoles.governance),
        organisationAdmins: devRoles.organisations.map(wallet),
        oracles: oracleIndices.map((i) => wallet(i).account.address),
        gateways: devRoles.gateways.map((i) => wallet(i).account.address),
        auditors: [wallet(devRoles.auditor).account.address],
        keyHolders: [wallet(devRoles.keyHolder).account.address],
      }, fleetPlan(options.devices, [], telemetry ? syntheticSensorSchema({ seed: options.seed }) : undefined), (bytes) => store.addFile(bytes));

      onStep("preparing data and the genesis model");
      const data = await loadFederatedData({ dataset: options.dataset, devices: options.devices, seed: options.seed, dataDir: options.datasetDir, unitsPerDevice: options.unitsPerDevice });
      const tf = await initTf();
      const genesisModel = buildModel(tf, defaultSpec(data), options.seed);
      const genesisMetric = validationMetric(tf, genesisModel, data.validation, data.kind).metric;
      const genesis = await publishModel(store, genesisModel);
      genesisModel.dispose();
      const taskName = taskNameOf(options.dataset);
      const regression = data.kind === "regression";
      const governance = suiteContracts(clients.publicClient, deployment.addresses, wallet(devRoles.governance));
      await confirm(clients.publicClient, await governance.models.write.createTask([
        taskName,
        {
          metricId: stringToHex(policyMetricOf(data.kind), { size: 32 }),
          // Both metrics are losses: a version must do no worse than the genesis model, and better than the one it replaces.
          higherIsBetter: false,
          threshold: toScaled(Math.max(genesisMetric, regression ? 1 : 0.01)),
          minImprovement: 0n,
          minParticipants: Math.max(1, Math.ceil(options.devices / 2)),
          quorum: options.quorum,
          encryptedAggregation: encrypted,
          dpClipNorm: privacyScaled(options.dpClipNorm ?? 0, "dpClipNorm"),
          dpNoiseMultiplier: privacyScaled(options.dpNoiseMultiplier ?? 0, "dpNoiseMultiplier"),
        },
        genesis.cid,
        genesis.weightsHash,
        toScaled(genesisMetric),
      ]));
      const taskId = keccak256(toBytes(taskName));

      let keyHolder: ChildHandle | undefined;
      if (ports.keyHolder) {
        onStep("starting the key holder and publishing the consortium's CKKS public key");
        keyHolder = startChild("keyholder", join(root, "keyholder", "main.ts"), [
          "--rpc", chain.rpcUrl,
          "--deployment", deploymentPath,
          "--key", devPrivateKey(devRoles.keyHolder),
          "--data-dir", join(runDir, "keyholder"),
          "--port", String(ports.keyHolder.api),
          "--ipfs-gateway-port", String(ports.keyHolder.gateway),
          "--ipfs-peers", peersOf(ports.keyHolder.gateway).join(","),
          "--generate-key",
        ]);
        await keyHolder.waitFor((event) => event.event === "ready", 120_000);
      }
      const oracleAddresses = oracleIndices.map((i) => wallet(i).account.address);
      const oracleUrls = ports.oracleApis.map(gateway);
      const common = ["--rpc", chain.rpcUrl, "--deployment", deploymentPath, "--dataset", options.dataset, "--dataset-dir", options.datasetDir, "--seed", String(options.seed), "--devices", String(options.devices), "--task", taskName, ...(options.unitsPerDevice ? ["--units", String(options.unitsPerDevice)] : [])];
      const startOracle = (index: number) =>
        startChild(`oracle-${index}`, join(root, "oracle", "main.ts"), [
          ...common,
          "--key", devPrivateKey(oracleIndices[index]!),
          "--port", String(ports.oracleApis[index]),
          "--data-dir", join(runDir, `oracle-${index}`),
          "--ipfs-gateway-port", String(ports.oracleGateways[index]),
          "--ipfs-peers", peersOf(ports.oracleGateways[index]!).join(","),
          "--oracles", oracleAddresses.join(","),
          "--oracle-urls", oracleUrls.join(","),
          "--expected-participants", String(options.devices),
          "--seal-window", String(options.sealWindowSeconds),
          "--strategy", options.strategy,
          "--max-update-norm", String(options.maxUpdateNorm),
          ...(options.xaiWeighting ? ["--xai-weighting"] : []),
          ...(ports.keyHolder ? ["--key-holder-url", gateway(ports.keyHolder.api)] : []),
        ]);
      onStep(`starting ${options.oracles} oracle nodes and a fleet of ${options.devices} devices`);
      const oracles = oracleIndices.map((_, index) => startOracle(index));
      await Promise.all(oracles.map((oracle) => oracle.waitFor((event) => event.event === "ready", 120_000)));
      const fleets = ports.fleets.map((port, shard) =>
        startChild(shards === 1 ? "fleet" : `fleet-${shard}`, join(root, "edge", "fleet.ts"), [
          ...common,
          "--device-seed", "fleet",
          "--data-dir", join(runDir, `fleet-${shard}`),
          "--ipfs-gateway-port", String(port),
          "--ipfs-peers", peersOf(port).join(","),
          "--oracle-urls", oracleUrls.join(","),
          "--byzantine", String(options.byzantine),
          "--attack", options.attack,
          "--local-epochs", String(options.localEpochs),
          "--shard", String(shard),
          "--shards", String(shards),
        ]),
      );
      await Promise.all(fleets.map((fleet) => fleet.waitFor((event) => event.event === "ready", 120_000)));
      const contracts = suiteContracts(clients.publicClient, deployment.addresses, wallet(devRoles.governance));
      // Dev chains mine only on transactions, and stamp quick successive blocks ahead of the wall clock. A block a
      // second keeps chain time moving at one second per second, as on a real chain, so deadlines come when due.
      const heartbeat = setInterval(() => void clients.publicClient.request({ method: "evm_mine" } as never).catch(() => undefined), 1000);
      let telemetryServices: TelemetryServices | undefined;
      if (telemetry) {
        onStep("starting 2 fog gateways, the digital twins and the fleet's telemetry");
        telemetryServices = await TelemetryServices.start({
          rpcUrl: chain.rpcUrl,
          deploymentPath,
          runDir,
          devices: options.devices,
          seed: options.seed,
          ...(options.unitsPerDevice ? { unitsPerDevice: options.unitsPerDevice } : {}),
          taskName,
          ipfsPeers: allGateways,
          ports: ports.telemetry,
          gateways: 2,
          rate: options.telemetryRate ?? 20,
        }).catch(async (error: unknown) => {
          clearInterval(heartbeat);
          await Promise.all([...fleets.map((fleet) => fleet.stop()), ...oracles.map((oracle) => oracle.stop()), keyHolder?.stop()]);
          throw error;
        });
      }
      onStep(`ready: genesis ${regression ? "RMSE" : "log-loss"} ${genesisMetric.toFixed(3)}, model ${genesis.cid}`);
      return new Cluster(options, chain, clients, deployment, contracts, seeded, store, data, taskId, oracles, oracleUrls, fleets, startOracle, heartbeat, telemetryServices, keyHolder, allGateways);
    } catch (error) {
      await chain.stop();
      throw error;
    }
  }

  /** Opens a round on the deployed version and follows it to its decision. */
  async runRound(onProgress: (progress: RoundProgress) => void = () => {}): Promise<RoundSummary> {
    const started = Date.now();
    const { models } = this.contracts;
    const { publicClient } = this.clients;
    const base = await models.read.deployedVersion([this.taskId]);
    const deadline = (await publicClient.getBlock()).timestamp + BigInt(this.options.roundSeconds);
    const opened = await confirm(publicClient, await models.write.openRound([this.taskId, base, deadline]));
    const roundId = await models.read.roundCount();
    const sentBefore = this.updatesSent();
    let status: number = RoundStatus.Open;
    while (status === RoundStatus.Open || status === RoundStatus.Committed || status === RoundStatus.Proposed) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await models.read.roundStatus([roundId]);
      const updatesSent = this.updatesSent() - sentBefore;
      const phase: Phase = status === RoundStatus.Open ? "training" : status === RoundStatus.Committed ? "committed" : status === RoundStatus.Proposed ? "proposed" : "decided";
      onProgress({ roundId, phase, updatesSent, devices: this.options.devices });
    }
    // The leader sends the round's reputation batch right after the decision; include it when it lands promptly.
    for (let i = 0; i < 25 && !(await this.contracts.reputation.read.isRoundScored([roundId])); i++) await new Promise((resolve) => setTimeout(resolve, 200));

    const round = await models.read.round([roundId]);
    const version = round.proposedVersion === 0n ? undefined : await models.read.version([round.proposedVersion]);
    const leaderUrl = this.oracleUrls[Number((roundId - 1n) % BigInt(this.oracleUrls.length))]!;
    const leaderView = (await (await fetch(`${leaderUrl}/rounds/${roundId}`)).json()) as { accepted: string[]; rejected: { device: string; reason: string }[] };
    const rejectionReasons: Record<string, number> = {};
    for (const { reason } of leaderView.rejected) rejectionReasons[reason] = (rejectionReasons[reason] ?? 0) + 1;
    let gasUsed = 0n;
    let transactions = 0;
    const last = await publicClient.getBlockNumber({ cacheTime: 0 });
    for (let block = opened.blockNumber; block <= last; block++) {
      for (const hash of (await publicClient.getBlock({ blockNumber: block })).transactions) {
        gasUsed += (await publicClient.getTransactionReceipt({ hash })).gasUsed;
        transactions++;
      }
    }
    return {
      roundId,
      status: roundStatusName[status]!,
      participants: round.participantCount,
      accepted: leaderView.accepted.length,
      rejected: leaderView.rejected.length,
      rejectionReasons,
      metric: version ? fromScaled(version.metric) : undefined,
      verdict: version ? (version.status === VersionStatus.Validated ? "deployed" : verdictName[version.verdict] ?? "rejected") : roundStatusName[status]!,
      deployedVersion: await models.read.deployedVersion([this.taskId]),
      proposedCid: version?.cid,
      gasUsed,
      transactions,
      seconds: (Date.now() - started) / 1000,
    };
  }

  /** What the web app needs to serve this network (lib/fl/web-app.ts). */
  webAppNetwork(): WebAppNetwork {
    return {
      rpcUrl: this.chain.rpcUrl,
      deployment: this.deployment,
      ipfsGateways: [...this.ipfsGatewayUrls, ...(this.telemetry?.ipfsGatewayUrls ?? [])],
      ...(this.telemetry ? { twinUrl: this.telemetry.twinUrl } : {}),
      oracleUrls: this.oracleUrls,
    };
  }

  /** The first (or only) fleet process. */
  get fleet(): ChildHandle {
    return this.fleets[0]!;
  }

  /** Device updates sent so far, across every fleet process. */
  updatesSent(): number {
    return this.fleets.reduce((sum, fleet) => sum + fleet.events.filter((e) => e.event === "update").length, 0);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.telemetry?.stop();
    await Promise.all([...this.fleets.map((fleet) => fleet.stop()), ...this.oracles.map((oracle) => oracle.stop()), this.keyHolder?.stop()]);
    await this.store.close();
    await this.chain.stop();
  }
}
