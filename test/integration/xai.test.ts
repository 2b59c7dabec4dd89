import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Cluster, defaultClusterOptions } from "../../lib/fl/cluster.ts";

describe("XAI-guided weighting in the oracles", { timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  after(async () => cluster?.stop());

  it("lets independent oracles agree on the XAI-weighted aggregate, and deploys it", async () => {
    cluster = await Cluster.start({ ...defaultClusterOptions, devices: 4, byzantine: 0.25, attack: "label_flip", xaiWeighting: true, roundSeconds: 60, telemetry: false, dataDir: mkdtempSync(join(tmpdir(), "twinledger-xai-")) });
    const summary = await cluster.runRound();
    expect(summary.status).to.equal("deployed");
    expect(summary.participants).to.equal(4);
    const version = await cluster.contracts.models.read.version([summary.deployedVersion]);
    // The label-flipping update passes every check, so it is in the commitment; the weighting must be reproduced exactly.
    expect(version.dissents).to.equal(0);
    expect(version.attestations).to.be.at.least(2);
    const started = cluster.oracles.map((o) => o.events.find((e) => e.event === "started")!);
    expect(started.every((e) => e.xaiWeighting === true)).to.equal(true);
  });
});
