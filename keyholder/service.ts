/**
 * The key holder service: a separate process with its own account (KEY_HOLDER) and its own secret keys, which
 * oracles ask to decrypt a round's aggregate over HTTP. It answers from the chain and IPFS alone (keyholder/
 * decrypt.ts decides), one decryption at a time, and keeps no state but its keys: a restarted key holder answers
 * an already-decrypted round from the on-chain record. It follows the chain and starts rebuilding a round's aggregate
 * from the commitment as soon as it lands, while the oracles build theirs, so the round does not wait for the two
 * one after the other.
 *
 * API: POST /decrypt {roundId, aggregateCid} → 200 {roundId, keyId, aggregateHash, resultHash, resultCid,
 * transactionHash}; 409 {reason, message} when refused; GET /keys, /health, /metrics.
 */
import type { Server } from "node:http";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { connectRpc, type ChainClients } from "../lib/chain/clients.ts";
import { suiteContracts, type SuiteContracts } from "../lib/chain/contracts.ts";
import { readDeployment, type Deployment } from "../lib/chain/deployment.ts";
import { HttpError, serveJson } from "../lib/http/json-server.ts";
import { PrometheusMetrics } from "../lib/http/metrics.ts";
import { openContentStore, type ContentStore } from "../lib/ipfs/store.ts";
import { RoundStatus } from "../lib/chain/status.ts";
import { decryptRoundAggregate, DecryptionRefused, prepareRoundAggregate, type Decryption, type KeyHolderContext, type PreparedRound } from "./decrypt.ts";
import { generateAndPublishKey, publishedKeys } from "./keygen.ts";
import { KeyStore } from "./keystore.ts";

export interface KeyHolderConfig {
  rpcUrl: string;
  deploymentPath: string;
  privateKey: Hex;
  dataDir: string;
  port: number;
  ipfsPeers: string[];
  ipfsGatewayPort?: number;
  /** Generate and publish a key at start when the chain has none yet. */
  generateKeyIfNone: boolean;
}

const decryptRequestSchema = z.object({
  roundId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((value) => BigInt(value)),
  aggregateCid: z.string().min(1).max(128),
});

type Log = (event: string, fields?: Record<string, unknown>) => void;

