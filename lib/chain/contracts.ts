import { getContract, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from "viem";
import {
  accessManagerAbi,
  consortiumRegistryAbi,
  dataSharingLedgerAbi,
  deviceRegistryAbi,
  encryptionKeyRegistryAbi,
  modelRegistryAbi,
  provenanceAnchorAbi,
  reputationAbi,
  updateLedgerAbi,
} from "./abis.generated.ts";
import type { ContractAddresses } from "./deployment.ts";

/** The suite's contracts as typed viem instances, reading through `publicClient` and writing as `wallet`. */
export function suiteContracts(
  publicClient: PublicClient<Transport, Chain>,
  addresses: ContractAddresses,
  wallet: WalletClient<Transport, Chain, Account>,
) {
  const client = { public: publicClient, wallet };
  return {
    manager: getContract({ address: addresses.AccessManager, abi: accessManagerAbi, client }),
    consortium: getContract({ address: addresses.ConsortiumRegistry, abi: consortiumRegistryAbi, client }),
    devices: getContract({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, client }),
    models: getContract({ address: addresses.ModelRegistry, abi: modelRegistryAbi, client }),
    updates: getContract({ address: addresses.UpdateLedger, abi: updateLedgerAbi, client }),
    reputation: getContract({ address: addresses.Reputation, abi: reputationAbi, client }),
    provenance: getContract({ address: addresses.ProvenanceAnchor, abi: provenanceAnchorAbi, client }),
    dataSharing: getContract({ address: addresses.DataSharingLedger, abi: dataSharingLedgerAbi, client }),
    encryptionKeys: getContract({ address: addresses.EncryptionKeyRegistry, abi: encryptionKeyRegistryAbi, client }),
  };
}

export type SuiteContracts = ReturnType<typeof suiteContracts>;
