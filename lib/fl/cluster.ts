import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256, stringToHex, toBytes, type Hex } from "viem";
import { connectRpc, confirm, type ChainClients } from "../chain/clients.ts";
import { suiteContracts, type SuiteContracts } from "../chain/contracts.ts";
import { deploySuite } from "../chain/deploy.ts";
import { readDeployment, writeDeployment, type Deployment } from "../chain/deployment.ts";
import { devPrivateKey, devRoles } from "../chain/dev-accounts.ts";
import { freePorts, startLocalNode, type LocalNode, type NodeKind } from "../chain/local-node.ts";
import { isRoundInProgress, RoundStatus, roundStatusName, verdictName, VersionStatus, type RoundStatusName } from "../chain/status.ts";
import { seedConsortium, type OrganisationPlan, type SeedPlan, type SeedResult, type SensorBounds } from "../chain/seed.ts";
import { syntheticSensorSchema } from "../data/telemetry.ts";
import { TelemetryServices, telemetryPortCount } from "./telemetry-services.ts";
import type { FederatedData } from "../data/dataset.ts";
import { openContentStore, type ContentStore } from "../ipfs/store.ts";
import { buildModel } from "../model/model.ts";
import { defaultSpec } from "../model/spec.ts";
import { initTf } from "../model/tf.ts";
import { loadFederatedData, type DatasetName } from "./data-source.ts";
import { readOracleRoundView } from "./oracle-round-view.ts";
import { RunJournal, runJournalPath } from "./run-record.ts";
import { RunLock, type LockedChild } from "./run-lock.ts";
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
  /** The rounds the run is planned for; recorded, so a resumed run knows how many are left. */
  rounds?: number;
  /** csv only: the CSV source file naming the CSV and its column mapping (lib/fl/data-source.ts). */
  csvSource?: string;
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
  /**
   * Resume the run recorded under dataDir/run instead of starting clean: its chain (Anvil's saved state), oracle
   * journals, IPFS blockstores and key store are kept, and the network options come from its record.
   */
  resume?: boolean;
}