export class KeyHolderService {
  readonly metrics = new PrometheusMetrics();
  readonly address: Address;
  readonly url: string;
  readonly gatewayUrl: string | undefined;
  readonly keystore: KeyStore;
  readonly #clients: ChainClients;
  readonly #contracts: SuiteContracts;
  readonly #deployment: Deployment;
  readonly #store: ContentStore;
  readonly #server: Server;
  readonly #log: Log;
  /** Decryptions run one at a time: the on-chain record is once per round, and each holds big ciphertexts. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Aggregates rebuilt (or being rebuilt) ahead of the request, by round. */
  readonly #prepared = new Map<bigint, Promise<PreparedRound>>();
  /** Rounds the follower no longer needs to look at. */
  readonly #settled = new Set<bigint>();
  #following: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(parts: { address: Address; url: string; gatewayUrl: string | undefined; keystore: KeyStore; clients: ChainClients; contracts: SuiteContracts; deployment: Deployment; store: ContentStore; server: Server; log: Log }) {
    this.address = parts.address;
    this.url = parts.url;
    this.gatewayUrl = parts.gatewayUrl;
    this.keystore = parts.keystore;
    this.#clients = parts.clients;
    this.#contracts = parts.contracts;
    this.#deployment = parts.deployment;
    this.#store = parts.store;
    this.#server = parts.server;
    this.#log = parts.log;
  }

  static async start(config: KeyHolderConfig, log: Log = () => {}): Promise<KeyHolderService> {
    const deployment = readDeployment(config.deploymentPath);
    const clients = await connectRpc(config.rpcUrl);
    const wallet = clients.walletFor(config.privateKey);
    const contracts = suiteContracts(clients.publicClient, deployment.addresses, wallet);
    const keystore = new KeyStore(join(config.dataDir, "keys"));
    const { store, gatewayUrl } = await openContentStore({ dataDir: config.dataDir, peers: config.ipfsPeers, gatewayPort: config.ipfsGatewayPort });
    const adopted = keystore.adoptPublished(await publishedKeys(contracts));
    if (adopted.length > 0) log("keys_adopted", { keyIds: adopted.map(String) });
    if (config.generateKeyIfNone && (await contracts.encryptionKeys.read.activeKeyId()) === 0n) {
      const published = await generateAndPublishKey({ clients, contracts, store, keystore });
      log("key_published", { keyId: published.keyId.toString(), cid: published.publicKeyCid, publicKeyHash: published.publicKeyHash });
    }
    const holder: { service?: KeyHolderService } = {};
    const { server, url } = await serveJson(config.port, (request) => {
      if (!holder.service) throw new HttpError(503, "starting");
      return holder.service.handle(request);
    });
    const service = new KeyHolderService({ address: wallet.account.address, url, gatewayUrl, keystore, clients, contracts, deployment, store, server, log });
    holder.service = service;
    service.#follow();
    log("started", { address: service.address, url, gatewayUrl, keys: keystore.keyIds().map(String) });
    return service;
  }

  async handle(request: { method: string; path: string; body: unknown }): Promise<{ status: number; body: unknown; contentType?: string }> {
    const { method, path } = request;
    if (method === "POST" && path === "/decrypt") return this.#decrypt(request.body);
    if (method === "GET" && path === "/keys") return { status: 200, body: { active: (await this.#contracts.encryptionKeys.read.activeKeyId()).toString(), held: this.keystore.keyIds().map(String) } };
    if (method === "GET" && path === "/health") return { status: 200, body: { ok: true, address: this.address, chainId: this.#deployment.chainId, keys: this.keystore.keyIds().length } };
    if (method === "GET" && path === "/metrics") return { status: 200, body: this.metrics.render(), contentType: "text/plain; version=0.0.4" };
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  #context(): KeyHolderContext {
    return { clients: this.#clients, contracts: this.#contracts, chainId: this.#deployment.chainId, updateLedger: this.#deployment.addresses.UpdateLedger, store: this.#store, keystore: this.keystore };
  }

  /** Every second: start rebuilding the aggregate of each newly committed round of an encrypted task. */
  #follow(): void {
    let busy = false;
    this.#following = setInterval(() => {
      if (busy || this.#stopped) return;
      busy = true;
      void this.#prepareCommitted()
        .catch((error: unknown) => this.#log("follow_error", { error: error instanceof Error ? error.message.split("\n")[0] : String(error) }))
        .finally(() => (busy = false));
    }, 1_000);
  }

  async #prepareCommitted(): Promise<void> {
    const { models, encryptionKeys } = this.#contracts;
    const count = await models.read.roundCount();
    for (let roundId = count; roundId >= 1n; roundId--) {
      if (this.#settled.has(roundId)) continue;
      const status = await models.read.roundStatus([roundId]);
      if (status === RoundStatus.Open) continue;
      if (status !== RoundStatus.Committed || (await encryptionKeys.read.decryptionOf([roundId])).keyId !== 0n) {
        this.#settled.add(roundId);
        this.#prepared.delete(roundId);
        continue;
      }
      if (this.#prepared.has(roundId)) continue;
      const round = await models.read.round([roundId]);
      if (!(await models.read.policyOf([round.taskId])).encryptedAggregation) {
        this.#settled.add(roundId);
        continue;
      }
      const started = performance.now();
      const preparing = prepareRoundAggregate(this.#context(), roundId);
      this.#prepared.set(roundId, preparing);
      preparing.then(
        (prepared) => this.#log("aggregate_rebuilt", { roundId: roundId.toString(), updates: prepared.updates, aggregateHash: prepared.aggregate.hash, ms: Math.round(performance.now() - started) }),
        (error: unknown) => {
          // A refusal now is a refusal on request too; forget it so the request path judges afresh.
          this.#prepared.delete(roundId);
          this.#settled.add(roundId);
          this.#log("rebuild_refused", { roundId: roundId.toString(), reason: error instanceof DecryptionRefused ? error.reason : "error", message: error instanceof Error ? error.message : String(error) });
        },
      );
    }
  }

  async #decrypt(body: unknown): Promise<{ status: number; body: unknown }> {
    const parsed = decryptRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `a decryption request is {roundId, aggregateCid}: ${z.prettifyError(parsed.error)}`);
    const { roundId, aggregateCid } = parsed.data;
    const started = performance.now();
    const outcome = this.#queue.then(() => decryptRoundAggregate(this.#context(), roundId, aggregateCid, this.#prepared.get(roundId)));
    this.#queue = outcome.catch(() => undefined);
    let decryption: Decryption;
    try {
      decryption = await outcome;
    } catch (error) {
      if (!(error instanceof DecryptionRefused)) throw error;
      this.metrics.increment("twinledger_keyholder_requests_total", { result: "refused", reason: error.reason });
      this.#log("refused", { roundId: roundId.toString(), aggregateCid, reason: error.reason, message: error.message });
      return { status: 409, body: { decrypted: false, reason: error.reason, message: error.message } };
    }
    this.metrics.increment("twinledger_keyholder_requests_total", { result: decryption.fresh ? "decrypted" : "recorded", reason: "" });
    const ms = Math.round(performance.now() - started);
    if (decryption.fresh) this.#log("decrypted", { roundId: roundId.toString(), keyId: decryption.keyId.toString(), aggregateHash: decryption.aggregateHash, resultCid: decryption.resultCid, ms });
    return {
      status: 200,
      body: { decrypted: true, roundId: roundId.toString(), keyId: decryption.keyId.toString(), aggregateHash: decryption.aggregateHash, resultHash: decryption.resultHash, resultCid: decryption.resultCid, transactionHash: decryption.transactionHash ?? null, fresh: decryption.fresh },
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#following) clearInterval(this.#following);
    await Promise.allSettled(this.#prepared.values());
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#queue.catch(() => undefined);
    await this.#store.close();
  }
}
