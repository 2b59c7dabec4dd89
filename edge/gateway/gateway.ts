/**
 * A fog gateway: takes signed telemetry windows from devices over HTTP, checks them against the device
 * registry and their signatures, buffers them on disk, and anchors them on chain with their documents on IPFS.
 *
 *   POST /windows   a SignedWindow (lib/telemetry/window.ts) → 202 with the window's quality report, or an
 *                   error naming the reason (see admission.ts)
 *   GET  /health    buffer and anchoring state
 *   GET  /metrics   Prometheus text
 */
import { join } from "node:path";
import type { Server } from "node:http";
import type { ChainClients, Wallet } from "../../lib/chain/clients.ts";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";
import { HttpError, serveJson, type Handler } from "../../lib/http/json-server.ts";
import { PrometheusMetrics } from "../../lib/http/metrics.ts";
import type { ContentStore } from "../../lib/ipfs/store.ts";
import { admitWindow, rejectionStatus, WindowRejected } from "./admission.ts";
import { Anchorer, type AnchorerEvent } from "./anchorer.ts";
import { DeviceDirectory } from "./device-directory.ts";
import { WindowBuffer, windowKey, type BufferCapacity } from "./window-buffer.ts";

export interface GatewayOptions {
  clients: ChainClients;
  wallet: Wallet;
  addresses: ContractAddresses;
  store: ContentStore;
  dataDir: string;
  port: number;
  capacity: BufferCapacity;
  batchWindows: number;
  batchDelayMs: number;
  registryPollMs?: number;
  maxBodyBytes?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

export class Gateway {
  readonly url: string;
  readonly address: `0x${string}`;
  readonly metrics: PrometheusMetrics;
  readonly directory: DeviceDirectory;
  readonly buffer: WindowBuffer;
  readonly anchorer: Anchorer;
  readonly #server: Server;

  private constructor(url: string, address: `0x${string}`, metrics: PrometheusMetrics, directory: DeviceDirectory, buffer: WindowBuffer, anchorer: Anchorer, server: Server) {
    this.url = url;
    this.metrics = metrics;
    this.address = address;
    this.directory = directory;
    this.buffer = buffer;
    this.anchorer = anchorer;
    this.#server = server;
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const log = options.log ?? (() => {});
    const chainId = await options.clients.publicClient.getChainId();
    const directory = new DeviceDirectory({ clients: options.clients, addresses: options.addresses, store: options.store, pollMs: options.registryPollMs ?? 500 });
    await directory.start();
    const buffer = WindowBuffer.open(join(options.dataDir, "gateway-buffer.jsonl"), options.capacity);
    if (buffer.pendingWindows > 0) log("resumed", { pendingWindows: buffer.pendingWindows, pendingReadings: buffer.pendingReadings });
    const metrics = new PrometheusMetrics();

    const onAnchorerEvent = (event: AnchorerEvent) => {
      if (event.event === "anchored") {
        metrics.increment("twinledger_gateway_windows_anchored_total", {}, event.windows);
        metrics.increment("twinledger_gateway_readings_anchored_total", {}, event.readings);
        metrics.increment("twinledger_gateway_anchor_transactions_total");
        metrics.increment("twinledger_gateway_anchor_gas_total", {}, Number(event.gasUsed));
      } else if (event.event === "retrying") {
        metrics.increment("twinledger_gateway_retries_total", { stage: event.stage });
      } else if (event.event === "refused") {
        metrics.increment("twinledger_gateway_windows_refused_by_chain_total");
      }
      const { event: name, ...fields } = event;
      log(name, fields);
    };
    const anchorer = new Anchorer({
      buffer,
      store: options.store,
      clients: options.clients,
      wallet: options.wallet,
      addresses: options.addresses,
      batchWindows: options.batchWindows,
      batchDelayMs: options.batchDelayMs,
      onEvent: onAnchorerEvent,
    });

    const context = { chainId, provenanceAnchor: options.addresses.ProvenanceAnchor, lookup: (device: `0x${string}`) => directory.lookup(device) };
    const handler: Handler = async ({ method, path, body }) => {
      if (method === "POST" && path === "/windows") {
        const receivedAt = Date.now();
        try {
          const admitted = await admitWindow(body, context);
          await buffer.accept(admitted.window, admitted.entry.sensors, receivedAt);
          anchorer.poke();
          const { quality } = admitted.wrangled;
          metrics.increment("twinledger_gateway_windows_accepted_total");
          metrics.increment("twinledger_gateway_readings_accepted_total", {}, quality.rows);
          metrics.increment("twinledger_gateway_values_flagged_total", { flag: "missing" }, quality.missing);
          metrics.increment("twinledger_gateway_values_flagged_total", { flag: "invalid" }, quality.invalid);
          metrics.increment("twinledger_gateway_values_flagged_total", { flag: "out-of-range" }, quality.outOfRange);
          metrics.increment("twinledger_gateway_rows_malformed_total", {}, quality.malformedRows);
          return { status: 202, body: { accepted: true, key: windowKey(admitted.window), readings: quality.rows, quality } };
        } catch (error) {
          if (!(error instanceof WindowRejected)) throw error;
          metrics.increment("twinledger_gateway_windows_rejected_total", { reason: error.reason });
          throw new HttpError(rejectionStatus[error.reason], error.message, error.reason);
        }
      }
      if (method === "GET" && path === "/health") {
        return {
          status: 200,
          body: {
            ok: true,
            gateway: options.wallet.account.address,
            pendingWindows: buffer.pendingWindows,
            pendingReadings: buffer.pendingReadings,
            anchoredWindows: buffer.anchoredTotal,
            refusedWindows: buffer.refusedTotal,
            anchorTransactions: anchorer.transactions,
            registryInvalidations: directory.invalidations,
          },
        };
      }
      if (method === "GET" && path === "/metrics") {
        metrics.set("twinledger_gateway_buffer_windows", buffer.pendingWindows);
        metrics.set("twinledger_gateway_buffer_readings", buffer.pendingReadings);
        return { status: 200, body: metrics.render(), contentType: "text/plain; version=0.0.4" };
      }
      throw new HttpError(404, `no route ${method} ${path}`, "not-found");
    };
    const { server, url } = await serveJson(options.port, handler, { maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024 });
    anchorer.start();
    return new Gateway(url, options.wallet.account.address, metrics, directory, buffer, anchorer, server);
  }

  /** Stops taking windows, lets the anchorer finish its step, and closes the buffer (pending windows stay on disk). */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    await this.anchorer.stop();
    this.directory.stop();
    this.buffer.close();
  }
}
