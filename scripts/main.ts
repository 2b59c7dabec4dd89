/**
 * The main job (npm start): a whole federated-learning run on this machine.
 * Boots a local chain and deploys with Ignition, seeds a consortium, starts 3 oracle nodes (quorum 2) and a
 * fleet of simulated devices (each with its own embedded IPFS node), runs the rounds with a progress bar each,
 * and prints a summary: participants, accepted and rejected updates, metric, deployed version, CID and gas.
 */
import { Presets, SingleBar } from "cli-progress";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { Cluster, defaultClusterOptions, type RoundSummary } from "../lib/fl/cluster.ts";
import type { TelemetryServices } from "../lib/fl/telemetry-services.ts";
import { preferredPort } from "../lib/chain/local-node.ts";
import { ensureWebAppBuilt, startWebApp, writeWebAppConfig, type WebAppServer } from "../lib/fl/web-app.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string" },
    rounds: { type: "string" },
    dataset: { type: "string" },
    "data-dir": { type: "string" },
    strategy: { type: "string" },
    byzantine: { type: "string" },
    node: { type: "string" },
    "round-seconds": { type: "string" },
    "local-epochs": { type: "string" },
    seed: { type: "string" },
    keep: { type: "boolean", default: false },
    exit: { type: "boolean", default: false },
    "no-app": { type: "boolean", default: false },
    "app-port": { type: "string" },
    xai: { type: "boolean", default: false },
    "no-telemetry": { type: "boolean", default: false },
    "telemetry-rate": { type: "string" },
    encrypt: { type: "boolean", default: false },
    "dp-clip": { type: "string" },
    "dp-noise": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm start -- [--devices N=20] [--rounds R=5] [--dataset synthetic|cmapss|ai4i] [--data-dir DIR=../shared/data]
          [--strategy fedavg|median|trimmed_mean[:β]|krum[:f]|multi_krum[:f:m]|clipped_fedavg[:norm]|weighted[:a:b:c]]
          [--byzantine FRACTION=0] [--xai] [--node hardhat|anvil] [--round-seconds 90] [--local-epochs 2] [--seed 7]
          [--keep (stay up after the rounds; the default in a terminal) | --exit (end after the summary)]
          [--app-port 3000 (the web app's port; a free one if taken) | --no-app]
          [--telemetry-rate 20 (readings/s per device)] [--no-telemetry]
          [--encrypt (CKKS-encrypted updates, aggregated as ciphertexts; a key holder decrypts each round's sum only)]
          [--dp-clip C --dp-noise σ (differential privacy: clip each update delta to C, Gaussian noise multiplier σ)]`);
  process.exit(0);
}

const parsed = z
  .object({
    devices: z.coerce.number().int().min(2).max(2000),
    rounds: z.coerce.number().int().min(1).max(1000),
    dataset: z.enum(["synthetic", "cmapss", "ai4i"]),
    datasetDir: z.string(),
    strategy: z.string(),
    byzantine: z.coerce.number().min(0).max(0.9),
    node: z.enum(["hardhat", "anvil"]),
    roundSeconds: z.coerce.number().int().min(10),
    localEpochs: z.coerce.number().int().min(1).max(50),
    seed: z.coerce.number().int(),
    telemetryRate: z.coerce.number().positive().max(1000),
    appPort: z.coerce.number().int().min(1).max(65535),
    dpClipNorm: z.coerce.number().positive().max(4000).optional(),
    dpNoiseMultiplier: z.coerce.number().min(0).max(4000).optional(),
  })
  .refine((o) => o.dpNoiseMultiplier === undefined || o.dpClipNorm !== undefined, { message: "--dp-noise needs --dp-clip (the noise is calibrated to the clip norm)", path: ["dpNoiseMultiplier"] })
  .safeParse({
    devices: values.devices ?? defaultClusterOptions.devices,
    rounds: values.rounds ?? 5,
    dataset: values.dataset ?? "synthetic",
    datasetDir: values["data-dir"] ?? process.env.TWINLEDGER_DATA_DIR ?? defaultClusterOptions.datasetDir,
    strategy: values.strategy ?? "fedavg",
    byzantine: values.byzantine ?? 0,
    node: values.node ?? "hardhat",
    roundSeconds: values["round-seconds"] ?? defaultClusterOptions.roundSeconds,
    localEpochs: values["local-epochs"] ?? defaultClusterOptions.localEpochs,
    seed: values.seed ?? defaultClusterOptions.seed,
    telemetryRate: values["telemetry-rate"] ?? 20,
    appPort: values["app-port"] ?? 3000,
    dpClipNorm: values["dp-clip"],
    dpNoiseMultiplier: values["dp-noise"],
  });
if (!parsed.success) {
  console.error(`invalid options:\n${z.prettifyError(parsed.error)}\n(npm start -- --help)`);
  process.exit(2);
}
const options = { ...defaultClusterOptions, ...parsed.data, xaiWeighting: values.xai, telemetry: !values["no-telemetry"], encrypted: values.encrypt };

// In a terminal the run stays up after its summary so the web app can be explored; piped (CI, scripts) it ends.
const keep = values.keep || (process.stdout.isTTY === true && !values.exit);
let cluster: Cluster | undefined;
let webApp: WebAppServer | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await webApp?.stop().catch(() => undefined);
  await cluster?.stop().catch(() => undefined);
  process.exit(code);
};
process.on("SIGINT", () => {
  console.log("\nstopping every process…");
  void shutdown(130);
});
process.on("SIGTERM", () => void shutdown(143));

try {
  const started = Date.now();
  if (!values["no-app"]) {
    console.log("• preparing the web app (a production build when its sources changed, about 30 s)");
    const built = await ensureWebAppBuilt();
    if (built === "current") console.log("  the last build is current");
  }
  cluster = await Cluster.start(options, (step) => console.log(`• ${step}`));
  if (!values["no-app"]) {
    const configPath = join(options.dataDir, "run", "app.json");
    writeWebAppConfig(configPath, cluster.webAppNetwork());
    webApp = await startWebApp({ configPath, port: await preferredPort(options.appPort) });
    console.log(`• web app: ${webApp.url}  (connect a wallet on chain ${cluster.deployment.chainId}; without one it is read-only)`);
  }
  console.log(`\nrunning ${options.rounds} rounds with ${options.devices} devices (${options.dataset}, ${options.strategy}${options.xaiWeighting ? ", XAI-guided weighting" : ""}${options.byzantine > 0 ? `, ${Math.round(options.byzantine * 100)}% Byzantine` : ""}${options.encrypted ? ", CKKS-encrypted updates" : ""}${options.dpClipNorm ? `, DP clip ${options.dpClipNorm} σ ${options.dpNoiseMultiplier ?? 0}` : ""})\n`);
  const summaries: RoundSummary[] = [];
  for (let r = 0; r < options.rounds && !stopping; r++) {
    const bar = new SingleBar({ format: "round {round} [{bar}] {value}/{total} updates | {phase}", hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 3000 }, Presets.shades_classic);
    bar.start(options.devices, 0, { round: r + 1, phase: "training" });
    const summary = await cluster.runRound((progress) => bar.update(Math.min(progress.updatesSent, progress.devices), { phase: progress.phase }));
    bar.update(options.devices, { phase: `${summary.verdict}${summary.metric !== undefined ? ` (metric ${summary.metric.toFixed(3)})` : ""}` });
    bar.stop();
    summaries.push(summary);
  }
  console.log("\nsummary:");
  console.table(summaries.map((s) => ({
    round: Number(s.roundId),
    participants: s.participants,
    accepted: s.accepted,
    rejected: s.rejected,
    metric: s.metric === undefined ? "—" : Number(s.metric.toFixed(3)),
    outcome: s.verdict,
    deployed: `v${s.deployedVersion}`,
    cid: s.proposedCid ?? "—",
    gas: Number(s.gasUsed),
    seconds: Number(s.seconds.toFixed(1)),
  })));
  const reasons = summaries.flatMap((s) => Object.entries(s.rejectionReasons));
  if (reasons.length > 0) console.log("rejections:", Object.fromEntries(reasons.reduce((m, [k, v]) => m.set(k, (m.get(k) ?? 0) + v), new Map<string, number>())));
  if (options.encrypted || options.dpClipNorm) await printPrivacy(cluster, summaries);
  if (cluster.telemetry) {
    const deployed = summaries.at(-1)?.deployedVersion;
    if (deployed !== undefined) await cluster.telemetry.waitForTwinModel(deployed);
    await printTelemetry(cluster.telemetry);
  }
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  console.log(`look next: the deployment record ${join(options.dataDir, "deployment.json")}; oracle journals and IPFS blocks under ${join(options.dataDir, "run")};`);
  console.log("           the chain holds every version's lineage (ModelRegistry.versionsOfTask), attestations and reputation events.");
  if (cluster.telemetry) {
    console.log(`           telemetry: gateways ${cluster.telemetry.gatewayUrls.join(", ")} (/health, /metrics); twins ${cluster.telemetry.twinUrl}/assets, live events at /events, API at /openapi.json (with --keep).`);
  }
  if (keep) {
    const ipfsPeers = [...cluster.oracles, ...(cluster.telemetry?.gateways ?? [])]
      .map((child) => child.events.find((event) => event.event === "ready"))
      .map((ready) => String(ready?.gatewayUrl ?? ready?.ipfsGatewayUrl ?? ""))
      .filter((url) => url.startsWith("http"));
    console.log(`           audit it: npm run audit -- all --deployment ${join(options.dataDir, "run", "deployment.json")} --ipfs-peers ${ipfsPeers.join(",")}`);
    console.log(`\nchain, oracles and devices stay up (chain at ${cluster.chain.rpcUrl})${webApp ? `; the web app is at ${webApp.url}` : ""}. Ctrl-C stops them.`);
  } else {
    console.log("           (with --keep, or in a terminal, the processes and the web app stay up and the run prints the command that audits it)");
    await shutdown(0);
  }
} catch (error) {
  console.error(`\nthe run failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

async function printTelemetry(telemetry: TelemetryServices): Promise<void> {
  const summary = await telemetry.summary();
  const anchoredWindows = summary.gateways.reduce((sum, gateway) => sum + gateway.anchoredWindows, 0);
  const anchoredReadings = summary.gateways.reduce((sum, gateway) => sum + gateway.readingsAnchored, 0);
  console.log("\ntelemetry:");
  console.table(summary.gateways.map((gateway, g) => ({
    gateway: `gateway-${g}`,
    "windows anchored": gateway.anchoredWindows,
    "readings anchored": gateway.readingsAnchored,
    "waiting": gateway.pendingWindows,
    transactions: gateway.anchorTransactions,
    gas: gateway.gasUsed,
  })));
  const rate = summary.seconds > 0 ? summary.readingsDelivered / summary.seconds : 0;
  console.log(`${summary.readingsDelivered} readings delivered in ${summary.seconds.toFixed(0)} s (${rate.toFixed(0)} readings/s); ${anchoredWindows} windows (${anchoredReadings} readings) anchored so far${Object.keys(summary.refused).length > 0 ? `; refused: ${JSON.stringify(summary.refused)}` : ""}`);
  console.log("\ndigital twins:");
  console.table(summary.twins.map((twin) => ({
    asset: twin.label,
    "model in use": twin.model,
    readings: twin.readings,
    "predicted RUL": twin.lastRul ?? "—",
    "out of bounds": twin.anomalies.bounds ?? 0,
    residual: twin.anomalies.residual ?? 0,
    drift: twin.anomalies.drift ?? 0,
    "maintenance due": twin.maintenanceDue ? "yes" : "",
  })));
}

/** Per round: who decrypted what (encrypted runs) and the task's privacy budget after it (DP runs). */
async function printPrivacy(cluster: Cluster, summaries: RoundSummary[]): Promise<void> {
  const { models, encryptionKeys } = cluster.contracts;
  const rows = [];
  for (const summary of summaries) {
    const round = await models.read.round([summary.roundId]);
    const decryption = await encryptionKeys.read.decryptionOf([summary.roundId]);
    let privacy: { epsilon?: number | string; delta?: number; effectiveNoiseMultiplier?: number } | undefined;
    if (round.proposedVersion !== 0n) {
      const version = await models.read.version([round.proposedVersion]);
      const report = JSON.parse(new TextDecoder().decode(await cluster.store.cat(version.xaiReportCid))) as { privacy?: typeof privacy };
      privacy = report.privacy;
    }
    rows.push({
      round: Number(summary.roundId),
      decrypted: decryption.keyId === 0n ? "—" : `key ${decryption.keyId}, aggregate ${decryption.aggregateHash.slice(0, 10)}…`,
      "result CID": decryption.keyId === 0n ? "—" : decryption.resultCid,
      "σ effective": privacy?.effectiveNoiseMultiplier === undefined ? "—" : Number(privacy.effectiveNoiseMultiplier.toPrecision(3)),
      "ε (task, so far)": privacy?.epsilon === undefined ? "—" : typeof privacy.epsilon === "number" ? Number(privacy.epsilon.toPrecision(4)) : privacy.epsilon,
      δ: privacy?.delta ?? "—",
    });
  }
  console.log("\nprivacy:");
  console.table(rows);
}
