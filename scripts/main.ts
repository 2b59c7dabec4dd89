/**
 * The main job (npm start). Boots a local chain, deploys the suite with Ignition, seeds the demo consortium and
 * prints what it deployed. `--node anvil` uses Anvil instead of Hardhat's node; `--keep` leaves the chain running.
 */
import { parseArgs } from "node:util";
import { connectRpc } from "../lib/chain/clients.ts";
import { deploySuite } from "../lib/chain/deploy.ts";
import { writeDeployment } from "../lib/chain/deployment.ts";
import { devPrivateKey, devRoles } from "../lib/chain/dev-accounts.ts";
import { startLocalNode, type NodeKind } from "../lib/chain/local-node.ts";
import { seedConsortium } from "../lib/chain/seed.ts";

const { values } = parseArgs({
  options: {
    node: { type: "string", default: "hardhat" },
    "data-dir": { type: "string", default: ".twinledger" },
    keep: { type: "boolean", default: false },
  },
});
if (values.node !== "hardhat" && values.node !== "anvil") {
  console.error(`--node must be "hardhat" or "anvil", got "${values.node}"`);
  process.exit(2);
}
const kind: NodeKind = values.node;

const node = await startLocalNode(kind);
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await node.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));

try {
  console.log(`chain: ${kind} node at ${node.rpcUrl}`);
  const deployment = await deploySuite({ rpcUrl: node.rpcUrl });
  const deploymentPath = `${values["data-dir"]}/deployment.json`;
  writeDeployment(deploymentPath, deployment);
  console.log(`deployed (Ignition id ${deployment.deploymentId}):`);
  console.table(deployment.addresses);

  const clients = await connectRpc(node.rpcUrl);
  const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
  const address = (index: number) => wallet(index).account.address;
  const seeded = await seedConsortium(clients, deployment.addresses, {
    governance: wallet(devRoles.governance),
    organisationAdmins: devRoles.organisations.map(wallet),
    oracles: devRoles.oracles.map(address),
    gateways: devRoles.gateways.map(address),
    auditors: [address(devRoles.auditor)],
  });
  console.log("\nconsortium:");
  console.table(seeded.organisations);
  console.log("devices:");
  console.table(seeded.devices.map(({ address: device, organisationId, assetId, assetLabel, metadataCid }) => ({ device, organisationId, asset: `${assetId} ${assetLabel}`, metadataCid })));
  console.log("tasks:");
  console.table(seeded.tasks.map(({ name, taskId, genesisVersion, genesisCid }) => ({ name, taskId, deployedVersion: genesisVersion, genesisCid })));
  console.log(`\ndeployment record: ${deploymentPath}`);
  console.log("next: `npm test` runs the contract suite; `npm run bench:gas` measures gas (README, Results).");
  if (values.keep) {
    console.log(`\nchain stays up at ${node.rpcUrl}; Ctrl-C stops it.`);
  } else {
    await shutdown(0);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}
