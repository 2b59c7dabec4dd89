/**
 * The key holder's one decision: decrypt the aggregate of a round, or refuse with a named reason. It decrypts only
 * a ciphertext it has itself rebuilt from exactly the updates the chain's commitment names, and only for a round of
 * an encrypted task committed with at least the policy's minimum of updates; so no request, however crafted, makes
 * it decrypt one device's update or anything else. The decrypted aggregate goes to IPFS and its hashes on chain.
 */
import { parseEventLogs, recoverTypedDataAddress, type Address, type Hex } from "viem";
import { encryptionKeyRegistryAbi } from "../lib/chain/abis.generated.ts";
import { confirm, type ChainClients } from "../lib/chain/clients.ts";
import type { SuiteContracts } from "../lib/chain/contracts.ts";
import { privacyOf } from "../lib/chain/policy.ts";
import { RoundStatus } from "../lib/chain/status.ts";
import { modelUpdateDomain, modelUpdateTypes } from "../lib/chain/typed-data.ts";
import { updateTreeRoot } from "../lib/chain/update-tree.ts";
import { aggregateCommittedUpdates, type EncryptedAggregate } from "../lib/fl/encrypted-round.ts";
import { kuboCidOf } from "../lib/ipfs/kubo-cid.ts";
import { decodeSealedUpdates, type SealedUpdates } from "../lib/fl/sealed-updates.ts";
import { decryptVector } from "../lib/he/index.ts";
import type { ContentStore } from "../lib/ipfs/store.ts";
import { weightsToBytes } from "../lib/model/weights.ts";
import type { KeyStore } from "./keystore.ts";
import { keccakHex } from "../lib/crypto/keccak.ts";

export type RefusalReason =
  | "unknown_round"
  | "not_encrypted_task"
  | "round_not_committed"
  | "too_few_updates"
  | "sealed_updates_unavailable"
  | "sealed_updates_mismatch"
  | "bad_signature"
  | "update_unavailable"
  | "update_rejected"
  | "unknown_key"
  | "aggregate_unavailable"
  | "aggregate_mismatch";

