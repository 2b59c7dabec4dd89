/**
 * The key holder process: `node keyholder/main.ts --rpc URL --key 0x… --data-dir DIR [--port N]
 * [--ipfs-peers URL,…] [--ipfs-gateway-port N] [--generate-key]`. Logs JSON lines to stdout.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { KeyHolderService } from "./service.ts";

const { values } = parseArgs({
  options: {
    rpc: { type: "string" }, deployment: { type: "string" }, key: { type: "string" }, "data-dir": { type: "string" }, port: { type: "string" },
    "ipfs-peers": { type: "string" }, "ipfs-gateway-port": { type: "string" }, "generate-key": { type: "boolean" },
  },
});
const env = process.env;
const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);
const parsed = z
  .object({
    rpcUrl: z.string().url(),
    deploymentPath: z.string().min(1),
    privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte private key") as z.ZodType<`0x${string}`>,
    dataDir: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65535),
    ipfsPeers: z.array(z.string().url()),
    ipfsGatewayPort: z.coerce.number().int().min(0).max(65535).optional(),
    generateKeyIfNone: z.boolean(),
  })
  .safeParse({
    rpcUrl: values.rpc ?? env["KEYHOLDER_RPC"], deploymentPath: values.deployment ?? env["KEYHOLDER_DEPLOYMENT"] ?? ".twinledger/deployment.json",
    privateKey: values.key ?? env["KEYHOLDER_KEY"], dataDir: values["data-dir"] ?? env["KEYHOLDER_DATA_DIR"] ?? ".twinledger/keyholder",
    port: values.port ?? env["KEYHOLDER_PORT"] ?? 0, ipfsPeers: list(values["ipfs-peers"] ?? env["KEYHOLDER_IPFS_PEERS"]),
    ipfsGatewayPort: values["ipfs-gateway-port"] ?? env["KEYHOLDER_IPFS_GATEWAY_PORT"], generateKeyIfNone: values["generate-key"] === true,
  });
const log = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, time: new Date().toISOString(), ...fields }) + "\n");
if (!parsed.success) {
  process.stderr.write(`key holder: bad configuration: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}

let service: KeyHolderService;
try {
  service = await KeyHolderService.start(parsed.data, log);
} catch (error) {
  process.stderr.write(`key holder failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
log("ready", { url: service.url, gatewayUrl: service.gatewayUrl, address: service.address });
const shutdown = async () => {
  await service.stop();
  log("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
