import { parseArgs } from "node:util";
import { z } from "zod";

/** A twin process's configuration, from flags with environment fallbacks (TWIN_*). */
export const twinConfigSchema = z.object({
  /** JSON-RPC URL; defaults to the one in the deployment record. */
  rpcUrl: z.string().url().optional(),
  deploymentPath: z.string().min(1),
  dataDir: z.string().min(1),
  /** Trustless-gateway URLs of the other processes' IPFS nodes (gateways, oracles) to read windows and models from. */
  ipfsPeers: z.array(z.string().url()),
  ipfsGatewayPort: z.coerce.number().int().min(0).max(65535),
  port: z.coerce.number().int().min(0).max(65535),
  taskName: z.string().min(1),
  /** The synthetic dataset whose feature pipeline turns readings into model inputs; without --devices, no predictions. */
  seed: z.coerce.number().int(),
  devices: z.coerce.number().int().positive().optional(),
  sensors: z.coerce.number().int().min(2).optional(),
  unitsPerDevice: z.coerce.number().int().positive().optional(),
  fromBlock: z.coerce.bigint().nonnegative(),
  pollMs: z.coerce.number().int().positive(),
  maxBlockRange: z.coerce.bigint().positive(),
  modelRetryMs: z.coerce.number().int().positive(),
  /** Maintenance horizon (cycles), residual z threshold, drift (CUSUM) threshold. */
  horizon: z.coerce.number().positive(),
  zThreshold: z.coerce.number().positive(),
  driftThreshold: z.coerce.number().positive(),
});

export type TwinConfig = z.infer<typeof twinConfigSchema>;

export const twinUsage = `Usage: node twin/main.ts --deployment PATH --data-dir DIR [options]

  --rpc-url URL            JSON-RPC node (TWIN_RPC_URL, RPC_URL; default: the deployment record's)
  --deployment PATH        deployment record (TWIN_DEPLOYMENT; default .twinledger/deployment.json)
  --data-dir DIR           where the embedded IPFS node keeps its blocks (TWIN_DATA_DIR; default .twinledger/twin)
  --ipfs-peers URLS        comma-separated trustless gateways of other processes (TWIN_IPFS_PEERS)
  --ipfs-gateway-port N    serve this node's blocks on 127.0.0.1:N, 0 = any (TWIN_IPFS_GATEWAY_PORT; default 0)
  --port N                 HTTP API port, 0 = any (TWIN_PORT; default 0)
  --task NAME              FL task whose deployed model predicts RUL (TWIN_TASK; default cmapss-rul)
  --seed N --devices N     the synthetic dataset whose feature pipeline the model was trained with
  --sensors N --units N    (TWIN_SEED default 7, TWIN_DEVICES, TWIN_SENSORS, TWIN_UNITS_PER_DEVICE); no --devices: no predictions
  --from-block N           first block to follow (TWIN_FROM_BLOCK; default 0 = rebuild from the whole chain)
  --poll-ms N              chain polling interval (TWIN_POLL_MS; default 500)
  --max-block-range N      blocks per getLogs call (TWIN_MAX_BLOCK_RANGE; default 2000)
  --model-retry-ms N       retry delay for a model version that failed to load (TWIN_MODEL_RETRY_MS; default 30000)
  --horizon N              recommend maintenance under this predicted RUL, cycles (TWIN_HORIZON; default 30)
  --z-threshold X          residual anomaly threshold, standard deviations (TWIN_Z_THRESHOLD; default 4)
  --drift-threshold X      CUSUM drift alarm threshold (TWIN_DRIFT_THRESHOLD; default 8)
  --help                   this text

Prints one JSON line per notable event on stdout ({"event":"ready","url":…}, model-switched, anomaly, decision, …).`;

const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);

/** Parses flags (and TWIN_* environment variables); returns "help" for --help. Throws with every problem listed. */
export function readTwinConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): TwinConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      "rpc-url": { type: "string" }, deployment: { type: "string" }, "data-dir": { type: "string" }, "ipfs-peers": { type: "string" },
      "ipfs-gateway-port": { type: "string" }, port: { type: "string" }, task: { type: "string" }, seed: { type: "string" },
      devices: { type: "string" }, sensors: { type: "string" }, units: { type: "string" }, "from-block": { type: "string" },
      "poll-ms": { type: "string" }, "max-block-range": { type: "string" }, "model-retry-ms": { type: "string" }, horizon: { type: "string" },
      "z-threshold": { type: "string" }, "drift-threshold": { type: "string" }, help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const parsed = twinConfigSchema.safeParse({
    rpcUrl: values["rpc-url"] ?? env.TWIN_RPC_URL ?? env.RPC_URL,
    deploymentPath: values.deployment ?? env.TWIN_DEPLOYMENT ?? ".twinledger/deployment.json",
    dataDir: values["data-dir"] ?? env.TWIN_DATA_DIR ?? ".twinledger/twin",
    ipfsPeers: list(values["ipfs-peers"] ?? env.TWIN_IPFS_PEERS),
    ipfsGatewayPort: values["ipfs-gateway-port"] ?? env.TWIN_IPFS_GATEWAY_PORT ?? 0,
    port: values.port ?? env.TWIN_PORT ?? 0,
    taskName: values.task ?? env.TWIN_TASK ?? "cmapss-rul",
    seed: values.seed ?? env.TWIN_SEED ?? 7,
    devices: values.devices ?? env.TWIN_DEVICES,
    sensors: values.sensors ?? env.TWIN_SENSORS,
    unitsPerDevice: values.units ?? env.TWIN_UNITS_PER_DEVICE,
    fromBlock: values["from-block"] ?? env.TWIN_FROM_BLOCK ?? 0,
    pollMs: values["poll-ms"] ?? env.TWIN_POLL_MS ?? 500,
    maxBlockRange: values["max-block-range"] ?? env.TWIN_MAX_BLOCK_RANGE ?? 2000,
    modelRetryMs: values["model-retry-ms"] ?? env.TWIN_MODEL_RETRY_MS ?? 30_000,
    horizon: values.horizon ?? env.TWIN_HORIZON ?? 30,
    zThreshold: values["z-threshold"] ?? env.TWIN_Z_THRESHOLD ?? 4,
    driftThreshold: values["drift-threshold"] ?? env.TWIN_DRIFT_THRESHOLD ?? 8,
  });
  if (!parsed.success) throw new Error(`invalid twin configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
