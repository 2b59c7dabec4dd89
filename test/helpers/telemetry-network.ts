import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { connectRpc, type ChainClients } from "../../lib/chain/clients.ts";
import { deploySuite } from "../../lib/chain/deploy.ts";
import type { Deployment } from "../../lib/chain/deployment.ts";
import { devPrivateKey, devRoles } from "../../lib/chain/dev-accounts.ts";
import { startLocalNode, type LocalNode } from "../../lib/chain/local-node.ts";
import { seedConsortium, type SeedPlan, type SeedResult } from "../../lib/chain/seed.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { Gateway, type GatewayOptions } from "../../edge/gateway/gateway.ts";

/** Two sensors with bounds, one in K and one in rpm, for telemetry tests. */
export const telemetryPlan: SeedPlan = {
  deviceSeed: "telemetry-tests",
  devicesPerAsset: 2,
  organisations: [
    { name: "Org One", metadata: { deviceType: "turbofan-ecu", sensors: [{ name: "temp", unit: "K", min: 280, max: 400 }, { name: "speed", unit: "rpm", min: 0, max: 9000 }] }, assetLabels: ["engine-1"] },
    { name: "Org Two", metadata: { deviceType: "pump-monitor", sensors: [{ name: "temp", unit: "K", min: 280, max: 400 }, { name: "speed", unit: "rpm", min: 0, max: 9000 }] }, assetLabels: ["pump-1"] },
    { name: "Org Three", metadata: { deviceType: "mill-controller", sensors: [{ name: "temp", unit: "K", min: 280, max: 400 }, { name: "speed", unit: "rpm", min: 0, max: 9000 }] }, assetLabels: ["mill-1"] },
  ],
  tasks: [],
};

/** A real Anvil node (optionally keeping its state on disk), the suite deployed and seeded, and an embedded IPFS node holding the device metadata. */
export interface TelemetryNetwork {
  chain: LocalNode;
  deployment: Deployment;
  clients: ChainClients;
  seeded: SeedResult;
  store: ContentStore;
  dir: string;
  /** Where Anvil keeps its state across restarts (keepState), dumped every second and on SIGINT. */
  statePath: string | undefined;
  chainId: number;
  deviceAccount(index: number): ReturnType<typeof privateKeyToAccount>;
  startGateway(overrides?: Partial<GatewayOptions>): Promise<Gateway>;
  restartChain(): Promise<void>;
  close(): Promise<void>;
}

export async function startTelemetryNetwork(options: { keepState?: boolean } = {}): Promise<TelemetryNetwork> {
  const dir = mkdtempSync(join(tmpdir(), "twinledger-telemetry-"));
  const statePath = options.keepState ? join(dir, "anvil-state.json") : undefined;
  let chain = await startLocalNode("anvil", { statePath });
  const deployment = await deploySuite({ rpcUrl: chain.rpcUrl });
  const clients = await connectRpc(chain.rpcUrl);
  const { store } = await openContentStore({ dataDir: join(dir, "ipfs") });
  const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
  const seeded = await seedConsortium(
    clients,
    deployment.addresses,
    {
      governance: wallet(devRoles.governance),
      organisationAdmins: devRoles.organisations.map(wallet),
      oracles: [],
      gateways: devRoles.gateways.map((i) => wallet(i).account.address),
      auditors: [],
    },
    telemetryPlan,
    (bytes) => store.addFile(bytes),
  );
  const gateways: Gateway[] = [];
  const network: TelemetryNetwork = {
    get chain() {
      return chain;
    },
    deployment,
    clients,
    seeded,
    store,
    dir,
    statePath,
    chainId: deployment.chainId,
    deviceAccount: (index) => privateKeyToAccount(seeded.devices[index]!.privateKey),
    async startGateway(overrides = {}) {
      const gateway = await Gateway.start({
        clients,
        wallet: wallet(devRoles.gateways[0]!),
        addresses: deployment.addresses,
        store,
        dataDir: join(dir, "gateway"),
        port: 0,
        capacity: { windows: 1000, readings: 1_000_000 },
        batchWindows: 8,
        batchDelayMs: 100,
        registryPollMs: 100,
        ...overrides,
      });
      gateways.push(gateway);
      return gateway;
    },
    async restartChain() {
      await chain.stop();
      chain = await startLocalNode("anvil", { statePath, port: chain.port });
    },
    async close() {
      for (const gateway of gateways) await gateway.stop().catch(() => {});
      await store.close();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return network;
}
