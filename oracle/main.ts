/**
 * An oracle node process: `node oracle/main.ts --rpc URL --key 0x… --data-dir DIR --oracles A,B,C --oracle-urls …`
 * (every flag also reads an ORACLE_* environment variable; see oracle/config.ts). Logs JSON lines to stdout.
 */
import { readOracleConfig } from "./config.ts";
import { OracleNode } from "./node.ts";

const log = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, time: new Date().toISOString(), ...fields }) + "\n");

let node: OracleNode;
try {
  node = await OracleNode.start(readOracleConfig(), log);
} catch (error) {
  process.stderr.write(`oracle failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
log("ready", { url: node.url, gatewayUrl: node.gatewayUrl, address: node.address });

const shutdown = async () => {
  await node.stop();
  log("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
