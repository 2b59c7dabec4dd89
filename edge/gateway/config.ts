import { parseArgs } from "node:util";
import { z } from "zod";

/** A gateway's configuration, from flags with GATEWAY_* environment fallbacks. */
export const gatewayConfigSchema = z.object({
  rpcUrl: z.string().url(),
  deploymentPath: z.string().min(1),
  privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte private key"),
  port: z.coerce.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  ipfsPeers: z.array(z.string().url()),
  ipfsGatewayPort: z.coerce.number().int().min(0).max(65535),
  /** Anchor when this many windows are ready (1..256)… */
  batchWindows: z.coerce.number().int().min(1).max(256),
  /** …or when the oldest has waited this many milliseconds. */
  batchDelayMs: z.coerce.number().int().min(0),
  /** Refuse new windows while this many windows (or readings) wait for their anchor. */
  bufferWindows: z.coerce.number().int().positive(),
  bufferReadings: z.coerce.number().int().positive(),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);

export function readGatewayConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: "string" }, deployment: { type: "string" }, key: { type: "string" }, port: { type: "string" },
      "data-dir": { type: "string" }, "ipfs-peers": { type: "string" }, "ipfs-gateway-port": { type: "string" },
      "batch-windows": { type: "string" }, "batch-delay-ms": { type: "string" }, "buffer-windows": { type: "string" }, "buffer-readings": { type: "string" },
    },
  });
  const parsed = gatewayConfigSchema.safeParse({
    rpcUrl: values.rpc ?? env.GATEWAY_RPC_URL ?? env.RPC_URL,
    deploymentPath: values.deployment ?? env.GATEWAY_DEPLOYMENT ?? ".twinledger/deployment.json",
    privateKey: values.key ?? env.GATEWAY_PRIVATE_KEY,
    port: values.port ?? env.GATEWAY_PORT ?? 0,
    dataDir: values["data-dir"] ?? env.GATEWAY_DATA_DIR ?? ".twinledger/gateway",
    ipfsPeers: list(values["ipfs-peers"] ?? env.GATEWAY_IPFS_PEERS),
    ipfsGatewayPort: values["ipfs-gateway-port"] ?? env.GATEWAY_IPFS_GATEWAY_PORT ?? 0,
    batchWindows: values["batch-windows"] ?? env.GATEWAY_BATCH_WINDOWS ?? 64,
    batchDelayMs: values["batch-delay-ms"] ?? env.GATEWAY_BATCH_DELAY_MS ?? 1000,
    bufferWindows: values["buffer-windows"] ?? env.GATEWAY_BUFFER_WINDOWS ?? 10_000,
    bufferReadings: values["buffer-readings"] ?? env.GATEWAY_BUFFER_READINGS ?? 20_000_000,
  });
  if (!parsed.success) throw new Error(`invalid gateway configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
