import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cluster, defaultClusterOptions, type RoundSummary } from "../../lib/fl/cluster.ts";
import { auditAll } from "../../audit/all.ts";
import { createAuditSources } from "../../audit/sources.ts";

const RoundStatus = { Deployed: 4, Rejected: 5 } as const;

/**
 * The closed loop with real processes: a Hardhat node, 3 oracle processes (quorum 2) and 6 devices with their own
 * IPFS nodes. One device is Byzantine and scales its update by 10.
 */
describe("federated learning, end to end", { timeout: 300_000 }, () => {
  let cluster: Cluster;
  const summaries: RoundSummary[] = [];
  let byzantine: number[] = [];

  before(async () => {
    cluster = await Cluster.start({ ...defaultClusterOptions, devices: 6, byzantine: 1 / 6, attack: "scaled", roundSeconds: 60, dataDir: mkdtempSync(join(tmpdir(), "twinledger-fl-")) });
    byzantine = (cluster.fleet.events.find((e) => e.event === "ready")!.byzantine as number[]);
    for (let round = 0; round < 2; round++) summaries.push(await cluster.runRound());
  });
  after(async () => cluster?.stop());

  it("deploys a new version in each round, each a child of the last, attested by a quorum of distinct oracles", async () => {
    const { models } = cluster.contracts;
    expect(summaries.map((s) => s.status)).to.deep.equal(["deployed", "deployed"]);
    const deployed = await models.read.deployedVersion([cluster.taskId]);
    expect(deployed).to.equal(3n);
    const latest = await models.read.version([deployed]);
    expect(latest.parent).to.equal(2n);
    expect((await models.read.version([2n])).parent).to.equal(1n);
    expect(await models.read.roundStatus([1n])).to.equal(RoundStatus.Deployed);
    const attesters = await models.read.attestersOf([deployed]);
    expect(new Set(attesters).size).to.be.at.least(2);
    expect(latest.metric < (await models.read.version([1n])).metric, "the deployed model improved on genesis").to.equal(true);
  });

  it("rejects the scaled update with the reason, and commits only the honest ones", async () => {
    expect(byzantine).to.have.length(1);
    const poisoned = cluster.seeded.devices[byzantine[0]!]!.address;
    for (const summary of summaries) {
      expect(summary.participants).to.equal(5);
      expect(summary.rejectionReasons).to.deep.equal({ norm_out_of_bounds: 1 });
    }
    const updates = cluster.fleet.events.filter((e) => e.event === "update" && e.index === byzantine[0]);
    for (const update of updates) {
      const responses = update.responses as { accepted: boolean; reason?: string }[];
      expect(responses.every((r) => !r.accepted && r.reason === "norm_out_of_bounds")).to.equal(true);
    }
    expect(await cluster.contracts.reputation.read.deviceScore([poisoned])).to.equal(500 - 2 * 40);
  });

  it("records each round's reputation changes once, in one batch", async () => {
    const { reputation } = cluster.contracts;
    expect(await reputation.read.isRoundScored([1n])).to.equal(true);
    expect(await reputation.read.isRoundScored([2n])).to.equal(true);
    const honest = cluster.seeded.devices.filter((_, i) => !byzantine.includes(i));
    const scores = await Promise.all(honest.map((d) => reputation.read.deviceScore([d.address])));
    // Accepted updates gain 10 a round; an outlier among them would lose 25 instead.
    for (const score of scores) expect([520, 495, 470]).to.include(score);
    expect(scores.filter((s) => s === 520).length).to.be.at.least(3);
  });

  it("serves a round's accepted updates to attesters page by page, the same envelopes the round sealed", async () => {
    // Round 2's leader is the second oracle.
    const leader = cluster.oracleUrls[1]!;
    const sealed = (await (await fetch(`${leader}/rounds/2/sealed`)).json()) as { updates: unknown[]; devices: string[] };
    const accepted = (await (await fetch(`${leader}/rounds/2/accepted/0`)).json()) as { updates: unknown[]; devices: string[] };
    expect(accepted.updates).to.have.length(5);
    expect(new Set(accepted.devices)).to.deep.equal(new Set(sealed.devices));
    expect(new Set(accepted.updates.map((u) => JSON.stringify(u)))).to.deep.equal(new Set(sealed.updates.map((u) => JSON.stringify(u))));
    const rest = (await (await fetch(`${leader}/rounds/2/accepted/3`)).json()) as { devices: string[] };
    expect(rest.devices).to.deep.equal(accepted.devices.slice(3));
    // Every attestation names how many updates it took from those checks; each was checked once more at the proposal.
    const attested = cluster.oracles.flatMap((oracle) => oracle.events.filter((e) => e.event === "attested"));
    expect(attested.length).to.be.at.least(2);
    for (const event of attested) expect(event.prechecked).to.be.within(0, 5);
  });

  it("stored every model on IPFS in the TF.js format, verifiable against the chain from another node", async () => {
    const version = await cluster.contracts.models.read.version([3n]);
    const modelJson = JSON.parse(new TextDecoder().decode(await cluster.store.cat(version.cid, "model.json"))) as { weightsManifest: { paths: string[] }[]; modelTopology: unknown };
    expect(modelJson.weightsManifest[0]!.paths).to.deep.equal(["weights.bin"]);
    expect(modelJson.modelTopology).to.be.an("object");
    const report = JSON.parse(new TextDecoder().decode(await cluster.store.cat(version.xaiReportCid))) as { permutationImportance: number[]; gradientTimesInput: number[]; featureNames: string[] };
    expect(report.permutationImportance).to.have.length(report.featureNames.length);
    expect(report.gradientTimesInput).to.have.length(report.featureNames.length);
  });

  it("streams the fleet's telemetry through the gateways to anchors, and the twins predict with the deployed version", async () => {
    const telemetry = cluster.telemetry!;
    expect(await telemetry.waitForTwinModel(3n), "the twins switch to the version deployed in round 2").to.equal(true);
    const summary = await telemetry.summary();
    const anchored = summary.gateways.reduce((sum, gateway) => sum + gateway.anchoredWindows, 0);
    expect(anchored, "windows anchored on chain").to.be.greaterThan(0);
    expect(summary.gateways.every((gateway) => gateway.anchorTransactions < gateway.anchoredWindows), "windows are anchored in batches").to.equal(true);
    expect(summary.refused).to.deep.equal({});
    expect(summary.twins).to.have.length(6);
    const withPredictions = summary.twins.filter((twin) => twin.lastRul !== null);
    expect(withPredictions.length, "twins predict remaining life").to.be.greaterThan(0);
    expect(withPredictions.every((twin) => twin.model === "v3")).to.equal(true);
  });

  it("after the main job, audit all passes", async (t) => {
    const sources = await createAuditSources({ client: cluster.clients.publicClient, addresses: cluster.deployment.addresses, store: cluster.store, rpcUrl: cluster.deployment.rpcUrl });
    const report = await auditAll(sources);
    const failures = report.subjects.flatMap((subject) => subject.checks.filter((c) => !c.ok).map((c) => `${subject.id} ${c.name}: ${c.reason}`));
    expect(report.ok, failures.join("\n")).to.equal(true);
    expect(report.subjects.map((subject) => subject.id)).to.have.length(3);
    t.diagnostic(`audit all: ${report.subjects.length} versions, ${report.stats.seconds} s, ${report.stats.rpcCalls} RPC calls (${report.stats.getLogsCalls} eth_getLogs), ${report.stats.ipfsFetches} IPFS fetches`);
  });
});
