import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { connectRpc } from "../../lib/chain/clients.ts";
import { deploySuite } from "../../lib/chain/deploy.ts";
import { writeDeployment } from "../../lib/chain/deployment.ts";
import { devPrivateKey, devRoles } from "../../lib/chain/dev-accounts.ts";
import { freePort, startLocalNode, type LocalNode } from "../../lib/chain/local-node.ts";
import { demoPlan, seedConsortium } from "../../lib/chain/seed.ts";
import { startChild, type ChildHandle } from "../../lib/fl/processes.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { anchorTestWindow } from "./anchor.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the twin process (twin/main.ts)", { timeout: 180_000 }, () => {
  let node: LocalNode | undefined;
  let store: ContentStore | undefined;
  let twin: ChildHandle | undefined;
  after(async () => {
    await twin?.stop();
    await store?.close();
    await node?.stop();
  });

  it("starts from flags, reports anomalies of windows it reads from another process's IPFS node as JSON lines, and stops on SIGTERM", async () => {
    node = await startLocalNode("hardhat");
    const deployment = await deploySuite({ rpcUrl: node.rpcUrl });
    const workDir = mkdtempSync(join(tmpdir(), "twinledger-twin-process-"));
    const deploymentPath = join(workDir, "deployment.json");
    writeDeployment(deploymentPath, deployment);
    const clients = await connectRpc(node.rpcUrl);
    const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
    const seeded = await seedConsortium(clients, deployment.addresses, {
      governance: wallet(devRoles.governance),
      organisationAdmins: devRoles.organisations.map(wallet),
      oracles: devRoles.oracles.map((i) => wallet(i).account.address),
      gateways: devRoles.gateways.map((i) => wallet(i).account.address),
      auditors: [wallet(devRoles.auditor).account.address],
    });
    // This process plays the gateway: its IPFS node holds the metadata and the window, the twin fetches them from it.
    const opened = await openContentStore({ dataDir: join(workDir, "gateway"), gatewayPort: 0 });
    store = opened.store;
    for (const organisation of demoPlan.organisations) await store.addFile(new TextEncoder().encode(JSON.stringify(organisation.metadata)));

    const port = await freePort();
    twin = startChild("twin", join(root, "twin", "main.ts"), [
      "--rpc-url", node.rpcUrl,
      "--deployment", deploymentPath,
      "--data-dir", join(workDir, "twin"),
      "--ipfs-peers", opened.gatewayUrl!,
      "--port", String(port),
      "--poll-ms", "100",
    ]);
    const ready = await twin.waitFor((event) => event.event === "ready", 60_000);
    expect(ready).to.include({ port, taskName: "cmapss-rul", predictions: false });
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; assets: number };
    expect(health).to.include({ status: "ok", assets: 6 });

    const engine = seeded.devices[0]!;
    const t0 = 1_700_000_000_000;
    const { windowId } = await anchorTestWindow({ clients, addresses: deployment.addresses, gateway: wallet(devRoles.gateways[0]) }, store, {
      devicePrivateKey: engine.privateKey,
      sequence: 1,
      // Celsius on the wire; the schema is in Rankine: 80 °C = 635.67 °R, under T24's 640..645.
      channels: [{ name: "T24", unit: "degC" }],
      rows: [[t0, 83], [t0 + 1000, 80]],
      gatewaySchema: demoPlan.organisations[0]!.metadata.sensors,
    });
    const anomaly = await twin.waitFor((event) => event.event === "anomaly", 30_000);
    expect(anomaly).to.include({ kind: "bounds", sensor: "T24", unit: "degR", windowId, row: 1, min: 640, max: 645, assetId: Number(engine.assetId) });
    expect(anomaly.value as number).to.be.closeTo(635.67, 1e-9);

    await twin.stop();
    expect(twin.events.some((event) => event.event === "stopped")).to.equal(true);
    expect(twin.process.exitCode).to.equal(0);
  });
});