/** Where a run on Anvil keeps its chain, so the run can be resumed. */
export function chainStatePath(dataDir: string): string {
  return join(dataDir, "run", "chain", "state.json");
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
  /** The leader's reputation batch for the round landed by the time the summary was taken. */
  reputationScored: boolean;
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
  /** The run's record: its network, and a summary of every decided round (what --resume continues from). */
  readonly journal: RunJournal;
  readonly #lock: RunLock;

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
    journal: RunJournal,
    lock: RunLock,
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
    this.journal = journal;
    this.#lock = lock;
  }

  static async start(requested: ClusterOptions, onStep: (step: string) => void = () => {}): Promise<Cluster> {
    mkdirSync(requested.dataDir, { recursive: true });
    const lock = await RunLock.acquire(requested.dataDir, onStep);
    try {
      return await Cluster.#startLocked(requested, lock, onStep);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  static async #startLocked(requested: ClusterOptions, lock: RunLock, onStep: (step: string) => void): Promise<Cluster> {
    const runDir = join(requested.dataDir, "run");
    const journalPath = runJournalPath(requested.dataDir);
    const statePath = chainStatePath(requested.dataDir);
    let resumed: RunJournal | undefined;
    let options = requested;
    if (requested.resume) {
      resumed = RunJournal.open(journalPath);
      // The network is the recorded one; only how the run is driven (rounds, app, ports) comes from the new flags.
      options = { ...requested, ...resumed.record.options };
      const stateProblem = options.node !== "anvil"
        ? `the run in ${runDir} was on Hardhat's node, which keeps its chain in memory only; runs on Anvil (--node anvil, the main job's default) keep theirs and can be resumed`
        : !existsSync(statePath) ? `the run's chain state ${statePath} is missing` : undefined;
      if (stateProblem) {
        resumed.close();
        throw new Error(`cannot resume: ${stateProblem}`);
      }
    } else {
      rmSync(runDir, { recursive: true, force: true });
      mkdirSync(runDir, { recursive: true });
    }

    onStep(resumed ? `restarting the ${options.node === "anvil" ? "Anvil" : "Hardhat"} chain from its saved state (${resumed.record.rounds.length} rounds done)` : `starting ${options.node === "anvil" ? "an Anvil" : "a Hardhat"} chain`);
    if (options.node === "anvil") mkdirSync(join(runDir, "chain"), { recursive: true });
    const chain = await startLocalNode(options.node, options.node === "anvil" ? { statePath } : {});
    try {
      const deploymentPath = join(runDir, "deployment.json");
      let deployment: Deployment;
      if (resumed) {
        deployment = readDeployment(deploymentPath);
      } else {
        onStep("deploying the contracts with Ignition");
        deployment = await deploySuite({ rpcUrl: chain.rpcUrl });
        writeDeployment(deploymentPath, deployment);
      }
      writeDeployment(join(options.dataDir, "deployment.json"), deployment);
      const clients = await connectRpc(chain.rpcUrl);
      if (resumed && (await clients.publicClient.getCode({ address: deployment.addresses.ModelRegistry })) === undefined) {
        throw new Error(`cannot resume: the chain restored from ${statePath} has no contract at the recorded ModelRegistry ${deployment.addresses.ModelRegistry}`);
      }
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
      if (!resumed) onStep(`seeding a consortium of 3 organisations and ${options.devices} devices`);
      const seeded = resumed ? resumed.record.seeded : await seedConsortium(clients, deployment.addresses, {
        governance: wallet(devRoles.governance),
        organisationAdmins: devRoles.organisations.map(wallet),
        oracles: oracleIndices.map((i) => wallet(i).account.address),
        gateways: devRoles.gateways.map((i) => wallet(i).account.address),
        auditors: [wallet(devRoles.auditor).account.address],
        keyHolders: [wallet(devRoles.keyHolder).account.address],
      }, fleetPlan(options.devices, [], telemetry ? syntheticSensorSchema({ seed: options.seed }) : undefined), (bytes) => store.addFile(bytes));

      onStep(resumed ? "loading the data" : "preparing data and the genesis model");
      const data = await loadFederatedData(
        { dataset: options.dataset, devices: options.devices, seed: options.seed, dataDir: options.datasetDir, unitsPerDevice: options.unitsPerDevice, csvSource: options.csvSource },
        (warning) => onStep(`warning: ${warning}`),
      );
      const taskName = data.taskName;
      const taskId = keccak256(toBytes(taskName));
      const journal = resumed ?? (await Cluster.#createTask({ options, clients, deployment, store, data, taskName, seeded, journalPath, onStep, wallet }));

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
      const common = ["--rpc", chain.rpcUrl, "--deployment", deploymentPath, "--dataset", options.dataset, "--dataset-dir", options.datasetDir, "--seed", String(options.seed), "--devices", String(options.devices), "--task", taskName, ...(options.unitsPerDevice ? ["--units", String(options.unitsPerDevice)] : []), ...(options.csvSource ? ["--csv-source", options.csvSource] : [])];
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
      const children: Omit<LockedChild, "command">[] = [
        { pid: chain.process.pid!, name: options.node, signal: options.node === "anvil" ? "SIGINT" : "SIGTERM" },
        ...[...oracles, ...fleets, ...(keyHolder ? [keyHolder] : []), ...(telemetryServices?.children ?? [])].map((child) => ({ pid: child.process.pid!, name: child.name, signal: "SIGTERM" as const })),
      ];
      lock.setChildren(children);
      const cluster = new Cluster(options, chain, clients, deployment, contracts, seeded, store, data, taskId, oracles, oracleUrls, fleets, startOracle, heartbeat, telemetryServices, keyHolder, allGateways, journal, lock);
      if (resumed) {
        await cluster.#recordDecidedRounds().catch(async (error: unknown) => {
          await cluster.stop();
          throw error;
        });
      }
      onStep("ready");
      return cluster;
    } catch (error) {
      resumed?.close();
      await chain.stop();
      throw error;
    }
  }

  /** A new run's task: a genesis model on IPFS and the task on chain; then the run's record is started. */
  static async #createTask(setup: {
    options: ClusterOptions;
    clients: ChainClients;
    deployment: Deployment;
    store: ContentStore;
    data: FederatedData;
    taskName: string;
    seeded: SeedResult;
    journalPath: string;
    onStep: (step: string) => void;
    wallet: (index: number) => ReturnType<ChainClients["walletFor"]>;
  }): Promise<RunJournal> {
    const { options, clients, deployment, store, data, taskName, wallet } = setup;
    const tf = await initTf();
    const genesisModel = buildModel(tf, defaultSpec(data), options.seed);
    const genesisMetric = validationMetric(tf, genesisModel, data.validation, data.kind).metric;
    const genesis = await publishModel(store, genesisModel);
    genesisModel.dispose();
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
        encryptedAggregation: options.encrypted === true,
        dpClipNorm: privacyScaled(options.dpClipNorm ?? 0, "dpClipNorm"),
        dpNoiseMultiplier: privacyScaled(options.dpNoiseMultiplier ?? 0, "dpNoiseMultiplier"),
      },
      genesis.cid,
      genesis.weightsHash,
      toScaled(genesisMetric),
    ]));
    setup.onStep(`genesis ${regression ? "RMSE" : "log-loss"} ${genesisMetric.toFixed(3)}, model ${genesis.cid}`);
    const { resume: _resume, dataDir: _dataDir, ...network } = options;
    return RunJournal.create(setup.journalPath, { options: network, taskName, seeded: setup.seeded });
  }

  /**
   * Opens a round on the deployed version and follows it to its decision, then records its summary in the run's
   * journal. A round still live on chain (a resumed run stopped in the middle of it) is followed instead of opened.
   */
  async runRound(onProgress: (progress: RoundProgress) => void = () => {}): Promise<RoundSummary> {
    const started = Date.now();
    const { models } = this.contracts;
    const { publicClient } = this.clients;
    const live = await this.#liveRound();
    let roundId: bigint;
    let openedBlock: bigint;
    if (live) {
      ({ roundId, openedBlock } = live);
    } else {
      const base = await models.read.deployedVersion([this.taskId]);
      const deadline = (await publicClient.getBlock()).timestamp + BigInt(this.options.roundSeconds);
      openedBlock = (await confirm(publicClient, await models.write.openRound([this.taskId, base, deadline]))).blockNumber;
      roundId = await models.read.roundCount();
    }
    const sentBefore = this.updatesSent();
    let status: number = RoundStatus.Open;
    while (isRoundInProgress(status)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await models.read.roundStatus([roundId]);
      const updatesSent = this.updatesSent() - sentBefore;
      const phase: Phase = status === RoundStatus.Open ? "training" : status === RoundStatus.Committed ? "committed" : status === RoundStatus.Proposed ? "proposed" : "decided";
      onProgress({ roundId, phase, updatesSent, devices: this.options.devices });
    }
    // The leader sends the round's reputation batch right after the decision; include it when it lands promptly.
    for (let i = 0; i < 25 && !(await this.contracts.reputation.read.isRoundScored([roundId])); i++) await new Promise((resolve) => setTimeout(resolve, 200));

    const summary = await this.#summarise(roundId, status, openedBlock, await publicClient.getBlockNumber({ cacheTime: 0 }), (Date.now() - started) / 1000);
    this.journal.appendRound(summary);
    return summary;
  }

  /**
   * A round's summary from the chain and its leader's record: outcome, participation, and the gas of every transaction
   * in blocks [openedBlock, untilBlock].
   */
  async #summarise(roundId: bigint, status: number, openedBlock: bigint, untilBlock: bigint, seconds: number): Promise<RoundSummary> {
    const { models } = this.contracts;
    const { publicClient } = this.clients;
    const round = await models.read.round([roundId]);
    const version = round.proposedVersion === 0n ? undefined : await models.read.version([round.proposedVersion]);
    const deployed = version?.status === VersionStatus.Validated;
    const leaderUrl = this.oracleUrls[Number((roundId - 1n) % BigInt(this.oracleUrls.length))]!;
    const leaderView = await readOracleRoundView(leaderUrl, roundId);
    const rejectionReasons: Record<string, number> = {};
    for (const { reason } of leaderView.rejected) rejectionReasons[reason] = (rejectionReasons[reason] ?? 0) + 1;
    let gasUsed = 0n;
    let transactions = 0;
    for (let block = openedBlock; block <= untilBlock; block++) {
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
      verdict: version ? (deployed ? "deployed" : verdictName[version.verdict] ?? "rejected") : roundStatusName[status]!,
      // After the round: its own version if the policy deployed it, else the version it trained on, still deployed.
      deployedVersion: deployed ? round.proposedVersion : round.baseVersion,
      proposedCid: version?.cid,
      gasUsed,
      transactions,
      seconds,
      reputationScored: await this.contracts.reputation.read.isRoundScored([roundId]),
    };
  }

  /**
   * Records the rounds the chain decided after the run's journal last did: a run killed between a round's decision
   * and its journal entry (a crash, or SIGKILL) would otherwise leave that round out of the run's summary. Their
   * duration is unknown (0 s).
   */
  async #recordDecidedRounds(): Promise<void> {
    const { models } = this.contracts;
    const recorded = this.journal.record.rounds.at(-1)?.roundId ?? 0n;
    const count = await models.read.roundCount();
    for (let roundId = recorded + 1n; roundId <= count; roundId++) {
      const status = await models.read.roundStatus([roundId]);
      if (isRoundInProgress(status)) break;
      const openedBlock = BigInt((await models.read.round([roundId])).openedAt);
      const untilBlock = roundId < count ? BigInt((await models.read.round([roundId + 1n])).openedAt) - 1n : await this.clients.publicClient.getBlockNumber({ cacheTime: 0 });
      this.journal.appendRound(await this.#summarise(roundId, status, openedBlock, untilBlock, 0));
    }
  }

  /** The task's round that is still in progress on chain and before its deadline, if any. */
  async #liveRound(): Promise<{ roundId: bigint; openedBlock: bigint } | undefined> {
    const { models } = this.contracts;
    const roundId = (await models.read.task([this.taskId])).liveRound;
    if (roundId === 0n) return undefined;
    const status = await models.read.roundStatus([roundId]);
    if (!isRoundInProgress(status)) return undefined;
    const round = await models.read.round([roundId]);
    const now = (await this.clients.publicClient.getBlock()).timestamp;
    return now > round.deadline ? undefined : { roundId, openedBlock: BigInt(round.openedAt) };
  }

  /** What the web app needs to serve this network (lib/fl/web-app.ts). */
  webAppNetwork(): WebAppNetwork {
    const ipfsApiUrl = process.env.IPFS_API_URL?.trim();
    return {
      rpcUrl: this.chain.rpcUrl,
      deployment: this.deployment,
      ipfsGateways: [...this.ipfsGatewayUrls, ...(this.telemetry?.ipfsGatewayUrls ?? [])],
      ...(ipfsApiUrl ? { ipfsApiUrl } : {}),
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
    return this.fleets.reduce((sum, fleet) => sum + fleet.events.filter((e) => e.event === "update" || e.event === "already_accepted").length, 0);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.telemetry?.stop();
    await Promise.all([...this.fleets.map((fleet) => fleet.stop()), ...this.oracles.map((oracle) => oracle.stop()), this.keyHolder?.stop()]);
    await this.store.close();
    await this.chain.stop();
    this.journal.close();
    this.#lock.release();
  }
}
