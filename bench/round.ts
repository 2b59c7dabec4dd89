/**
 * npm run bench:round: end-to-end round latency with 10, 100 and 1,000 devices, from the round opening on chain
 * to the decision: local training on every device, upload to IPFS, verification by 3 oracles, commitment,
 * aggregation, validation, proposal, attestation and deployment. Writes bench/results/round.json.
 * Each size runs two rounds on a fresh cluster; the second (warm) round is the figure, the first is kept too.
 * Devices hold one synthetic run-to-failure unit each, and train one local epoch.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, defaultClusterOptions, type RoundSummary } from "../lib/fl/cluster.ts";

const sizes = (process.env.BENCH_ROUND_SIZES ?? "10,100,1000").split(",").map(Number);
const results: Record<string, number> = {};
const detail: Record<string, unknown> = {};
for (const devices of sizes) {
  const setupStarted = Date.now();
  console.log(`\n${devices} devices: starting a cluster…`);
  const cluster = await Cluster.start({
    ...defaultClusterOptions,
    devices,
    unitsPerDevice: 1,
    localEpochs: 1,
    roundSeconds: 900,
    telemetry: false,
    sealWindowSeconds: 30,
    dataDir: mkdtempSync(join(tmpdir(), `twinledger-bench-round-${devices}-`)),
  }, (step) => console.log(`  ${step}`));
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  const rounds: RoundSummary[] = [];
  try {
    for (let r = 0; r < 2; r++) {
      const roundStarted = Date.now();
      let lastPhase = "";
      // A terminal gets a live line; a log gets one line per phase, with the time it began.
      const summary = await cluster.runRound((p) => {
        if (process.stdout.isTTY) process.stdout.write(`\r  round ${r + 1}: ${p.phase} ${p.updatesSent}/${p.devices}`.padEnd(50));
        else if (p.phase !== lastPhase) console.log(`  round ${r + 1}: ${p.phase} at ${((Date.now() - roundStarted) / 1000).toFixed(1)} s`);
        lastPhase = p.phase;
      });
      if (process.stdout.isTTY) process.stdout.write("\n");
      console.log(`  round ${r + 1}: ${summary.status}, ${summary.participants} participants, ${summary.seconds.toFixed(2)} s, ${summary.gasUsed} gas${summary.reputationScored ? "" : ", reputation NOT scored"}`);
      rounds.push(summary);
    }
  } finally {
    await cluster.stop();
  }
  results[`devices_${devices}_s`] = Number(rounds[1]!.seconds.toFixed(2));
  detail[`devices_${devices}`] = { first_round_s: Number(rounds[0]!.seconds.toFixed(2)), warm_round_s: Number(rounds[1]!.seconds.toFixed(2)), setup_s: Number(setupSeconds.toFixed(1)), participants: rounds.map((r) => r.participants), status: rounds.map((r) => r.status), gas: rounds.map((r) => Number(r.gasUsed)), reputation_scored: rounds.map((r) => r.reputationScored) };
}

mkdirSync("bench/results", { recursive: true });
const output = { ...results, detail, goals: { devices_100_s: 10, devices_1000_s: 60 }, machine: "2 cores; chain, 3 oracles and the device fleet on one machine" };
writeFileSync("bench/results/round.json", JSON.stringify(output, null, 2) + "\n");
console.log("\n", JSON.stringify(results));
