import { network } from "hardhat";
import TwinledgerModule from "../../ignition/modules/Twinledger.ts";
import type { ContractAddresses, Deployment } from "./deployment.ts";

interface DeployedSuite {
  manager: { address: `0x${string}` };
  ConsortiumRegistry: { address: `0x${string}` };
  DeviceRegistry: { address: `0x${string}` };
  ModelRegistry: { address: `0x${string}` };
  UpdateLedger: { address: `0x${string}` };
  Reputation: { address: `0x${string}` };
  ProvenanceAnchor: { address: `0x${string}` };
  DataSharingLedger: { address: `0x${string}` };
  EncryptionKeyRegistry: { address: `0x${string}` };
}

/** The addresses of a suite deployed by the Twinledger Ignition module. */
export function addressesOf(deployed: DeployedSuite): ContractAddresses {
  return {
    AccessManager: deployed.manager.address,
    ConsortiumRegistry: deployed.ConsortiumRegistry.address,
    DeviceRegistry: deployed.DeviceRegistry.address,
    ModelRegistry: deployed.ModelRegistry.address,
    UpdateLedger: deployed.UpdateLedger.address,
    Reputation: deployed.Reputation.address,
    ProvenanceAnchor: deployed.ProvenanceAnchor.address,
    DataSharingLedger: deployed.DataSharingLedger.address,
    EncryptionKeyRegistry: deployed.EncryptionKeyRegistry.address,
  };
}

export interface DeployOptions {
  rpcUrl: string;
  /** Seconds before a granted ADMIN or ORACLE role takes effect (0 on dev chains). */
  grantDelaySeconds?: number;
  startScore?: number;
  suspendThreshold?: number;
}

/**
 * Deploys the suite with Hardhat Ignition to the node at `rpcUrl`, from its first account. Each deployment gets
 * its own Ignition deployment id, so a fresh dev chain never meets a stale journal from an earlier one.
 */
export async function deploySuite(options: DeployOptions): Promise<Deployment> {
  const connection = await network.connect({ network: "localhost", override: { url: options.rpcUrl } });
  try {
    const chainId = await (await connection.viem.getPublicClient()).getChainId();
    const deploymentId = `twinledger-${chainId}-${Date.now()}`;
    const deployed = await connection.ignition.deploy(TwinledgerModule, {
      deploymentId,
      displayUi: false,
      parameters: {
        Twinledger: {
          grantDelaySeconds: options.grantDelaySeconds ?? 0,
          startScore: options.startScore ?? 500,
          suspendThreshold: options.suspendThreshold ?? 200,
        },
      },
    });
    return {
      chainId,
      rpcUrl: options.rpcUrl,
      deploymentId,
      deployedAt: new Date().toISOString(),
      addresses: addressesOf(deployed),
    };
  } finally {
    await connection.close();
  }
}
