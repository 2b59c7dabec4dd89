import type { LayersModel } from "@tensorflow/tfjs";
import { join } from "node:path";
import type { Server } from "node:http";
import { getAddress, keccak256, toBytes, type Address, type Hex } from "viem";
import { z } from "zod";
import { connectRpc, confirm, type ChainClients } from "../lib/chain/clients.ts";
import { suiteContracts, type SuiteContracts } from "../lib/chain/contracts.ts";
import { readDeployment, type Deployment } from "../lib/chain/deployment.ts";
import { privacyOf, type TaskPrivacy } from "../lib/chain/policy.ts";
import { deviceScoreOfScoringRecord, orderScoreChanges, organisationOfScoringRecord } from "../lib/chain/reputation-batch.ts";
import { RoundStatus, VersionStatus } from "../lib/chain/status.ts";
import { buildUpdateTree, type UpdateLeaf } from "../lib/chain/update-tree.ts";
import type { FederatedData } from "../lib/data/dataset.ts";
import type { OracleRoundView } from "../lib/fl/oracle-round-view.ts";
import { loadFederatedData } from "../lib/fl/data-source.ts";
import { envelopeToJson, fromScaled, toScaled } from "../lib/fl/envelope.ts";
import { loadVerifiedModel, publishModel } from "../lib/fl/model-store.ts";
import { aggregateEncryptedUpdates } from "../lib/fl/encrypted-round.ts";
import { encodeSealedUpdates } from "../lib/fl/sealed-updates.ts";
import { validationMetric } from "../lib/fl/validation.ts";
import { openContentStore, type ContentStore } from "../lib/ipfs/store.ts";
import { setFlatWeights } from "../lib/model/model.ts";
import { initTf, type TfModule } from "../lib/model/tf.ts";
import { bytesToWeights, isFinite as allFinite, l2Distance, weightsHash } from "../lib/model/weights.ts";
import { effectiveNoiseMultiplier, publishedUpdateNoiseMultiplier, RdpAccountant } from "../lib/privacy/accountant.ts";
import { strategyFor, UpdateMatrix, type Aggregate, type ClientUpdate } from "./aggregation/strategy.ts";
import { chainCheckContext } from "./check-context.ts";
import { checkUpdate, updateNormBound, type CheckContext, type CheckResult } from "./checks.ts";
import { parseStrategy, type OracleConfig } from "./config.ts";
import { HttpError, serveJson } from "../lib/http/json-server.ts";
import { PrometheusMetrics } from "../lib/http/metrics.ts";
import { OracleState, type AcceptedUpdate } from "./state.ts";
import { xaiGuidedWeights } from "./xai/agreement.ts";
import { permutationImportance } from "./xai/importance.ts";
import { evenlySpacedRows, xaiReport } from "./xai/report.ts";
import { applyXaiWeights } from "./xai/weighting.ts";

const Reason = { accepted: 1, rejected: 2, outlier: 3 } as const;
const SCORE = { accepted: 10, rejected: -40, outlier: -25 } as const;
const TICK_MS = 250;
/** Updates per page of GET /rounds/:id/accepted/:from. */
const ACCEPTED_PAGE = 64;
/** Checks an attester runs at once while a round is open: the devices are still training on the same cores. */
const PRECHECK_CONCURRENCY = 4;

/** The leader's GET /rounds/:id/sealed: the envelopes (each checked on its own) and the devices it names for them. */
const sealedResponseSchema = z.object({
  updates: z.array(z.unknown()),
  devices: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((device) => device as Address)).optional(),
});

type Log = (event: string, fields?: Record<string, unknown>) => void;

/**
 * One oracle node. It receives device updates over HTTP and checks them; a reconcile loop reads the chain and
 * does whatever the round needs next from this node, so a restarted node picks up exactly where the chain and
 * its journal say it is:
 * - leader of round r (oracles[(r - 1) mod n]): seal the accepted updates into a Merkle commitment, aggregate,
 *   validate on held-out data, explain, store on IPFS and propose; after the decision, send the reputation batch;
 * - the others: fetch the leader's sealed updates, verify each and the root, aggregate, and attest to the hash
 *   they computed (a different hash is a dissent on chain).
 */
export class OracleNode {
  readonly metrics = new PrometheusMetrics();
  #stopped = false;
  #ticking = false;
  #timer: NodeJS.Timeout | undefined;
  #server: Server | undefined;
  readonly #triedAttest = new Set<bigint>();
  readonly #finished = new Set<bigint>();
  readonly #baseWeights = new Map<bigint, Float32Array>();
  /** Per round: which sealed devices the aggregation treated as outliers (computed once, at proposal). */
  readonly #outliers = new Map<bigint, Set<Address>>();
  /** Per round, the leader's accepted updates this oracle checked while the round was open, by envelope JSON. */
  readonly #prechecked = new Map<bigint, { next: number; passed: Map<string, AcceptedUpdate> }>();
  /** Per round: when a failed reputation batch may be tried again (a failure must not become a busy loop). */
  readonly #scoreRetryAt = new Map<bigint, number>();

