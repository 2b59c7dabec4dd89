import type { NetworkConnection } from "hardhat/types/network";
import { custom, type Address, type Hex } from "viem";
import { suiteContracts, type SuiteContracts } from "../../lib/chain/contracts.ts";
import TwinledgerModule from "../../ignition/modules/Twinledger.ts";
import { addressesOf } from "../../lib/chain/deploy.ts";
import { connectTransport, confirm, type ChainClients, type Wallet } from "../../lib/chain/clients.ts";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";
import { devPrivateKey, devRoles } from "../../lib/chain/dev-accounts.ts";
import { Role } from "../../lib/chain/roles.ts";
import { seedConsortium, type SeedPlan, type SeedResult } from "../../lib/chain/seed.ts";

/** A small consortium for contract tests: 3 organisations, 1 asset each with 2 devices, one RMSE task. */
export const testPlan: SeedPlan = {
  deviceSeed: "contract-tests",
  devicesPerAsset: 2,
  organisations: [
    { name: "Org One", metadata: { deviceType: "turbofan-ecu", sensors: [{ name: "T24", unit: "degR", min: 640, max: 645 }] }, assetLabels: ["engine-1"] },
    { name: "Org Two", metadata: { deviceType: "pump-monitor", sensors: [{ name: "flow", unit: "m3/h", min: 20, max: 140 }] }, assetLabels: ["pump-1"] },
    { name: "Org Three", metadata: { deviceType: "mill-controller", sensors: [{ name: "torque", unit: "Nm", min: 3, max: 77 }] }, assetLabels: ["mill-1"] },
  ],
  tasks: [
    // RMSE, lower is better: threshold 20.0, improve by at least 0.5 over the deployed 30.0, 2 devices, 2 oracles.
    { name: "cmapss-rul", metricId: "rmse", higherIsBetter: false, threshold: 20_000_000n, minImprovement: 500_000n, minParticipants: 2, quorum: 2, genesisMetric: 30_000_000n },
  ],
};

/** Dev account indices beyond the seeded parts: an ADMIN holding nothing else, a ROUND_OPENER only, and an outsider. */
export const extraAccounts = { pureAdmin: 11, roundOpenerOnly: 12, outsider: 10 } as const;

export type Contracts = SuiteContracts;

const contractsFor = (clients: ChainClients, addresses: ContractAddresses, wallet: Wallet): Contracts => suiteContracts(clients.publicClient, addresses, wallet);

export interface Fixture {
  clients: ChainClients;
  addresses: ContractAddresses;
  seed: SeedResult;
  wallets: {
    governance: Wallet;
    members: Wallet[];
    oracles: Wallet[];
    gateways: Wallet[];
    auditor: Wallet;
    keyHolder: Wallet;
    pureAdmin: Wallet;
    roundOpenerOnly: Wallet;
    outsider: Wallet;
  };
  /** The suite's contracts, acting as `wallet`. */
  as(wallet: Wallet): Contracts;
  taskId: Hex;
  /** Sends a transaction and waits for it; throws if it reverted. */
  send(action: Promise<Hex>): Promise<Awaited<ReturnType<typeof confirm>>>;
}

/** Deploys with Ignition on the connection's chain and seeds the test consortium. Use with networkHelpers.loadFixture. */
export function makeFixture(connection: NetworkConnection) {
  return async function deployAndSeed(): Promise<Fixture> {
    const deployed = await connection.ignition.deploy(TwinledgerModule, { displayUi: false });
    const addresses = addressesOf(deployed);
    const clients = await connectTransport(custom(connection.provider, { retryCount: 0 }));
    const wallet = (index: number) => clients.walletFor(devPrivateKey(index));
    const address = (index: number): Address => wallet(index).account.address;
    const wallets = {
      governance: wallet(devRoles.governance),
      members: devRoles.organisations.map(wallet),
      oracles: devRoles.oracles.map(wallet),
      gateways: devRoles.gateways.map(wallet),
      auditor: wallet(devRoles.auditor),
      keyHolder: wallet(devRoles.keyHolder),
      pureAdmin: wallet(extraAccounts.pureAdmin),
      roundOpenerOnly: wallet(extraAccounts.roundOpenerOnly),
      outsider: wallet(extraAccounts.outsider),
    };
    const seed = await seedConsortium(clients, addresses, {
      governance: wallets.governance,
      organisationAdmins: wallets.members,
      oracles: devRoles.oracles.map(address),
      gateways: devRoles.gateways.map(address),
      auditors: [address(devRoles.auditor)],
      keyHolders: [address(devRoles.keyHolder)],
    }, testPlan);
    const governance = contractsFor(clients, addresses, wallets.governance);
    await confirm(clients.publicClient, await governance.manager.write.grantRole([Role.ADMIN, wallets.pureAdmin.account.address, 0]));
    await confirm(clients.publicClient, await governance.manager.write.grantRole([Role.ROUND_OPENER, wallets.roundOpenerOnly.account.address, 0]));
    return {
      clients,
      addresses,
      seed,
      wallets,
      as: (w) => contractsFor(clients, addresses, w),
      taskId: seed.tasks[0]!.taskId,
      send: async (action) => confirm(clients.publicClient, await action),
    };
  };
}
