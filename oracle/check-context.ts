import type { Address, Hex } from "viem";
import type { SuiteContracts } from "../lib/chain/contracts.ts";
import { privacyOf } from "../lib/chain/policy.ts";
import { DeviceStatus, RoundStatus } from "../lib/chain/status.ts";
import type { ContentStore } from "../lib/ipfs/store.ts";
import type { CheckContext } from "./checks.ts";


/** Where the checks read from: the chain for devices, rounds and time; the oracle's own records for nonces. */
export interface CheckSources {
  contracts: Pick<SuiteContracts, "devices" | "models" | "encryptionKeys">;
  chainId: number;
  updateLedger: Address;
  taskId: Hex;
  store: ContentStore;
  now(): Promise<bigint>;
  isNonceUsed(device: Address, nonce: bigint): boolean;
  hasAccepted(roundId: bigint, device: Address): boolean;
  baseWeights(baseVersion: bigint): Promise<Float32Array>;
  maxUpdateNorm: number;
}

export function chainCheckContext(sources: CheckSources): CheckContext {
  const { devices, models } = sources.contracts;
  return {
    chainId: sources.chainId,
    updateLedger: sources.updateLedger,
    taskId: sources.taskId,
    // The common answer (active) in one read; the record only to tell unknown from inactive.
    deviceStatus: async (device) => {
      if (await devices.read.isActive([device])) return "active";
      return (await devices.read.statusOf([device])) === DeviceStatus.None ? "none" : "inactive";
    },
    round: async (roundId) => {
      const round = await models.read.round([roundId]);
      if (round.status === RoundStatus.None) return undefined;
      const status = await models.read.roundStatus([roundId]);
      return { taskId: round.taskId, baseVersion: round.baseVersion, deadline: round.deadline, open: status === RoundStatus.Open };
    },
    now: sources.now,
    isNonceUsed: sources.isNonceUsed,
    hasAccepted: sources.hasAccepted,
    fetchBytes: (cid) => sources.store.cat(cid, undefined, { timeoutMs: 15_000 }),
    baseWeights: sources.baseWeights,
    maxUpdateNorm: sources.maxUpdateNorm,
    privacy: async () => {
      const privacy = privacyOf(await models.read.policyOf([sources.taskId]));
      return { ...privacy, activeKeyId: privacy.encryptedAggregation ? await sources.contracts.encryptionKeys.read.activeKeyId() : 0n };
    },
  };
}
