/**
 * A real twinledger network for the end-to-end tests and bench:web, in its own Node process (the repository's
 * TypeScript runs under Node's type stripping, which Playwright's loader does not replace): a local chain with
 * the suite deployed and a consortium seeded, oracles, a device fleet, gateways and twins, plus the web app's
 * production server. It runs `--rounds` rounds, prints one `TWINLEDGER_E2E_READY {json}` line on stdout, and
 * then takes commands on a loopback control endpoint:
 *
 *   GET  /info   what the tests need (URLs, chain, addresses)
 *   POST /round  runs one federated round; answers with its summary when it is decided (409 while one runs)
 *
 * It stops everything on SIGTERM / SIGINT, or (--stop-with-stdin) when its stdin closes, and deletes its
 * temporary data folder. Its working files never touch `.twinledger/`, so a dev network there keeps running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Cluster, defaultClusterOptions, type RoundSummary } from "../../lib/fl/cluster.ts";
import { ensureWebAppBuilt, startWebApp, writeWebAppConfig, type WebAppServer } from "../../lib/fl/web-app.ts";
import { HttpError, serveJson } from "../../lib/http/json-server.ts";
import { readyMarker } from "./network-client.ts";


const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "6" },
    rounds: { type: "string", default: "1" },
    "round-seconds": { type: "string", default: "40" },
    "telemetry-rate": { type: "string", default: "10" },
    "app-port": { type: "string" },
    "stop-with-stdin": { type: "boolean", default: false },
  },
});

const log = (line: string) => process.stderr.write(`[e2e network] ${line}\n`);


const dataDir = mkdtempSync(join(tmpdir(), "twinledger-e2e-"));
let cluster: Cluster | undefined;
let webApp: WebAppServer | undefined;
let control: Server | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log("stopping");
  control?.close();
  await webApp?.stop().catch(() => undefined);
  await cluster?.stop().catch((error: unknown) => log(`stopping the cluster: ${String(error)}`));
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(130));
if (values["stop-with-stdin"]) {
  // The runner keeps our stdin open; when it goes away (crash, Ctrl-C), nobody else would stop these processes.
  process.stdin.on("end", () => void shutdown(0));
  process.stdin.on("error", () => void shutdown(0));
  process.stdin.resume();
}

try {
  const started = Date.now();
  log(`web app build: ${await ensureWebAppBuilt((line) => log(`next: ${line}`))} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  cluster = await Cluster.start(
    {
      ...defaultClusterOptions,
      devices: Number(values.devices),
      roundSeconds: Number(values["round-seconds"]),
      telemetryRate: Number(values["telemetry-rate"]),
      telemetry: true,
      dataDir,
    },
    (step) => log(step),
  );
  const configPath = join(dataDir, "run", "app.json");
  writeWebAppConfig(configPath, cluster.webAppNetwork());
  webApp = await startWebApp({ configPath, ...(values["app-port"] ? { port: Number(values["app-port"]) } : {}) });
  log(`web app at ${webApp.url}`);
  for (let r = 0; r < Number(values.rounds); r++) {
    const summary = await cluster.runRound();
    log(`round ${summary.roundId}: ${summary.verdict}, deployed v${summary.deployedVersion} (${summary.seconds.toFixed(1)} s)`);
  }

  let running: Promise<RoundSummary> | undefined;
  const network = cluster;
  const info = () => ({
    appUrl: webApp!.url,
    rpcUrl: network.chain.rpcUrl,
    chainId: network.deployment.chainId,
    addresses: network.deployment.addresses,
    twinUrl: network.telemetry?.twinUrl,
    dataDir,
  });
  const controlServer = await serveJson(0, async ({ method, path }) => {
    if (method === "GET" && path === "/info") return { status: 200, body: { ...info(), controlUrl: controlServer.url } };
    if (method === "POST" && path === "/round") {
      if (running) throw new HttpError(409, "a round is already running");
      running = network.runRound();
      try {
        return { status: 200, body: await running };
      } finally {
        running = undefined;
      }
    }
    throw new HttpError(404, "GET /info or POST /round");
  });
  control = controlServer.server;
  const controlUrl = controlServer.url;
  process.stdout.write(`${readyMarker}${JSON.stringify({ ...info(), controlUrl })}\n`);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s; control at ${controlUrl}`);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await shutdown(1);
}