/** A refusal: the request was understood and judged; the reason says why the answer is no. */
export class DecryptionRefused extends Error {
  override name = "DecryptionRefused";
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface Decryption {
  roundId: bigint;
  keyId: bigint;
  aggregateHash: Hex;
  resultHash: Hex;
  resultCid: string;
  transactionHash: Hex | undefined;
  /** False when the chain already had this round's decryption (the request was answered from the record). */
  fresh: boolean;
}

export interface KeyHolderContext {
  clients: ChainClients;
  contracts: Pick<SuiteContracts, "models" | "updates" | "encryptionKeys">;
  chainId: number;
  updateLedger: Address;
  store: ContentStore;
  keystore: KeyStore;
  catTimeoutMs?: number;
}

/** A round judged decryptable, with the aggregate this key holder rebuilt from its commitment. */
export interface PreparedRound {
  roundId: bigint;
  aggregate: EncryptedAggregate;
  updates: number;
}

/**
 * Decrypts round `roundId`'s aggregate, which the requester says is at `aggregateCid`, or throws DecryptionRefused.
 * `prepared` is this round's prepareRoundAggregate, when the service started it as the commitment landed.
 */
export async function decryptRoundAggregate(context: KeyHolderContext, roundId: bigint, aggregateCid: string, prepared?: Promise<PreparedRound>): Promise<Decryption> {
  const { models, encryptionKeys } = context.contracts;
  const recorded = await encryptionKeys.read.decryptionOf([roundId]);
  if (recorded.keyId !== 0n) {
    return { roundId, keyId: recorded.keyId, aggregateHash: recorded.aggregateHash, resultHash: recorded.resultHash, resultCid: recorded.resultCid, transactionHash: undefined, fresh: false };
  }
  const { aggregate } = await (prepared ?? prepareRoundAggregate(context, roundId));

  let submitted: Uint8Array;
  try {
    submitted = await context.store.cat(aggregateCid, undefined, { timeoutMs: context.catTimeoutMs ?? 30_000 });
  } catch (error) {
    throw new DecryptionRefused("aggregate_unavailable", `cannot fetch the aggregate ${aggregateCid}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const submittedHash = keccakHex(submitted);
  if (submittedHash !== aggregate.hash) {
    throw new DecryptionRefused("aggregate_mismatch", `${aggregateCid} hashes to ${submittedHash}; the aggregate of round ${roundId}'s committed updates hashes to ${aggregate.hash}`);
  }
  if (!context.keystore.has(aggregate.keyId)) throw new DecryptionRefused("unknown_key", `the updates are encrypted under key ${aggregate.keyId}, whose secret this key holder does not hold`);
  // The round may have expired while the aggregate was being rebuilt; the contract would refuse the record, and a
  // decryption must never exist without its record.
  const status = await models.read.roundStatus([roundId]);
  if (status !== RoundStatus.Committed) throw new DecryptionRefused("round_not_committed", `round ${roundId} is no longer committed and awaiting its proposal (status ${status})`);

  const values = await decryptVector(context.keystore.load(aggregate.keyId), aggregate.bytes);
  const resultBytes = weightsToBytes(Float32Array.from(values));
  const resultHash = keccakHex(resultBytes);
  // Recorded before it is published: a decrypted aggregate never sits on IPFS without its on-chain record.
  const resultCid = (await kuboCidOf(resultBytes)).toString();
  const receipt = await confirm(context.clients.publicClient, await encryptionKeys.write.recordDecryption([roundId, aggregate.keyId, aggregate.hash, resultHash, resultCid]));
  const [event] = parseEventLogs({ abi: encryptionKeyRegistryAbi, logs: receipt.logs, eventName: "AggregateDecrypted" });
  if (!event) throw new Error(`recordDecryption ${receipt.transactionHash} emitted no AggregateDecrypted event`);
  const published = await context.store.addFile(resultBytes);
  if (published !== resultCid) throw new Error(`the decrypted aggregate was stored as ${published}, recorded as ${resultCid}`);
  return { roundId, keyId: aggregate.keyId, aggregateHash: aggregate.hash, resultHash, resultCid, transactionHash: receipt.transactionHash, fresh: true };
}

/**
 * Everything before the decryption itself, and nothing that depends on the requester: the round is an encrypted
 * task's, committed with at least the policy's minimum; its sealed-updates document matches the commitment and
 * every update's signature; and the aggregate of exactly those updates, rebuilt here. Throws DecryptionRefused.
 */
export async function prepareRoundAggregate(context: KeyHolderContext, roundId: bigint): Promise<PreparedRound> {
  const { models } = context.contracts;
  const status = await models.read.roundStatus([roundId]);
  if (status === RoundStatus.None) throw new DecryptionRefused("unknown_round", `round ${roundId} does not exist`);
  const round = await models.read.round([roundId]);
  const policy = await models.read.policyOf([round.taskId]);
  if (!policy.encryptedAggregation) throw new DecryptionRefused("not_encrypted_task", `round ${roundId}'s task ${round.taskId} does not use encrypted aggregation`);
  if (status !== RoundStatus.Committed) throw new DecryptionRefused("round_not_committed", `round ${roundId} is not committed and awaiting its proposal (status ${status})`);
  if (round.participantCount < policy.minParticipants) {
    throw new DecryptionRefused("too_few_updates", `round ${roundId} committed ${round.participantCount} updates; the policy's minimum is ${policy.minParticipants}, below which an aggregate could reveal single updates`);
  }

  const sealed = await committedUpdates(context, roundId, round.openedAt);
  if (sealed.roundId !== roundId || sealed.taskId.toLowerCase() !== round.taskId.toLowerCase()) throw new DecryptionRefused("sealed_updates_mismatch", `the committed document is for round ${sealed.roundId} of task ${sealed.taskId}`);
  const leaves = sealed.updates.map((u) => ({ device: u.device, contentHash: u.update.weightsHash, cid: u.update.updateCid, sampleCount: u.update.sampleCount, nonce: u.update.nonce }));
  const root = updateTreeRoot(leaves);
  if (root !== round.participantsRoot || sealed.updates.length !== round.participantCount) {
    throw new DecryptionRefused("sealed_updates_mismatch", `the committed document's ${sealed.updates.length} updates build root ${root}; the chain committed ${round.participantCount} with root ${round.participantsRoot}`);
  }
  for (const sealedUpdate of sealed.updates) {
    const signer = await recoverTypedDataAddress({ domain: modelUpdateDomain(context.chainId, context.updateLedger), types: modelUpdateTypes, primaryType: "ModelUpdate", message: sealedUpdate.update, signature: sealedUpdate.signature }).catch(() => undefined);
    if (signer?.toLowerCase() !== sealedUpdate.device.toLowerCase()) throw new DecryptionRefused("bad_signature", `the committed update of ${sealedUpdate.device} is not signed by it`);
    if (sealedUpdate.update.roundId !== roundId || sealedUpdate.update.baseVersion !== round.baseVersion) {
      throw new DecryptionRefused("sealed_updates_mismatch", `the committed update of ${sealedUpdate.device} is for round ${sealedUpdate.update.roundId} on version ${sealedUpdate.update.baseVersion}`);
    }
  }

  const fetchUpdate = async (cid: string) => {
    try {
      return await context.store.cat(cid, undefined, { timeoutMs: context.catTimeoutMs ?? 30_000 });
    } catch (error) {
      throw new DecryptionRefused("update_unavailable", `cannot fetch committed update ${cid}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let aggregate;
  try {
    aggregate = await aggregateCommittedUpdates(fetchUpdate, sealed.updates.map((u) => ({ device: u.device, cid: u.update.updateCid, contentHash: u.update.weightsHash, sampleCount: u.update.sampleCount })), {
      uniform: privacyOf(policy).dp !== undefined,
    });
  } catch (error) {
    if (error instanceof DecryptionRefused) throw error;
    throw new DecryptionRefused("update_rejected", `cannot aggregate the committed updates: ${error instanceof Error ? error.message : String(error)}`);
  }

  return { roundId, aggregate, updates: sealed.updates.length };
}

/** The sealed-updates document the round's commitment names (UpdateLedger.UpdatesCommitted). */
async function committedUpdates(context: KeyHolderContext, roundId: bigint, openedAtBlock: number): Promise<SealedUpdates> {
  const events = await context.contracts.updates.getEvents.UpdatesCommitted({ roundId }, { fromBlock: BigInt(openedAtBlock) });
  const updatesCid = events[0]?.args.updatesCid;
  if (!updatesCid) throw new DecryptionRefused("sealed_updates_unavailable", `no UpdatesCommitted event names the updates of round ${roundId}`);
  try {
    return decodeSealedUpdates(await context.store.cat(updatesCid, undefined, { timeoutMs: context.catTimeoutMs ?? 30_000 }));
  } catch (error) {
    throw new DecryptionRefused("sealed_updates_unavailable", `cannot read the committed updates ${updatesCid}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
