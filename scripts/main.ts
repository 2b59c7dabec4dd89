/**
 * The main job (npm start): a whole federated-learning run on this machine.
 * Boots a local chain and deploys with Ignition, seeds a consortium, starts 3 oracle nodes (quorum 2) and a
 * fleet of simulated devices (each with its own embedded IPFS node), runs the rounds with a progress bar each,
 * and prints a summary: participants, accepted and rejected updates, metric, deployed version, CID and gas.
 */
import { Presets, SingleBar } from "cli-progress";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { Cluster, defaultClusterOptions } from "../lib/fl/cluster.ts";
import { DATASET_NAMES } from "../lib/fl/data-source.ts";
import { RunJournal, runJournalPath, type RoundRecord, type RunNetworkOptions } from "../lib/fl/run-record.ts";
import type { TelemetryServices } from "../lib/fl/telemetry-services.ts";
import { preferredPort } from "../lib/chain/local-node.ts";
import { ensureWebAppBuilt, startWebApp, writeWebAppConfig, type WebAppServer } from "../lib/fl/web-app.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string" },
    rounds: { type: "string" },
    dataset: { type: "string" },
    "data-dir": { type: "string" },
    "csv-source": { type: "string" },
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
    resume: { type: "boolean", default: false },
    "work-dir": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm start -- [--devices N=20] [--rounds R=5] [--dataset synthetic|cmapss|ai4i|csv] [--data-dir DIR=../shared/data]
          [--csv-source FILE (with --dataset csv: a JSON file naming the CSV and its columns; see the README)]
          [--strategy fedavg|median|trimmed_mean[:β]|krum[:f]|multi_krum[:f:m]|clipped_fedavg[:norm]|weighted[:a:b:c]]
          [--byzantine FRACTION=0] [--xai] [--node anvil|hardhat (Anvil saves its state, so the run can be resumed)] [--round-seconds 90] [--local-epochs 2] [--seed 7]
          [--keep (stay up after the rounds; the default in a terminal) | --exit (end after the summary)]
          [--app-port 3000 (the web app's port; a free one if taken) | --no-app]
          [--telemetry-rate 20 (readings/s per device)] [--no-telemetry]
          [--encrypt (CKKS-encrypted updates, aggregated as ciphertexts; a key holder decrypts each round's sum only)]
          [--dp-clip C --dp-noise σ (differential privacy: clip each update delta to C, Gaussian noise multiplier σ)]
          [--resume (continue the last run where it stopped: its chain, oracle journals and IPFS blocks are kept;
                     --rounds is then the run's total, by default the total it was started with)]
          [--work-dir DIR=.twinledger (where a run keeps its chain, journals, IPFS blocks and deployment record)]`);
  process.exit(0);
}

const parsed = z
  .object({
    devices: z.coerce.number().int().min(2).max(2000),
    rounds: z.coerce.number().int().min(1).max(1000),
    dataset: z.enum(DATASET_NAMES),
    datasetDir: z.string(),
    csvSource: z.string().min(1).optional(),
    strategy: z.string(),
    byzantine: z.coerce.number().min(0).max(0.9),
    node: z.enum(["hardhat", "anvil"]),
    roundSeconds: z.coerce.number().int().min(10),
    localEpochs: z.coerce.number().int().min(1).max(50),
    seed: z.coerce.number().int(),
    telemetryRate: z.coerce.number().positive().max(1000),
    appPort: z.coerce.number().int().min(1).max(65535),
    dataDir: z.string().min(1),
    dpClipNorm: z.coerce.number().positive().max(4000).optional(),
    dpNoiseMultiplier: z.coerce.number().min(0).max(4000).optional(),
  })
  .refine((o) => o.dpNoiseMultiplier === undefined || o.dpClipNorm !== undefined, { message: "--dp-noise needs --dp-clip (the noise is calibrated to the clip norm)", path: ["dpNoiseMultiplier"] })
  .refine((o) => (o.dataset === "csv") === (o.csvSource !== undefined), { message: "--dataset csv and --csv-source FILE go together", path: ["csvSource"] })
  .safeParse({
    devices: values.devices ?? defaultClusterOptions.devices,
    rounds: values.rounds ?? 5,
    dataset: values.dataset ?? "synthetic",
    datasetDir: values["data-dir"] ?? process.env.TWINLEDGER_DATA_DIR ?? defaultClusterOptions.datasetDir,
    csvSource: values["csv-source"] === undefined ? undefined : resolve(values["csv-source"]),
    strategy: values.strategy ?? "fedavg",
    byzantine: values.byzantine ?? 0,
    // Anvil keeps its chain on disk (run/chain/state.json), which is what lets a stopped run be resumed.
    node: values.node ?? "anvil",
    roundSeconds: values["round-seconds"] ?? defaultClusterOptions.roundSeconds,
    localEpochs: values["local-epochs"] ?? defaultClusterOptions.localEpochs,
    seed: values.seed ?? defaultClusterOptions.seed,
    telemetryRate: values["telemetry-rate"] ?? 20,
    appPort: values["app-port"] ?? 3000,
    dataDir: resolve(values["work-dir"] ?? defaultClusterOptions.dataDir),
    dpClipNorm: values["dp-clip"],
    dpNoiseMultiplier: values["dp-noise"],
  });
if (!parsed.success) {
  console.error(`invalid options:\n${z.prettifyError(parsed.error)}\n(npm start -- --help)`);
  process.exit(2);
}
// A resumed run is the recorded network; a flag that would change it is refused rather than silently ignored.
const networkFlags = {
  devices: "devices", dataset: "dataset", "data-dir": "datasetDir", "csv-source": "csvSource", strategy: "strategy", byzantine: "byzantine", node: "node",
  "round-seconds": "roundSeconds", "local-epochs": "localEpochs", seed: "seed", xai: "xaiWeighting", "no-telemetry": "telemetry", "telemetry-rate": "telemetryRate",
  encrypt: "encrypted", "dp-clip": "dpClipNorm", "dp-noise": "dpNoiseMultiplier",
} as const satisfies Partial<Record<keyof typeof values, keyof RunNetworkOptions>>;
const options = { ...defaultClusterOptions, ...parsed.data, xaiWeighting: values.xai, telemetry: !values["no-telemetry"], encrypted: values.encrypt, resume: values.resume };
if (values.resume) {
  let recorded: RunNetworkOptions;
  try {
    const journal = RunJournal.open(runJournalPath(options.dataDir));
    journal.close();
    recorded = journal.record.options;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  const conflicts = Object.entries(networkFlags)
    .filter(([flag, key]) => values[flag as keyof typeof networkFlags] !== undefined && values[flag as keyof typeof networkFlags] !== false && options[key] !== recorded[key])
    .map(([flag, key]) => `--${flag} (the run has ${key === "telemetry" ? (recorded.telemetry === false ? "no telemetry" : "telemetry") : `${String(recorded[key])}`})`);
  if (conflicts.length > 0) {
    console.error(`invalid options: --resume continues the recorded run's network, which ${conflicts.join(", ")} would change\n(drop ${conflicts.length === 1 ? "it" : "them"}, or start a new run without --resume)`);
    process.exit(2);
  }
}

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
  // A resumed run's network options are the recorded ones; its total rounds too, unless --rounds asks for more.
  const run = cluster.options;
  const totalRounds = values.rounds === undefined ? run.rounds ?? options.rounds : options.rounds;
  const summaries = cluster.journal.record.rounds;
  const describe = `${run.devices} devices (${run.dataset}, ${run.strategy}${run.xaiWeighting ? ", XAI-guided weighting" : ""}${run.byzantine > 0 ? `, ${Math.round(run.byzantine * 100)}% Byzantine` : ""}${run.encrypted ? ", CKKS-encrypted updates" : ""}${run.dpClipNorm ? `, DP clip ${run.dpClipNorm} σ ${run.dpNoiseMultiplier ?? 0}` : ""})`;
  if (summaries.length === 0) console.log(`\nrunning ${totalRounds} rounds with ${describe}\n`);
  else if (summaries.length < totalRounds) console.log(`\nresuming: ${summaries.length} of ${totalRounds} rounds done, running the other ${totalRounds - summaries.length} with ${describe}\n`);
  else console.log(`\nresumed: all ${totalRounds} rounds of this run are done (ask for more with --rounds N)\n`);
  for (let r = summaries.length; r < totalRounds && !stopping; r++) {
    const bar = new SingleBar({ format: "round {round} [{bar}] {value}/{total} updates | {phase}", hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 3000 }, Presets.shades_classic);
    bar.start(run.devices, 0, { round: r + 1, phase: "training" });
    const summary = await cluster.runRound((progress) => bar.update(Math.min(progress.updatesSent, progress.devices), { phase: progress.phase }));
    bar.update(run.devices, { phase: `${summary.verdict}${summary.metric !== undefined ? ` (metric ${summary.metric.toFixed(3)})` : ""}` });
    bar.stop();
  }
  console.log(`\nsummary${summaries.length > 0 && options.resume ? " (the whole run, rounds before the restart included)" : ""}:`);
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
  if (run.encrypted || run.dpClipNorm) await printPrivacy(cluster, summaries);
  if (cluster.telemetry) {
    const deployed = summaries.at(-1)?.deployedVersion;
    if (deployed !== undefined) await cluster.telemetry.waitForTwinModel(deployed);
    await printTelemetry(cluster.telemetry);
  }
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  const ipfsApiUrl = process.env.IPFS_API_URL?.trim() || undefined;
  console.log(`look next: the deployment record ${join(options.dataDir, "deployment.json")}; oracle journals${ipfsApiUrl ? "" : " and IPFS blocks"} under ${join(options.dataDir, "run")};`);
  if (ipfsApiUrl) console.log(`           models, updates and reports are on the IPFS node at ${ipfsApiUrl} (IPFS_API_URL);`);
  console.log("           the chain holds every version's lineage (ModelRegistry.versionsOfTask), attestations and reputation events.");
  if (cluster.telemetry) {
    console.log(`           telemetry: gateways ${cluster.telemetry.gatewayUrls.join(", ")} (/health, /metrics); twins ${cluster.telemetry.twinUrl}/assets, live events at /events, API at /openapi.json (with --keep).`);
  }
  if (keep) {
    const ipfsPeers = [...cluster.oracles, ...(cluster.telemetry?.gateways ?? [])]
      .map((child) => child.events.find((event) => event.event === "ready"))
      .map((ready) => String(ready?.gatewayUrl ?? ready?.ipfsGatewayUrl ?? ""))
      .filter((url) => url.startsWith("http"));
    const contentSource = ipfsApiUrl ? `--ipfs-api ${ipfsApiUrl}` : `--ipfs-peers ${ipfsPeers.join(",")}`;
    console.log(`           audit it: npm run audit -- all --deployment ${join(options.dataDir, "run", "deployment.json")} ${contentSource}`);
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
async function printPrivacy(cluster: Cluster, summaries: readonly RoundRecord[]): Promise<void> {
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
