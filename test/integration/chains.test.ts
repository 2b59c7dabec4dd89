import { expect } from "chai";
import { after, describe, it } from "node:test";
import { getContract, stringToHex, type Hex } from "viem";
import { modelRegistryAbi, updateLedgerAbi, deviceRegistryAbi } from "../../lib/chain/abis.generated.ts";
import { connectRpc, confirm } from "../../lib/chain/clients.ts";
import { deploySuite } from "../../lib/chain/deploy.ts";
import { devPrivateKey, devRoles } from "../../lib/chain/dev-accounts.ts";
import { startLocalNode, type LocalNode, type NodeKind } from "../../lib/chain/local-node.ts";
import { demoPlan, seedConsortium } from "../../lib/chain/seed.ts";
import { buildUpdateTree } from "../../lib/chain/update-tree.ts";

/** Deployment, seeding and one full round on real node processes: Hardhat's EDR node, and Anvil as an independent client. */
for (const kind of ["hardhat", "anvil"] as const satisfies readonly NodeKind[]) {
  describe(`on a ${kind} node`, () => {
    let node: LocalNode | undefined;
    after(async () => node?.stop());

    it("deploys with Ignition, seeds the demo consortium and deploys a validated version", async () => {
      node = await startLocalNode(kind);
      const deployment = await deploySuite({ rpcUrl: node.rpcUrl });
      const clients = await connectRpc(node.rpcUrl);
      const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
      const seeded = await seedConsortium(clients, deployment.addresses, {
        governance: wallet(devRoles.governance),
        organisationAdmins: devRoles.organisations.map(wallet),
        oracles: devRoles.oracles.map((i) => wallet(i).account.address),
        gateways: devRoles.gateways.map((i) => wallet(i).account.address),
        auditors: [wallet(devRoles.auditor).account.address],
      });
      expect(seeded.organisations.map((o) => o.id)).to.deep.equal([1, 2, 3]);
      expect(seeded.devices.length).to.equal(12);
      const devices = getContract({ address: deployment.addresses.DeviceRegistry, abi: deviceRegistryAbi, client: clients.publicClient });
      for (const device of seeded.devices) expect(await devices.read.isActive([device.address])).to.equal(true);

      const { publicClient } = clients;
      const oracle = (i: number) => ({ public: publicClient, wallet: wallet(devRoles.oracles[i]!) });
      const models = getContract({ address: deployment.addresses.ModelRegistry, abi: modelRegistryAbi, client: oracle(0) });
      const ledger = getContract({ address: deployment.addresses.UpdateLedger, abi: updateLedgerAbi, client: oracle(0) });
      const task = seeded.tasks[0]!;
      const now = (await publicClient.getBlock()).timestamp;
      await confirm(publicClient, await models.write.openRound([task.taskId, task.genesisVersion, now + 3600n]));
      const roundId = await models.read.roundCount();
      const tree = buildUpdateTree(seeded.devices.slice(0, 4).map((d, i) => ({ device: d.address, contentHash: stringToHex(`update-${i}`, { size: 32 }), cid: `QmUpdate${i}`, sampleCount: 100n, nonce: BigInt(i) })));
      await confirm(publicClient, await ledger.write.commitUpdates([roundId, tree.root as Hex, 4, "QmSealedUpdates"]));
      const weightsHash = stringToHex("aggregate", { size: 32 });
      await confirm(publicClient, await models.write.proposeModel([roundId, { cid: "QmAggregate", weightsHash, metric: 25_000_000n, participantsRoot: tree.root as Hex, xaiReportCid: "QmXai" }]));
      const versionId = await models.read.versionCount();
      const attester = getContract({ address: deployment.addresses.ModelRegistry, abi: modelRegistryAbi, client: oracle(1) });
      await confirm(publicClient, await attester.write.attest([versionId, weightsHash]));
      expect(await models.read.deployedVersion([task.taskId])).to.equal(versionId);
      expect(await models.read.attestersOf([versionId])).to.deep.equal([wallet(devRoles.oracles[0]!).account.address, wallet(devRoles.oracles[1]!).account.address]);
      expect(demoPlan.tasks.length).to.equal(seeded.tasks.length);
    });
  });
}
