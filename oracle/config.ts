import { parseArgs } from "node:util";
import { z } from "zod";
import { DATASET_NAMES } from "../lib/fl/data-source.ts";
import type { StrategyConfig } from "./aggregation/strategy.ts";

const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte private key");

/** An oracle node's configuration, from flags with environment fallbacks (ORACLE_*). */
export const oracleConfigSchema = z.object({
  rpcUrl: z.string().url(),
  deploymentPath: z.string().min(1),
  privateKey: hexKey,
  port: z.coerce.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  /** Trustless-gateway URLs of the other processes' IPFS nodes. */
  ipfsPeers: z.array(z.string().url()),
  ipfsGatewayPort: z.coerce.number().int().min(0).max(65535),
  taskName: z.string().min(1),
  /** Every oracle's account, in leader-rotation order (round r is led by oracles[(r - 1) mod n]). */
  oracles: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)).min(1),
  /** Every oracle's HTTP API URL, in the same order. */
  oracleUrls: z.array(z.string().url()).min(1),
  /** The leader seals a round as soon as this many updates are accepted (or when the seal window opens). */
  expectedParticipants: z.coerce.number().int().positive(),
  /** Seconds before the round deadline at which the leader seals whatever it has. */
  sealWindowSeconds: z.coerce.number().positive(),
  strategy: z.string().min(1),
  maxUpdateNorm: z.coerce.number().positive(),
  dataset: z.enum(DATASET_NAMES),
  /** csv only: the CSV source file (lib/fl/data-source.ts). */
  csvSource: z.string().min(1).optional(),
  datasetDir: z.string().min(1),
  devices: z.coerce.number().int().positive(),
  seed: z.coerce.number().int(),
  unitsPerDevice: z.coerce.number().int().positive().optional(),
  /** XAI-guided weighting: down-weight (or drop) updates whose feature importance disagrees with the consensus. */
  xaiWeighting: z.boolean(),
  /** The key holder's HTTP API, asked to decrypt the aggregate of an encrypted task's round (leader only). */
  keyHolderUrl: z.string().url().optional(),
});

export type OracleConfig = z.infer<typeof oracleConfigSchema>;

/** Parses a strategy name with parameters, e.g. "fedavg", "median", "trimmed_mean:0.2", "krum:1", "multi_krum:1:5", "clipped_fedavg:5". */
export function parseStrategy(spec: string): StrategyConfig {
  const [name, ...args] = spec.split(":");
  const number = (index: number, fallback: number) => (args[index] === undefined ? fallback : Number(args[index]));
  switch (name) {
    case "fedavg":
    case "median":
      return { name };
    case "weighted":
      return { name, a: number(0, 1), b: number(1, 0), c: number(2, 0) };
    case "trimmed_mean":
      return { name, trimFraction: number(0, 0.2) };
    case "krum":
      return { name, byzantine: number(0, 1) };
    case "multi_krum":
      return { name, byzantine: number(0, 1), select: number(1, 3) };
    case "clipped_fedavg":
      return { name, maxNorm: number(0, 5) };
    default:
      throw new Error(`unknown strategy "${spec}"; use fedavg, weighted[:a:b:c], median, trimmed_mean[:β], krum[:f], multi_krum[:f:m] or clipped_fedavg[:norm]`);
  }
}

const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);

export function readOracleConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): OracleConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: "string" }, deployment: { type: "string" }, key: { type: "string" }, port: { type: "string" },
      "data-dir": { type: "string" }, "ipfs-peers": { type: "string" }, "ipfs-gateway-port": { type: "string" },
      task: { type: "string" }, oracles: { type: "string" }, "oracle-urls": { type: "string" },
      "expected-participants": { type: "string" }, "seal-window": { type: "string" }, strategy: { type: "string" },
      "max-update-norm": { type: "string" }, dataset: { type: "string" }, "dataset-dir": { type: "string" },
      devices: { type: "string" }, seed: { type: "string" }, units: { type: "string" }, "xai-weighting": { type: "boolean" },
      "csv-source": { type: "string" }, "key-holder-url": { type: "string" },
    },
  });
  const parsed = oracleConfigSchema.safeParse({
    rpcUrl: values.rpc ?? env.ORACLE_RPC_URL ?? env.RPC_URL,
    deploymentPath: values.deployment ?? env.ORACLE_DEPLOYMENT ?? ".twinledger/deployment.json",
    privateKey: values.key ?? env.ORACLE_PRIVATE_KEY,
    port: values.port ?? env.ORACLE_PORT ?? 0,
    dataDir: values["data-dir"] ?? env.ORACLE_DATA_DIR,
    ipfsPeers: list(values["ipfs-peers"] ?? env.ORACLE_IPFS_PEERS),
    ipfsGatewayPort: values["ipfs-gateway-port"] ?? env.ORACLE_IPFS_GATEWAY_PORT ?? 0,
    taskName: values.task ?? env.ORACLE_TASK ?? "cmapss-rul",
    oracles: list(values.oracles ?? env.ORACLE_ORACLES),
    oracleUrls: list(values["oracle-urls"] ?? env.ORACLE_URLS),
    expectedParticipants: values["expected-participants"] ?? env.ORACLE_EXPECTED_PARTICIPANTS,
    sealWindowSeconds: values["seal-window"] ?? env.ORACLE_SEAL_WINDOW ?? 20,
    strategy: values.strategy ?? env.ORACLE_STRATEGY ?? "fedavg",
    maxUpdateNorm: values["max-update-norm"] ?? env.ORACLE_MAX_UPDATE_NORM ?? 50,
    dataset: values.dataset ?? env.ORACLE_DATASET ?? "synthetic",
    datasetDir: values["dataset-dir"] ?? env.TWINLEDGER_DATA_DIR ?? "../shared/data",
    csvSource: values["csv-source"] ?? env.ORACLE_CSV_SOURCE,
    devices: values.devices ?? env.ORACLE_DEVICES,
    seed: values.seed ?? env.ORACLE_SEED ?? 7,
    unitsPerDevice: values.units ?? env.ORACLE_UNITS_PER_DEVICE,
    xaiWeighting: values["xai-weighting"] ?? env.ORACLE_XAI_WEIGHTING === "1",
    keyHolderUrl: values["key-holder-url"] ?? env.ORACLE_KEY_HOLDER_URL,
  });
  if (!parsed.success) throw new Error(`invalid oracle configuration:\n${z.prettifyError(parsed.error)}`);
  parseStrategy(parsed.data.strategy);
  if (parsed.data.oracles.length !== parsed.data.oracleUrls.length) throw new Error("--oracles and --oracle-urls must list the same number of oracles");
  return parsed.data;
}
