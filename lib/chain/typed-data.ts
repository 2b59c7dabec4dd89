import type { Address, Hex, LocalAccount } from "viem";

/** The EIP-712 types of a device's model update, exactly as UpdateLedger.MODEL_UPDATE_TYPEHASH defines them. */
export const modelUpdateTypes = {
  ModelUpdate: [
    { name: "taskId", type: "bytes32" },
    { name: "roundId", type: "uint64" },
    { name: "baseVersion", type: "uint64" },
    { name: "updateCid", type: "string" },
    { name: "weightsHash", type: "bytes32" },
    { name: "sampleCount", type: "uint64" },
    { name: "metrics", type: "int256[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

export interface ModelUpdate {
  taskId: Hex;
  roundId: bigint;
  baseVersion: bigint;
  updateCid: string;
  weightsHash: Hex;
  sampleCount: bigint;
  /** Local validation metrics, 1e6-scaled, in the task's metric order. */
  metrics: bigint[];
  nonce: bigint;
  /** Unix time after which the signature is void. */
  deadline: bigint;
}

/** The signing domain: bound to the chain and the UpdateLedger, so a signature replays nowhere else. */
export function modelUpdateDomain(chainId: number, updateLedger: Address) {
  return { name: "twinledger", version: "1", chainId, verifyingContract: updateLedger } as const;
}

export async function signModelUpdate(device: LocalAccount, chainId: number, updateLedger: Address, update: ModelUpdate): Promise<Hex> {
  return device.signTypedData({ domain: modelUpdateDomain(chainId, updateLedger), types: modelUpdateTypes, primaryType: "ModelUpdate", message: update });
}