  readonly config: OracleConfig;
  readonly address: Address;
  readonly url: string;
  readonly gatewayUrl: string | undefined;
  private readonly clients: ChainClients;
  private readonly contracts: SuiteContracts;
  private readonly deployment: Deployment;
  private readonly store: ContentStore;
  private readonly state: OracleState;
  private readonly tf: TfModule;
  private readonly data: FederatedData;
  private readonly taskId: Hex;
  private readonly aggregate: Aggregate;
  private readonly log: Log;

  private constructor(
    config: OracleConfig,
    address: Address,
    url: string,
    gatewayUrl: string | undefined,
    clients: ChainClients,
    contracts: SuiteContracts,
    deployment: Deployment,
    store: ContentStore,
    state: OracleState,
    tf: TfModule,
    data: FederatedData,
    taskId: Hex,
    aggregate: Aggregate,
    log: Log,
  ) {
    this.config = config;
    this.address = address;
    this.url = url;
    this.gatewayUrl = gatewayUrl;
    this.clients = clients;
    this.contracts = contracts;
    this.deployment = deployment;
    this.store = store;
    this.state = state;
    this.tf = tf;
    this.data = data;
    this.taskId = taskId;
    this.aggregate = aggregate;
    this.log = log;
  }

  static async start(config: OracleConfig, log: Log = () => {}): Promise<OracleNode> {
    const deployment = readDeployment(config.deploymentPath);
    const clients = await connectRpc(config.rpcUrl);
    const wallet = clients.walletFor(config.privateKey as Hex);
    const contracts = suiteContracts(clients.publicClient, deployment.addresses, wallet);
    const address = wallet.account.address;
    const { store, gatewayUrl } = await openContentStore({ dataDir: config.dataDir, peers: config.ipfsPeers, gatewayPort: config.ipfsGatewayPort });
    const state = new OracleState(join(config.dataDir, "journal.jsonl"));
    const tf = await initTf();
    const data = await loadFederatedData({ dataset: config.dataset, devices: config.devices, seed: config.seed, dataDir: config.datasetDir, unitsPerDevice: config.unitsPerDevice, csvSource: config.csvSource });
    const taskId = keccak256(toBytes(config.taskName));
    const aggregate = strategyFor(parseStrategy(config.strategy));
    const holder: { node?: OracleNode } = {};
    const { server, url } = await serveJson(config.port, (request) => {
      if (!holder.node) throw new HttpError(503, "starting");
      return holder.node.handle(request);
    });
    const node = new OracleNode(config, address, url, gatewayUrl, clients, contracts, deployment, store, state, tf, data, taskId, aggregate, log);
    node.#server = server;
    holder.node = node;
    node.#timer = setInterval(() => void node.#tick(), TICK_MS);
    log("started", { address, url, gatewayUrl, task: config.taskName, strategy: config.strategy, xaiWeighting: config.xaiWeighting });
    return node;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    while (this.#ticking) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.state.close();
    await this.store.close();
  }

  // ---- HTTP API ------------------------------------------------------------------------------------------

  async handle(request: { method: string; path: string; body: unknown }): Promise<{ status: number; body: unknown; contentType?: string }> {
    const { method, path } = request;
    if (method === "POST" && path === "/updates") return this.#receive(request.body);
    if (method === "GET" && path === "/health") {
      return { status: 200, body: { ok: true, address: this.address, chainId: this.deployment.chainId, task: this.config.taskName, block: (await this.clients.publicClient.getBlockNumber({ cacheTime: 0 })).toString() } };
    }
    if (method === "GET" && path === "/metrics") return { status: 200, body: this.metrics.render(), contentType: "text/plain; version=0.0.4" };
    const sealedMatch = /^\/rounds\/(\d+)\/sealed$/.exec(path);
    if (method === "GET" && sealedMatch) {
      const roundId = BigInt(sealedMatch[1]!);
      const sealed = this.state.sealed(roundId);
      if (!sealed) throw new HttpError(404, `this oracle did not seal round ${roundId}`);
      // `devices` lets an attester read every signer's status in one call; it still recovers each signer itself.
      return { status: 200, body: { roundId: roundId.toString(), updates: sealed.map((u) => envelopeToJson(u.envelope)), devices: sealed.map((u) => u.device) } };
    }
    const acceptedMatch = /^\/rounds\/(\d+)\/accepted\/(\d+)$/.exec(path);
    if (method === "GET" && acceptedMatch) {
      // The updates accepted so far, from position `from` on, so attesters can check them while the round is open.
      const accepted = this.state.accepted(BigInt(acceptedMatch[1]!)).slice(Number(acceptedMatch[2]!), Number(acceptedMatch[2]!) + ACCEPTED_PAGE);
      return { status: 200, body: { updates: accepted.map((u) => envelopeToJson(u.envelope)), devices: accepted.map((u) => u.device) } };
    }
    const roundMatch = /^\/rounds\/(\d+)$/.exec(path);
    if (method === "GET" && roundMatch) {
      const roundId = BigInt(roundMatch[1]!);
      const rejected = [...this.state.rejected(roundId)].map(([device, reason]) => ({ device, reason }));
      const view: OracleRoundView = { roundId: roundId.toString(), accepted: this.state.accepted(roundId).map((u) => u.device), rejected, sealed: this.state.sealed(roundId)?.length ?? null };
      return { status: 200, body: view };
    }
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  #receiving: Promise<unknown> = Promise.resolve();

  async #receive(body: unknown): Promise<{ status: number; body: unknown }> {
    const result = await checkUpdate(this.#checkContext(), body);
    // Serialise the final duplicate/nonce check with the journal append, so two copies of one update cannot both pass.
    const outcome = this.#receiving.then(() => this.#record(result));
    this.#receiving = outcome.catch(() => undefined);
    return outcome;
  }

  #record(result: CheckResult): { status: number; body: unknown } {
    if (result.ok) {
      const { update } = result.envelope;
      if (this.state.hasAccepted(update.roundId, result.device) || this.state.isNonceUsed(result.device, update.nonce)) {
        this.metrics.increment("twinledger_oracle_updates_total", { result: "rejected", reason: "duplicate" });
        return { status: 409, body: { accepted: false, reason: "duplicate", message: `device ${result.device} already has an accepted update with this round or nonce` } };
      }
      this.state.accept(update.roundId, result.device, result.envelope);
      this.metrics.increment("twinledger_oracle_updates_total", { result: "accepted", reason: "" });
      return { status: 202, body: { accepted: true, roundId: update.roundId.toString(), device: result.device, norm: result.norm } };
    }
    // A copy of an update this oracle already accepted (a device resending after a restart) changes nothing: it is
    // answered, but not recorded against the device, whose accepted update stands.
    if (result.roundId !== undefined && result.device && result.reason !== "duplicate") this.state.reject(result.roundId, result.reason, result.device);
    this.metrics.increment("twinledger_oracle_updates_total", { result: "rejected", reason: result.reason });
    return { status: result.reason === "malformed" ? 400 : 422, body: { accepted: false, reason: result.reason, message: result.message, device: result.device } };
  }

  #checkContext(): CheckContext {
    return chainCheckContext({
      contracts: this.contracts,
      chainId: this.deployment.chainId,
      updateLedger: this.deployment.addresses.UpdateLedger,
      taskId: this.taskId,
      store: this.store,
      now: () => this.#now(),
      isNonceUsed: (device, nonce) => this.state.isNonceUsed(device, nonce),
      hasAccepted: (roundId, device) => this.state.hasAccepted(roundId, device),
      baseWeights: (version) => this.#baseWeightsOf(version),
      maxUpdateNorm: this.config.maxUpdateNorm,
    });
  }

