/**
 * The telemetry side of a local twinledger network: fog gateway processes, a digital-twin process, and the
 * fleet's telemetry uplink, started beside the federated-learning loop and summarised at the end.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { devPrivateKey, devRoles } from "../chain/dev-accounts.ts";
import { startChild, type ChildHandle } from "./processes.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface TelemetryServiceOptions {
  rpcUrl: string;
  deploymentPath: string;
  runDir: string;
  devices: number;
  seed: number;
  unitsPerDevice?: number;
  taskName: string;
  /** Trustless-gateway URLs of the IPFS nodes already running (for device metadata and models). */
  ipfsPeers: string[];
  /** Free ports: per gateway an API and an IPFS port, then the twin's API and IPFS ports. */
  ports: number[];
  gateways: number;
  /** Readings per second per device. */
  rate: number;
}

export interface GatewayHealth {
  gateway: string;
  anchoredWindows: number;
  pendingWindows: number;
  anchorTransactions: number;
}

export interface TelemetrySummary {
  gateways: (GatewayHealth & { readingsAnchored: number; gasUsed: number })[];
  readingsDelivered: number;
  seconds: number;
  refused: Record<string, number>;
  twins: ReturnType<typeof twinRow>[];
}

export const telemetryPortCount = (gateways: number) => 2 * gateways + 2;

export class TelemetryServices {
  readonly gateways: ChildHandle[];
  readonly gatewayUrls: string[];
  readonly twin: ChildHandle;
  readonly twinUrl: string;
  readonly uplink: ChildHandle;
  /** The trustless IPFS gateways of the fog gateways and the twin (telemetry windows live there). */
  readonly ipfsGatewayUrls: string[];

  /** Every process these services run. */
  get children(): ChildHandle[] {
    return [...this.gateways, this.twin, this.uplink];
  }

  private constructor(gateways: ChildHandle[], gatewayUrls: string[], twin: ChildHandle, twinUrl: string, uplink: ChildHandle, ipfsGatewayUrls: string[]) {
    this.gateways = gateways;
    this.gatewayUrls = gatewayUrls;
    this.twin = twin;
    this.twinUrl = twinUrl;
    this.uplink = uplink;
    this.ipfsGatewayUrls = ipfsGatewayUrls;
  }

  static async start(options: TelemetryServiceOptions): Promise<TelemetryServices> {
    const port = (index: number) => String(options.ports[index]);
    const ipfsUrl = (index: number) => `http://127.0.0.1:${options.ports[index]}`;
    const gatewayIpfs = Array.from({ length: options.gateways }, (_, g) => ipfsUrl(2 * g + 1));
    const twinIpfsIndex = 2 * options.gateways + 1;
    const started: ChildHandle[] = [];
    try {
      const gateways = Array.from({ length: options.gateways }, (_, g) => {
        const key = devRoles.gateways[g % devRoles.gateways.length]!;
        return startChild(`gateway-${g}`, join(root, "edge", "gateway", "main.ts"), [
          "--rpc", options.rpcUrl,
          "--deployment", options.deploymentPath,
          "--key", devPrivateKey(key),
          "--port", port(2 * g),
          "--data-dir", join(options.runDir, `gateway-${g}`),
          "--ipfs-gateway-port", port(2 * g + 1),
          "--ipfs-peers", [...options.ipfsPeers, ipfsUrl(twinIpfsIndex)].join(","),
          "--batch-delay-ms", "1000",
        ]);
      });
      started.push(...gateways);
      const ready = await Promise.all(gateways.map((gateway) => gateway.waitFor((event) => event.event === "ready", 60_000)));
      const gatewayUrls = ready.map((event) => String(event.url));

      const twin = startChild("twin", join(root, "twin", "main.ts"), [
        "--rpc-url", options.rpcUrl,
        "--deployment", options.deploymentPath,
        "--data-dir", join(options.runDir, "twin"),
        "--port", port(2 * options.gateways),
        "--ipfs-gateway-port", port(twinIpfsIndex),
        "--ipfs-peers", [...options.ipfsPeers, ...gatewayIpfs].join(","),
        "--task", options.taskName,
        "--seed", String(options.seed),
        "--devices", String(options.devices),
        ...(options.unitsPerDevice ? ["--units", String(options.unitsPerDevice)] : []),
      ]);
      started.push(twin);
      const twinReady = await twin.waitFor((event) => event.event === "ready", 60_000);

      const uplink = startChild("telemetry", join(root, "edge", "telemetry-fleet.ts"), [
        "--deployment", options.deploymentPath,
        "--devices", String(options.devices),
        "--seed", String(options.seed),
        ...(options.unitsPerDevice ? ["--units", String(options.unitsPerDevice)] : []),
        "--gateways", gatewayUrls.join(","),
        "--rate", String(options.rate),
      ]);
      started.push(uplink);
      await uplink.waitFor((event) => event.event === "ready", 60_000);
      return new TelemetryServices(gateways, gatewayUrls, twin, String(twinReady.url), uplink, [...gatewayIpfs, ipfsUrl(twinIpfsIndex)]);
    } catch (error) {
      await Promise.all(started.map((child) => child.stop()));
      throw error;
    }
  }

