/**
 * The digital-twin process: `node twin/main.ts --deployment PATH --data-dir DIR [--devices N --seed S] …`
 * (every flag also reads a TWIN_* environment variable; see twin/config.ts or --help). Logs one JSON line per
 * notable event to stdout; SIGTERM or SIGINT stops it cleanly.
 */
import { connectRpc } from "../lib/chain/clients.ts";
import { readDeployment } from "../lib/chain/deployment.ts";
import { syntheticFeaturePipeline } from "../lib/data/telemetry.ts";
import { openContentStore, type ContentStore } from "../lib/ipfs/store.ts";
import { readTwinConfig, twinUsage, type TwinConfig } from "./config.ts";
import { defaultDecisionConfig } from "./decisions.ts";
import { defaultResidualConfig } from "./detectors.ts";
import type { TwinEvent } from "./records.ts";
import { defaultRuntimeTuning, TwinRuntime } from "./runtime.ts";

const log = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(JSON.stringify({ event, time: new Date().toISOString(), ...fields }) + "\n");
};

/** The events worth a log line: everything but the per-window readings and predictions, which the API and SSE carry. */
function logEvent(event: TwinEvent): void {
  switch (event.type) {
    case "readings":
    case "prediction":
      return;
    case "anomaly":
      return log("anomaly", { ...event.anomaly });
    case "decision":
      return log("decision", { ...event.decision });
    default: {
      const { type, ...fields } = event;
      return log(type, fields);
    }
  }
}

async function start(config: TwinConfig): Promise<{ runtime: TwinRuntime; store: ContentStore; gatewayUrl: string | undefined }> {
  const deployment = readDeployment(config.deploymentPath);
  const clients = await connectRpc(config.rpcUrl ?? deployment.rpcUrl);
  const pipeline = config.devices
    ? syntheticFeaturePipeline({
        seed: config.seed,
        devices: config.devices,
        ...(config.sensors ? { sensors: config.sensors } : {}),
        ...(config.unitsPerDevice ? { minUnits: config.unitsPerDevice, maxUnits: config.unitsPerDevice } : {}),
      })
    : undefined;
  const { store, gatewayUrl } = await openContentStore({ dataDir: config.dataDir, peers: config.ipfsPeers, gatewayPort: config.ipfsGatewayPort });
  try {
    const runtime = await TwinRuntime.start({
      ...defaultRuntimeTuning,
      publicClient: clients.publicClient,
      addresses: deployment.addresses,
      store,
      taskName: config.taskName,
      ...(pipeline ? { pipeline } : {}),
      port: config.port,
      fromBlock: config.fromBlock,
      pollMs: config.pollMs,
      maxBlockRange: config.maxBlockRange,
      modelRetryMs: config.modelRetryMs,
      residual: { ...defaultResidualConfig, zThreshold: config.zThreshold, driftThreshold: config.driftThreshold },
      decisions: { ...defaultDecisionConfig, maintenanceHorizon: config.horizon },
    });
    return { runtime, store, gatewayUrl };
  } catch (error) {
    await store.close();
    throw error;
  }
}

let config: TwinConfig | "help";
try {
  config = readTwinConfig();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${twinUsage}\n`);
  process.exit(2);
}
if (config === "help") {
  process.stdout.write(twinUsage + "\n");
  process.exit(0);
}

let running: Awaited<ReturnType<typeof start>>;
try {
  running = await start(config);
} catch (error) {
  process.stderr.write(`twin failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
running.runtime.events.subscribe(logEvent);
log("ready", {
  url: running.runtime.url,
  port: Number(new URL(running.runtime.url).port),
  gatewayUrl: running.gatewayUrl,
  taskName: config.taskName,
  predictions: config.devices !== undefined,
});

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await running.runtime.stop();
    await running.store.close();
    log("stopped");
    process.exit(0);
  } catch (error) {
    process.stderr.write(`twin did not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
