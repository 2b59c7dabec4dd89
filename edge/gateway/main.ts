/**
 * A fog gateway process: `node edge/gateway/main.ts --rpc URL --key 0x… --data-dir DIR [--ipfs-peers …]`
 * (every flag also reads a GATEWAY_* environment variable; see config.ts). Logs JSON lines to stdout.
 */
import { connectRpc } from "../../lib/chain/clients.ts";
import { readDeployment } from "../../lib/chain/deployment.ts";
import { openContentStore } from "../../lib/ipfs/store.ts";
import { readGatewayConfig } from "./config.ts";
import { Gateway } from "./gateway.ts";

const log = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, time: new Date().toISOString(), ...fields }) + "\n");

let gateway: Gateway;
let closeStore: () => Promise<void>;
try {
  const config = readGatewayConfig();
  const deployment = readDeployment(config.deploymentPath);
  const clients = await connectRpc(config.rpcUrl);
  const { store, gatewayUrl } = await openContentStore({ dataDir: config.dataDir, peers: config.ipfsPeers, gatewayPort: config.ipfsGatewayPort });
  closeStore = () => store.close();
  gateway = await Gateway.start({
    clients,
    wallet: clients.walletFor(config.privateKey as `0x${string}`),
    addresses: deployment.addresses,
    store,
    dataDir: config.dataDir,
    port: config.port,
    capacity: { windows: config.bufferWindows, readings: config.bufferReadings },
    batchWindows: config.batchWindows,
    batchDelayMs: config.batchDelayMs,
    log,
  });
  log("ready", { url: gateway.url, address: gateway.address, ipfsGatewayUrl: gatewayUrl });
} catch (error) {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

const shutdown = async () => {
  await gateway.stop();
  await closeStore();
  log("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
