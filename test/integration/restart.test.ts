import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeFunctionData, type Address } from "viem";
import { modelRegistryAbi, updateLedgerAbi } from "../../lib/chain/abis.generated.ts";
import { Cluster, defaultClusterOptions } from "../../lib/fl/cluster.ts";

/** Counts the calls `from` made to `to`, by function name, in blocks from `fromBlock` on. */
async function callsBy(cluster: Cluster, from: Address, fromBlock: bigint): Promise<Record<string, number>> {
  const { publicClient } = cluster.clients;
  const counts: Record<string, number> = {};
  const last = await publicClient.getBlockNumber({ cacheTime: 0 });
  for (let block = fromBlock; block <= last; block++) {
    for (const tx of (await publicClient.getBlock({ blockNumber: block, includeTransactions: true })).transactions) {
      if (tx.from.toLowerCase() !== from.toLowerCase() || !tx.to) continue;
      const abi = tx.to.toLowerCase() === cluster.deployment.addresses.UpdateLedger.toLowerCase() ? updateLedgerAbi : modelRegistryAbi;
      try {
        const { functionName } = decodeFunctionData({ abi, data: tx.input });
        counts[functionName] = (counts[functionName] ?? 0) + 1;
      } catch {
        counts.other = (counts.other ?? 0) + 1;
      }
    }
  }
  return counts;
}

describe("an oracle killed with SIGKILL in the middle of a round", { timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  after(async () => cluster?.stop());

  it("resumes from its journal and the chain, never submits twice, and the round completes", async () => {
    cluster = await Cluster.start({ ...defaultClusterOptions, devices: 6, roundSeconds: 50, sealWindowSeconds: 25, telemetry: false, dataDir: mkdtempSync(join(tmpdir(), "twinledger-restart-")) });
    const c = cluster;
    expect((await c.runRound()).status).to.equal("deployed");

    // Round 2 is led by oracle 1 (leaders rotate: round r is led by oracle (r - 1) mod 3).
    const leaderIndex = 1;
    const leader = c.oracles[leaderIndex]!;
    const leaderAddress = (leader.events.find((e) => e.event === "ready")!.address as Address);
    const fromBlock = (await c.clients.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
    const round = c.runRound();
    const updatesBefore = c.fleet.events.filter((e) => e.event === "update").length;
    await c.fleet.waitFor(() => c.fleet.events.filter((e) => e.event === "update").length >= updatesBefore + 2, 60_000);
    const acceptedBeforeKill = c.fleet.events
      .filter((e) => e.event === "update" && e.roundId === "2")
      .filter((e) => (e.responses as { oracle: string; accepted: boolean }[]).some((r) => r.oracle === c.oracleUrls[leaderIndex] && r.accepted))
      .map((e) => e.device as Address);
    expect(acceptedBeforeKill.length).to.be.at.least(1);

    leader.process.kill("SIGKILL");
    await leader.stop();
    c.oracles[leaderIndex] = c.startOracle(leaderIndex);
    await c.oracles[leaderIndex]!.waitFor((e) => e.event === "ready", 60_000);

    const summary = await round;
    expect(summary.status).to.equal("deployed");
    // What the leader acknowledged before it died is in the commitment: it came back from the journal.
    const sealed = (await (await fetch(`${c.oracleUrls[leaderIndex]}/rounds/2/sealed`)).json()) as { updates: { update: { roundId: string } }[] };
    expect(sealed.updates.length).to.equal(summary.participants);
    const leaderView = (await (await fetch(`${c.oracleUrls[leaderIndex]}/rounds/2`)).json()) as { accepted: string[] };
    for (const device of acceptedBeforeKill) expect(leaderView.accepted).to.include(device);

    const calls = await callsBy(c, leaderAddress, fromBlock);
    expect(calls.commitUpdates, "one commitment").to.equal(1);
    expect(calls.proposeModel, "one proposal").to.equal(1);
    expect(calls.attest ?? 0, "a leader does not attest its own proposal").to.equal(0);
    expect(await c.contracts.reputation.read.isRoundScored([2n])).to.equal(true);
  });
});