  /** Chain time: the latest block's timestamp, the clock the contracts judge deadlines by. */
  async #now(): Promise<bigint> {
    return (await this.clients.publicClient.getBlock({ blockTag: "latest" })).timestamp;
  }

  async #baseWeightsOf(versionId: bigint): Promise<Float32Array> {
    const cached = this.#baseWeights.get(versionId);
    if (cached) return cached;
    const { model, weights } = await this.#loadVersion(versionId);
    model.dispose();
    this.#baseWeights.set(versionId, weights);
    return weights;
  }

  async #loadVersion(versionId: bigint): Promise<{ model: LayersModel; weights: Float32Array }> {
    const version = await this.contracts.models.read.version([versionId]);
    return loadVerifiedModel(this.tf, this.store, version.cid, version.weightsHash);
  }

  // ---- Reconcile loop -------------------------------------------------------------------------------------

  #leaderOf(roundId: bigint): { address: Address; url: string } {
    const index = Number((roundId - 1n) % BigInt(this.config.oracles.length));
    return { address: getAddress(this.config.oracles[index]!), url: this.config.oracleUrls[index]! };
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      const roundCount = await this.contracts.models.read.roundCount();
      for (let roundId = 1n; roundId <= roundCount && !this.#stopped; roundId++) {
        if (this.#finished.has(roundId)) continue;
        await this.#reconcile(roundId);
      }
    } catch (error) {
      this.log("tick_error", { error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.#ticking = false;
    }
  }

  async #reconcile(roundId: bigint): Promise<void> {
    const { models } = this.contracts;
    const round = await models.read.round([roundId]);
    if (round.taskId !== this.taskId) {
      this.#finished.add(roundId);
      return;
    }
    const status = await models.read.roundStatus([roundId]);
    const leading = this.#leaderOf(roundId).address === this.address;
    switch (status) {
      case RoundStatus.Open:
        if (leading) await this.#maybeSeal(roundId, round.deadline);
        else await this.#precheck(roundId);
        return;
      case RoundStatus.Committed:
        if (leading && round.proposedVersion === 0n) await this.#propose(roundId, round);
        return;
      case RoundStatus.Proposed:
        if (!leading && !this.#triedAttest.has(roundId) && !(await models.read.hasVoted([round.proposedVersion, this.address]))) {
          this.#triedAttest.add(roundId);
          await this.#attest(roundId, round);
        }
        return;
      case RoundStatus.Deployed:
      case RoundStatus.Rejected:
      case RoundStatus.Voided:
        if (leading && !(await this.contracts.reputation.read.isRoundScored([roundId]))) {
          if (Date.now() < (this.#scoreRetryAt.get(roundId) ?? 0)) return;
          try {
            await this.#score(roundId);
          } catch (error) {
            const attempts = (this.#scoreRetryAt.has(roundId) ? 2 : 1);
            this.#scoreRetryAt.set(roundId, Date.now() + Math.min(300_000, 30_000 * attempts));
            this.log("score_failed", { roundId: roundId.toString(), error: error instanceof Error ? error.message.split("\n")[0] : String(error) });
            return;
          }
        }
        // A round decided without this oracle attesting (voided, or the quorum came first) leaves its checks here.
        this.#prechecked.delete(roundId);
        this.#finished.add(roundId);
        return;
      default:
        this.#finished.add(roundId);
    }
  }

  async #maybeSeal(roundId: bigint, deadline: bigint): Promise<void> {
    let sealed = this.state.sealed(roundId);
    if (!sealed) {
      const accepted = this.state.accepted(roundId);
      const now = await this.#now();
      const windowOpen = now >= deadline - BigInt(Math.round(this.config.sealWindowSeconds));
      // Every device heard from (accepted or refused) means nothing more is coming; otherwise wait for the window.
      const heard = accepted.length + [...this.state.rejected(roundId).keys()].filter((device) => !this.state.hasAccepted(roundId, device as Address)).length;
      if (accepted.length === 0 || (heard < this.config.expectedParticipants && !windowOpen)) return;
      this.log("sealing", { roundId: roundId.toString(), accepted: accepted.length, heard, now: now.toString(), deadline: deadline.toString() });
      // A device revoked since its update arrived would make the commitment challengeable: leave it out.
      const active = await this.contracts.devices.read.activeStatuses([accepted.map((update) => update.device)]);
      const eligible = accepted.filter((_, index) => active[index] === true);
      if (eligible.length === 0) return;
      const tree = buildUpdateTree(eligible.map(leafOf));
      const byDevice = new Map(eligible.map((u) => [u.device, u]));
      this.state.seal(roundId, [...tree.entries()].map(([, value]) => byDevice.get(value[0])!.device));
      sealed = this.state.sealed(roundId)!;
    }
    const tree = buildUpdateTree(sealed.map(leafOf));
    // Deterministic bytes, so a restarted leader stores (and names) the same document.
    const updatesCid = await this.store.addFile(encodeSealedUpdates({ taskId: this.taskId, roundId, updates: sealed.map((update) => ({ device: update.device, ...update.envelope })) }));
    const receipt = await confirm(this.clients.publicClient, await this.contracts.updates.write.commitUpdates([roundId, tree.root as Hex, sealed.length, updatesCid]));
    this.metrics.increment("twinledger_oracle_chain_transactions_total", { kind: "commit" });
    this.metrics.increment("twinledger_oracle_gas_used_total", {}, Number(receipt.gasUsed));
    this.log("sealed", { roundId: roundId.toString(), updates: sealed.length, root: tree.root, updatesCid });
  }

  /**
   * Aggregates the sealed updates of a round exactly as every oracle must: tree order, the task's strategy. Under
   * encryption the aggregate is the key holder's decryption of the ciphertext sum, which the leader requests
   * (`requestDecryption`) and everyone checks against the sum they compute themselves.
   */
  async #aggregateSealed(roundId: bigint, round: { baseVersion: bigint; participationBlock: number; participantsRoot: Hex }, sealed: AcceptedUpdate[], options: { requestDecryption?: boolean } = {}) {
    const tree = buildUpdateTree(sealed.map(leafOf));
    if (tree.root !== round.participantsRoot) throw new Error(`the sealed updates of round ${roundId} build root ${tree.root}, the chain has ${round.participantsRoot}`);
    const byDevice = new Map(sealed.map((update) => [update.device, update]));
    const ordered = [...tree.entries()].map(([, value]) => byDevice.get(value[0])!);
    const privacy = privacyOf(await this.contracts.models.read.policyOf([this.taskId]));
    if (privacy.encryptedAggregation) {
      const weights = await this.#encryptedAggregate(roundId, round.baseVersion, ordered, privacy, options.requestDecryption === true);
      return { ordered, clientUpdates: [] as ClientUpdate[], result: { weights, selected: ordered.map((_, index) => index) }, privacy };
    }
    const reputations = await this.#reputationsAt(ordered.map((update) => update.device), BigInt(round.participationBlock));
    const fetchWeights = (update: AcceptedUpdate) => this.store.cat(update.envelope.update.updateCid, undefined, { timeoutMs: 30_000 });
    // The updates are decoded straight into one matrix, which the weighted strategies sum where it is; its width is
    // the first update's (every accepted update had the base model's shape, and a decode into a row checks it).
    const firstBytes = ordered.length > 0 ? await fetchWeights(ordered[0]!) : undefined;
    const matrix = firstBytes !== undefined && firstBytes.length >= 4 ? UpdateMatrix.create(ordered.length, Math.floor(firstBytes.length / 4)) : undefined;
    const clientUpdates: ClientUpdate[] = await mapConcurrently(ordered, 16, async (update, index) => {
      const weights = bytesToWeights(index === 0 && firstBytes !== undefined ? firstBytes : await fetchWeights(update), matrix?.rows[index]);
      const reputation = reputations[index]!;
      const localMetric = update.envelope.update.metrics[0];
      return {
        weights,
        // Under differential privacy every device counts the same: the noise is calibrated to one device's clip norm.
        sampleCount: privacy.dp ? 1 : Number(update.envelope.update.sampleCount),
        quality: localMetric === undefined ? 0 : 1 / (1 + Math.abs(fromScaled(localMetric))),
        reputation: reputation / 1000,
      };
    });
    const aggregated = await this.#aggregatePlain(roundId, round, clientUpdates);
    return { ordered, clientUpdates, result: aggregated, privacy };
  }

  /** Reputation.deviceScore of each device at a block, in two reads instead of one per device. */
  async #reputationsAt(devices: Address[], blockNumber: bigint): Promise<number[]> {
    const [records, startScore] = await Promise.all([
      this.contracts.devices.read.scoringRecords([devices], { blockNumber }),
      this.contracts.reputation.read.startScore({ blockNumber }),
    ]);
    return records.map((record) => deviceScoreOfScoringRecord(record, startScore));
  }

  async #aggregatePlain(roundId: bigint, round: { baseVersion: bigint }, clientUpdates: ClientUpdate[]): Promise<{ weights: Float32Array; selected: number[] }> {
    if (!this.config.xaiWeighting || clientUpdates.length < 3) return this.aggregate(clientUpdates);
    // XAI-guided weighting: each update's permutation importance on 256 held-out rows (seeded by the round, so every
    // oracle computes the same), weighted by agreement with the consensus; strong disagreement drops the update.
    const { model } = await this.#loadVersion(round.baseVersion);
    let importances: number[][];
    try {
      const rows = evenlySpacedRows(this.data.validation, 256);
      importances = clientUpdates.map((update) => {
        setFlatWeights(model, update.weights);
        return permutationImportance(this.tf, model, rows, this.data.kind, { seed: Number(roundId) });
      });
    } finally {
      model.dispose();
    }
    const weighted = applyXaiWeights(clientUpdates, xaiGuidedWeights(importances));
    const inner = this.aggregate(weighted.updates);
    return { weights: inner.weights, selected: inner.selected.map((index) => weighted.kept[index]!) };
  }

  /**
   * The decrypted FedAvg of an encrypted round: the ciphertext sum of the committed updates, computed here; the key
   * holder's decryption of exactly that sum (requested by the leader, read from the chain by the others); and a
   * plausibility check on the result, the one look at the values encryption allows. Each update was bounded by its
   * device, and a weighted mean of updates within a bound is within it, so an aggregate beyond the bound, or with a
   * non-finite value, proves some update broke the rules.
   */
  async #encryptedAggregate(roundId: bigint, baseVersion: bigint, ordered: AcceptedUpdate[], privacy: TaskPrivacy, requestDecryption: boolean): Promise<Float32Array> {
    if (parseStrategy(this.config.strategy).name !== "fedavg") {
      throw new Error(`strategy ${this.config.strategy} cannot run on ciphertexts: only weighted FedAvg (plaintext weights and sums) works under encryption`);
    }
    const base = await this.#baseWeightsOf(baseVersion);
    const activeKeyId = await this.contracts.encryptionKeys.read.activeKeyId();
    const fetchContent = (cid: string) => this.store.cat(cid, undefined, { timeoutMs: 30_000 });
    const refs = ordered.map((u) => ({ device: u.device, cid: u.envelope.update.updateCid, contentHash: u.envelope.update.weightsHash, sampleCount: u.envelope.update.sampleCount }));
    const started = performance.now();
    const aggregate = await aggregateEncryptedUpdates(fetchContent, refs, { uniform: privacy.dp !== undefined, length: base.length, keyId: activeKeyId });
    const aggregatedMs = Math.round(performance.now() - started);
    let decryption = await this.contracts.encryptionKeys.read.decryptionOf([roundId]);
    if (decryption.keyId === 0n) {
      if (!requestDecryption) throw new Error(`round ${roundId} has no recorded decryption of its aggregate`);
      if (!this.config.keyHolderUrl) throw new Error("the task encrypts its updates but this oracle has no --key-holder-url to ask for the aggregate's decryption");
      const aggregateCid = await this.store.addFile(aggregate.bytes);
      const response = await fetch(`${this.config.keyHolderUrl}/decrypt`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ roundId: roundId.toString(), aggregateCid }), signal: AbortSignal.timeout(600_000) });
      const answer = (await response.json()) as { decrypted?: boolean; reason?: string; message?: string; error?: string };
      if (!response.ok || answer.decrypted !== true) throw new Error(`the key holder refused to decrypt round ${roundId}: ${answer.reason ?? response.status}: ${answer.message ?? answer.error ?? ""}`);
      decryption = await this.contracts.encryptionKeys.read.decryptionOf([roundId]);
      this.log("decrypted", { roundId: roundId.toString(), aggregateCid, aggregateHash: aggregate.hash, resultCid: decryption.resultCid, aggregate_ms: aggregatedMs });
    }
    if (decryption.aggregateHash !== aggregate.hash) {
      throw new Error(`the key holder decrypted aggregate ${decryption.aggregateHash} for round ${roundId}; the committed updates aggregate to ${aggregate.hash}`);
    }
    const weights = bytesToWeights(await fetchContent(decryption.resultCid));
    const resultHash = weightsHash(weights);
    if (resultHash !== decryption.resultHash) throw new Error(`the decrypted aggregate at ${decryption.resultCid} hashes to ${resultHash}, the chain has ${decryption.resultHash}`);
    if (weights.length !== base.length) throw new Error(`the decrypted aggregate has ${weights.length} parameters, the model has ${base.length}`);
    if (!allFinite(weights)) throw new Error(`the decrypted aggregate of round ${roundId} has non-finite values: some update was not a real model`);
    const bound = updateNormBound(this.config.maxUpdateNorm, privacy, base);
    const distance = l2Distance(weights, base);
    if (distance > bound) throw new Error(`the decrypted aggregate of round ${roundId} moved ${distance.toFixed(3)} from its base, beyond the per-update bound ${bound.toFixed(3)}: some update was out of bounds`);
    return weights;
  }

  /**
   * The task's privacy budget after this round, continued from the newest earlier report that carries one: RDP
   * composition of every released round's Gaussian noise. A round whose updates were published in the clear
   * protects a device only by its own share of the noise (σ/√K), an encrypted one by the sum's (σ·√(n/K)).
   */
  async #privacyAccount(roundId: bigint, privacy: TaskPrivacy, participants: number) {
    if (!privacy.dp) return undefined;
    const accountant = (await this.#previousAccountant(roundId)) ?? new RdpAccountant();
    const { noiseMultiplier, expectedParticipants, delta } = privacy.dp;
    const sigma = privacy.encryptedAggregation ? effectiveNoiseMultiplier(noiseMultiplier, expectedParticipants, participants) : publishedUpdateNoiseMultiplier(noiseMultiplier, expectedParticipants);
    accountant.addGaussianRound(sigma);
    const spent = accountant.spent(delta);
    return {
      ...privacy.dp,
      encrypted: privacy.encryptedAggregation,
      participants,
      effectiveNoiseMultiplier: sigma,
      epsilon: Number.isFinite(spent.epsilon) ? spent.epsilon : "Infinity",
      order: Number.isFinite(spent.order) ? spent.order : null,
      rounds: spent.rounds,
      accountant: spent.accountant,
      state: accountant.toJSON(),
    };
  }

  async #previousAccountant(roundId: bigint): Promise<RdpAccountant | undefined> {
    const { models } = this.contracts;
    const count = await models.read.versionCountOfTask([this.taskId]);
    const versionIds = await models.read.versionsOfTask([this.taskId, 0n, count]);
    for (const versionId of [...versionIds].reverse()) {
      const version = await models.read.version([versionId]);
      if (version.roundId === 0n || version.roundId >= roundId || version.xaiReportCid === "") continue;
      try {
        const report = JSON.parse(new TextDecoder().decode(await this.store.cat(version.xaiReportCid, undefined, { timeoutMs: 30_000 }))) as { privacy?: { state?: Parameters<typeof RdpAccountant.fromJSON>[0] } };
        if (report.privacy?.state) return RdpAccountant.fromJSON(report.privacy.state);
      } catch (error) {
        this.log("privacy_report_unreadable", { versionId: versionId.toString(), error: error instanceof Error ? error.message : String(error) });
      }
    }
    return undefined;
  }

  async #propose(roundId: bigint, round: { baseVersion: bigint; participationBlock: number; participantsRoot: Hex }): Promise<void> {
    const sealed = this.state.sealed(roundId);
    if (!sealed) throw new Error(`round ${roundId} is committed but this oracle has no sealed set for it`);
    const t0 = performance.now();
    const { ordered, clientUpdates, result, privacy } = await this.#aggregateSealed(roundId, round, sealed, { requestDecryption: true });
    const t1 = performance.now();
    const privacyReport = await this.#privacyAccount(roundId, privacy, ordered.length);
    const { model } = await this.#loadVersion(round.baseVersion);
    try {
      setFlatWeights(model, result.weights);
      const { metric, f1, threshold } = validationMetric(this.tf, model, this.data.validation, this.data.kind);
      const t2 = performance.now();
      // 512 evenly spaced validation rows rank the features reliably at a fraction of the cost of all of them.
      const report = xaiReport(this.tf, model, this.data.validation, this.data.kind, { seed: Number(roundId), repeats: 1, maxRows: 512 });
      const t3 = performance.now();
      const reportCid = await this.store.addFile(new TextEncoder().encode(JSON.stringify({ ...report, roundId: roundId.toString(), validationMetric: metric, failureF1: f1 ?? null, decisionThreshold: threshold ?? null, participants: ordered.map((u) => u.device), encryptedAggregation: privacy.encryptedAggregation, ...(privacyReport ? { privacy: privacyReport } : {}) })));
      const published = await publishModel(this.store, model);
      if (published.weightsHash !== weightsHash(result.weights)) throw new Error("the published model's weights differ from the aggregate");
      const receipt = await confirm(this.clients.publicClient, await this.contracts.models.write.proposeModel([roundId, { cid: published.cid, weightsHash: published.weightsHash, metric: toScaled(metric), participantsRoot: round.participantsRoot, xaiReportCid: reportCid }]));
      this.metrics.increment("twinledger_oracle_chain_transactions_total", { kind: "propose" });
      this.metrics.increment("twinledger_oracle_gas_used_total", {}, Number(receipt.gasUsed));
      const ms = (from: number, to: number) => Math.round(to - from);
      this.#outliers.set(roundId, outliersOf(ordered, clientUpdates, result));
      this.log("proposed", { roundId: roundId.toString(), cid: published.cid, metric, f1, participants: ordered.length, encrypted: privacy.encryptedAggregation, epsilon: privacyReport?.epsilon ?? null, selected: result.selected.length, timing_ms: { aggregate: ms(t0, t1), evaluate: ms(t1, t2), xai: ms(t2, t3), publish_and_propose: ms(t3, performance.now()) } });
    } finally {
      model.dispose();
    }
  }

  /**
   * While a round is open, checks the updates the leader has accepted so far (everything about each update itself,
   * as #attest does), so that attesting after the proposal is mostly done already. Failures are not kept: the
   * update is checked again, and refused with its reason, when the sealed round arrives.
   */
  async #precheck(roundId: bigint): Promise<void> {
    const progress = this.#prechecked.get(roundId) ?? { next: 0, passed: new Map<string, AcceptedUpdate>() };
    this.#prechecked.set(roundId, progress);
    let page: z.output<typeof sealedResponseSchema>;
    try {
      const response = await fetch(`${this.#leaderOf(roundId).url}/rounds/${roundId}/accepted/${progress.next}`);
      if (!response.ok) return;
      page = sealedResponseSchema.parse(await response.json());
    } catch {
      return; // The leader is down or restarting: attesting will fetch the sealed round in full.
    }
    if (page.updates.length === 0) return;
    const precheckContext = await this.#leaderAcceptedContext(roundId);
    await mapConcurrently(page.updates, PRECHECK_CONCURRENCY, async (json) => {
      const check = await checkUpdate(precheckContext, json);
      if (check.ok) progress.passed.set(JSON.stringify(json), { device: check.device, envelope: check.envelope });
    });
    progress.next += page.updates.length;
  }

  /**
   * The checks for an update the leader accepted: the round's open, deadline and nonce checks were the leader's to
   * make (the round may be sealed by now); everything about the update itself (signature, device, content, shape,
   * bounds) is checked again. The privacy policy is read once for all of them.
   */
  async #leaderAcceptedContext(roundId: bigint): Promise<CheckContext> {
    const context = this.#checkContext();
    const roundInfo = await context.round(roundId);
    if (!roundInfo) throw new Error(`round ${roundId} vanished`);
    const privacy = await context.privacy();
    return { ...context, round: async () => ({ ...roundInfo, open: true, deadline: 2n ** 63n }), now: async () => 0n, isNonceUsed: () => false, hasAccepted: () => false, privacy: async () => privacy };
  }

  async #attest(roundId: bigint, round: { baseVersion: bigint; proposedVersion: bigint; participationBlock: number; participantsRoot: Hex }): Promise<void> {
    const leader = this.#leaderOf(roundId);
    let computed: Hex = `0x${"00".repeat(32)}`;
    let reused = 0;
    try {
      const response = await fetch(`${leader.url}/rounds/${roundId}/sealed`);
      if (!response.ok) throw new Error(`leader ${leader.url} answered ${response.status}`);
      const body = sealedResponseSchema.parse(await response.json());
      const context = await this.#leaderAcceptedContext(roundId);
      // Statuses of the devices the leader names read in one call; a signer the leader did not name (a recovered
      // address differs) is read from the chain on its own.
      const named = body.devices ?? [];
      const activeNamed = named.length > 0 ? await this.contracts.devices.read.activeStatuses([named]) : [];
      const statusOfNamed = new Map(named.map((device, i) => [getAddress(device), activeNamed[i] ? "active" as const : undefined]));
      const sealedContext: CheckContext = { ...context, deviceStatus: async (device) => statusOfNamed.get(device) ?? context.deviceStatus(device) };
      const prechecked = this.#prechecked.get(roundId)?.passed;
      this.#prechecked.delete(roundId);
      const sealed = await mapConcurrently(body.updates, 16, async (json) => {
        // Checked while the round was open: only the device's status can have changed since, and it was just read.
        const passed = prechecked?.get(JSON.stringify(json));
        if (passed && statusOfNamed.get(passed.device) === "active") {
          reused++;
          return passed;
        }
        const check = await checkUpdate(sealedContext, json);
        if (!check.ok) throw new Error(`sealed update from ${check.device ?? "?"} fails verification: ${check.reason}: ${check.message}`);
        return { device: check.device, envelope: check.envelope } satisfies AcceptedUpdate;
      });
      const { result } = await this.#aggregateSealed(roundId, round, sealed);
      computed = weightsHash(result.weights);
    } catch (error) {
      // An oracle that cannot reproduce the aggregate dissents (with the zero hash), rather than staying silent.
      this.log("verify_failed", { roundId: roundId.toString(), error: error instanceof Error ? error.message : String(error) });
    }
    // The quorum may have been reached while this oracle was verifying; a late attestation would only revert.
    if ((await this.contracts.models.read.version([round.proposedVersion])).status !== VersionStatus.Proposed) {
      this.log("already_decided", { roundId: roundId.toString(), versionId: round.proposedVersion.toString() });
      return;
    }
    const receipt = await confirm(this.clients.publicClient, await this.contracts.models.write.attest([round.proposedVersion, computed]));
    this.metrics.increment("twinledger_oracle_chain_transactions_total", { kind: "attest" });
    this.metrics.increment("twinledger_oracle_gas_used_total", {}, Number(receipt.gasUsed));
    const version = await this.contracts.models.read.version([round.proposedVersion]);
    this.log(computed === version.weightsHash ? "attested" : "dissented", { roundId: roundId.toString(), versionId: round.proposedVersion.toString(), hash: computed, prechecked: reused });
  }

  async #score(roundId: bigint): Promise<void> {
    const changes = new Map<Address, { delta: number; reason: number }>();
    const sealed = this.state.sealed(roundId) ?? [];
    if (sealed.length > 0) {
      let outliers = this.#outliers.get(roundId);
      if (!outliers) {
        // Restarted since the proposal: recompute the aggregation once to tell outliers apart.
        const round = await this.contracts.models.read.round([roundId]);
        const { ordered, clientUpdates, result } = await this.#aggregateSealed(roundId, round, sealed);
        outliers = outliersOf(ordered, clientUpdates, result);
        this.#outliers.set(roundId, outliers);
      }
      for (const update of sealed) {
        changes.set(update.device, outliers.has(update.device) ? { delta: SCORE.outlier, reason: Reason.outlier } : { delta: SCORE.accepted, reason: Reason.accepted });
      }
    }
    for (const [device, reason] of this.state.rejected(roundId)) {
      if (!device.startsWith("0x") || reason === "unknown_device" || changes.has(device as Address)) continue;
      changes.set(device as Address, { delta: SCORE.rejected, reason: Reason.rejected });
    }
    if (changes.size === 0) return;
    const accounts = [...changes.keys()];
    const records = await this.contracts.devices.read.scoringRecords([accounts]);
    const organisations = new Map(accounts.map((account, i) => [account, organisationOfScoringRecord(records[i]!)]));
    const batch = orderScoreChanges([...changes].map(([deviceAccount, change]) => ({ deviceAccount, delta: change.delta, reason: change.reason })), (account) => organisations.get(account)!);
    const receipt = await confirm(this.clients.publicClient, await this.contracts.reputation.write.applyRoundChanges([roundId, batch]));
    this.metrics.increment("twinledger_oracle_chain_transactions_total", { kind: "reputation" });
    this.metrics.increment("twinledger_oracle_gas_used_total", {}, Number(receipt.gasUsed));
    this.log("scored", { roundId: roundId.toString(), changes: batch.length });
  }
}

/**
 * The updates the strategy left out (Krum's unselected) or that lie far from the aggregate (over 3× the median
 * distance): they are scored as outliers.
 */
function outliersOf(ordered: AcceptedUpdate[], updates: ClientUpdate[], result: { weights: Float32Array; selected: number[] }): Set<Address> {
  const distances = updates.map((u) => l2Distance(u.weights, result.weights));
  const median = [...distances].sort((a, b) => a - b)[distances.length >> 1] ?? 0;
  const selected = new Set(result.selected);
  const outliers = new Set<Address>();
  ordered.forEach((update, index) => {
    if (!selected.has(index) || (median > 0 && distances[index]! > 3 * median)) outliers.add(update.device);
  });
  return outliers;
}

/** Maps with at most `limit` calls in flight, keeping the input order in the result. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, map: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function leafOf(update: AcceptedUpdate): UpdateLeaf {
  const { update: u } = update.envelope;
  return { device: update.device, contentHash: u.weightsHash, cid: u.updateCid, sampleCount: u.sampleCount, nonce: u.nonce };
}