  /** Stops the uplink first (it flushes its last windows), then the twin and the gateways. */
  async stop(): Promise<void> {
    await this.uplink.stop();
    await Promise.all([this.twin.stop(), ...this.gateways.map((gateway) => gateway.stop())]);
  }

  /** Waits (bounded) until the twins predict with `versionId`; they pick each deployment up from the chain by themselves. */
  async waitForTwinModel(versionId: bigint, timeoutMs = 20_000): Promise<boolean> {
    const switched = (event: Record<string, unknown>) => event.event === "model-switched" && String((event.to as { versionId?: unknown } | undefined)?.versionId) === versionId.toString();
    return this.twin.waitFor(switched, timeoutMs).then(() => true, () => false);
  }

  async summary(): Promise<TelemetrySummary> {
    const gateways = await Promise.all(
      this.gateways.map(async (gateway, g) => {
        const health = (await (await fetch(`${this.gatewayUrls[g]}/health`)).json()) as GatewayHealth;
        const anchored = gateway.events.filter((event) => event.event === "anchored");
        return {
          ...health,
          readingsAnchored: anchored.reduce((sum, event) => sum + Number(event.readings), 0),
          gasUsed: anchored.reduce((sum, event) => sum + Number(event.gasUsed), 0),
        };
      }),
    );
    const progress = [...this.uplink.events].reverse().find((event) => event.event === "progress");
    const listing = (await (await fetch(`${this.twinUrl}/assets`)).json()) as { assets: { assetId: number }[] };
    const twins = await Promise.all(listing.assets.map(async ({ assetId }) => twinRow((await (await fetch(`${this.twinUrl}/assets/${assetId}`)).json()) as TwinStateView)));
    return {
      gateways,
      readingsDelivered: Number(progress?.readingsDelivered ?? 0),
      seconds: Number(progress?.seconds ?? 0),
      refused: (progress?.refused as Record<string, number> | undefined) ?? {},
      twins,
    };
  }
}

/** The parts of the twin API's asset state (twin/asset-twin.ts TwinState) the summary shows. */
interface TwinStateView {
  assetId: number;
  label: string;
  model: { versionId: number; cid: string } | null;
  health: { predictedRul: number | null; maintenanceDue: boolean; anomalyCounts: Record<string, number> };
  readingsApplied: number;
}

function twinRow(state: TwinStateView) {
  return {
    assetId: String(state.assetId),
    label: state.label,
    model: state.model ? `v${state.model.versionId}` : "none yet",
    lastRul: state.health.predictedRul === null ? null : Math.round(state.health.predictedRul * 10) / 10,
    readings: state.readingsApplied,
    anomalies: state.health.anomalyCounts,
    maintenanceDue: state.health.maintenanceDue,
  };
}
