import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, parseEventLogs } from "viem";
import { encryptionKeyRegistryAbi } from "../../lib/chain/abis.generated.ts";
import { Cluster, defaultClusterOptions, type RoundSummary } from "../../lib/fl/cluster.ts";
import { decodeEncryptedVector } from "../../lib/he/index.ts";
import { auditAll } from "../../audit/all.ts";
import { createAuditSources } from "../../audit/sources.ts";

interface PrivacyReport {
  encrypted: boolean;
  clipNorm: number;
  noiseMultiplier: number;
  participants: number;
  effectiveNoiseMultiplier: number;
  epsilon: number;
  delta: number;
  rounds: number;
  accountant: string;
}

/**
 * The encrypted loop with real processes: a Hardhat node, a key-holder process that generates and publishes the
 * CKKS key, 3 oracles (quorum 2) that only ever hold ciphertexts, and 6 devices that clip, noise and encrypt.
 */
describe("encrypted aggregation with differential privacy, end to end", { timeout: 400_000 }, () => {
  let cluster: Cluster;
  const summaries: RoundSummary[] = [];

  before(async () => {
    cluster = await Cluster.start({
      ...defaultClusterOptions,
      devices: 6,
      roundSeconds: 90,
      telemetry: false,
      encrypted: true,
      dpClipNorm: 5,
      dpNoiseMultiplier: 0.01,
      dataDir: mkdtempSync(join(tmpdir(), "twinledger-privacy-")),
    });
    for (let round = 0; round < 2; round++) summaries.push(await cluster.runRound());
  });
  after(async () => cluster?.stop());

  it("deploys each round's decrypted aggregate, attested by a quorum, with the policy's privacy options on chain", async () => {
    const { models } = cluster.contracts;
    expect(summaries.map((s) => s.status)).to.deep.equal(["deployed", "deployed"]);
    expect(summaries.map((s) => s.participants)).to.deep.equal([6, 6]);
    const policy = await models.read.policyOf([cluster.taskId]);
    expect(policy).to.deep.include({ encryptedAggregation: true, dpClipNorm: 5_000_000, dpNoiseMultiplier: 10_000 });
    for (const versionId of [2n, 3n]) expect(new Set(await models.read.attestersOf([versionId])).size).to.be.at.least(2);
  });

  it("sends devices' updates only as ciphertexts under the published key, and the key holder records each decryption", async () => {
    const { encryptionKeys, models } = cluster.contracts;
    expect(await encryptionKeys.read.activeKeyId()).to.equal(1n);
    const key = await encryptionKeys.read.key([1n]);
    expect(keccak256(await cluster.store.cat(key.publicKeyCid))).to.equal(key.publicKeyHash);
    for (const roundId of [1n, 2n]) {
      const round = await models.read.round([roundId]);
      const version = await models.read.version([round.proposedVersion]);
      const decryption = await encryptionKeys.read.decryptionOf([roundId]);
      expect(decryption.keyId).to.equal(1n);
      expect(decryption.resultHash, "the deployed weights are the decrypted aggregate").to.equal(version.weightsHash);
      expect(keccak256(await cluster.store.cat(decryption.resultCid))).to.equal(decryption.resultHash);
    }
    const update = cluster.fleet.events.find((e) => e.event === "update");
    const content = await cluster.store.cat(update!.cid as string);
    const container = decodeEncryptedVector(content);
    expect(container.kind).to.equal("update");
    expect(container.keyId).to.equal(1n);
    const logs = await cluster.clients.publicClient.getLogs({ address: cluster.deployment.addresses.EncryptionKeyRegistry, fromBlock: 0n });
    expect(parseEventLogs({ abi: encryptionKeyRegistryAbi, logs, eventName: "AggregateDecrypted" })).to.have.length(2);
  });

  it("the key-holder process answers over HTTP: a recorded round from the record, refusals with the reason", async () => {
    const url = cluster.keyHolder!.events.find((e) => e.event === "ready")!.url as string;
    const post = async (body: unknown) => {
      const response = await fetch(`${url}/decrypt`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const recorded = await post({ roundId: "1", aggregateCid: "QmAnything" });
    expect(recorded.status).to.equal(200);
    expect(recorded.body).to.deep.include({ decrypted: true, fresh: false, keyId: "1" });
    const unknown = await post({ roundId: "99", aggregateCid: "QmAnything" });
    expect(unknown).to.deep.include({ status: 409 });
    expect(unknown.body.reason).to.equal("unknown_round");
    expect((await post({ round: 1 })).status).to.equal(400);
    const keys = (await (await fetch(`${url}/keys`)).json()) as { active: string; held: string[] };
    expect(keys).to.deep.equal({ active: "1", held: ["1"] });
  });

  it("accounts the privacy budget per task in each version's report, growing round by round", async () => {
    const reports: PrivacyReport[] = [];
    for (const versionId of [2n, 3n]) {
      const version = await cluster.contracts.models.read.version([versionId]);
      const report = JSON.parse(new TextDecoder().decode(await cluster.store.cat(version.xaiReportCid))) as { encryptedAggregation: boolean; privacy: PrivacyReport };
      expect(report.encryptedAggregation).to.equal(true);
      reports.push(report.privacy);
    }
    expect(reports.map((r) => r.rounds)).to.deep.equal([1, 2]);
    for (const report of reports) {
      expect(report).to.deep.include({ encrypted: true, clipNorm: 5, noiseMultiplier: 0.01, participants: 6, delta: 1e-5 });
      // Six devices each add their share for the policy's minimum of three: σ_eff = σ · √(6/3). (A σ this small
      // keeps a six-device model learning and spends a huge ε: the test is of the mechanism, bench:he of the trade-off.)
      expect(report.effectiveNoiseMultiplier).to.be.closeTo(0.01 * Math.SQRT2, 1e-12);
      expect(report.accountant).to.match(/rdp-gaussian/);
    }
    expect(reports[1]!.epsilon).to.be.greaterThan(reports[0]!.epsilon);
  });

  it("passes the auditor's checks, encrypted updates included", async () => {
    const sources = await createAuditSources({ client: cluster.clients.publicClient, addresses: cluster.deployment.addresses, store: cluster.store });
    const report = await auditAll(sources);
    const failed = report.subjects.flatMap((subject) => subject.checks.filter((check) => !check.ok).map((check) => `${subject.id}: ${check.name}: ${check.reason}`));
    expect(failed).to.deep.equal([]);
    for (const id of ["v2", "v3"]) {
      const subject = report.subjects.find((s) => s.id.endsWith(id))!;
      const decryption = subject.checks.find((check) => check.name === "decryption");
      expect(decryption?.ok, `${id} has a passing decryption check`).to.equal(true);
      expect(decryption?.evidence.recomputedAggregateHash, "the auditor rebuilt the aggregate ciphertext").to.equal(decryption?.evidence.aggregateHash);
    }
  });
});
