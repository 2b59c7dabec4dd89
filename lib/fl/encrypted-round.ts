/**
 * The encrypted round's shared arithmetic: which plaintext weight each committed update gets, and the aggregate
 * ciphertext of exactly the committed updates. The leader, every attesting oracle and the key holder compute it
 * independently from the same public evidence (the sealed-updates document and IPFS) and compare keccak hashes of
 * the aggregate bytes, so all of them must produce the same bytes: CKKS addition and plaintext multiplication are
 * exact modular arithmetic, and the weights are the same float64 numbers everywhere.
 */
import type { Address, Hex } from "viem";
import { createEncryptedAccumulator, decodeEncryptedVector } from "../he/index.ts";
import { keccakHex } from "../crypto/keccak.ts";

/** One committed update's content, as its device signed it. */
export interface EncryptedUpdateRef {
  device: Address;
  cid: string;
  /** keccak256 of the encrypted container's bytes (the signed weightsHash). */
  contentHash: Hex;
  sampleCount: bigint;
}

/**
 * FedAvg's n_k / n, or 1 / K under differential privacy (sample-count weighting would let one device's influence,
 * and so the sensitivity the noise is calibrated to, grow with its sample count).
 */
export function aggregationWeights(sampleCounts: readonly bigint[], uniform: boolean): number[] {
  if (sampleCounts.length === 0) throw new Error("no updates to weight");
  if (uniform) return sampleCounts.map(() => 1 / sampleCounts.length);
  const total = sampleCounts.reduce((sum, count) => sum + count, 0n);
  if (total <= 0n) throw new Error("the updates' sample counts sum to zero");
  return sampleCounts.map((count) => Number(count) / Number(total));
}

export interface EncryptedAggregate {
  bytes: Uint8Array;
  hash: Hex;
  keyId: bigint;
}

/**
 * Σ_k w_k · Enc(x_k) over the committed updates, refusing any whose content does not hash to what its device signed.
 * Contents are fetched a few at a time and added as they arrive (the sum is exact, so arrival order is irrelevant),
 * so a round of many multi-megabyte ciphertexts never sits in memory at once.
 */
export async function aggregateEncryptedUpdates(
  fetch: (cid: string) => Promise<Uint8Array>,
  updates: readonly EncryptedUpdateRef[],
  options: { uniform: boolean; length: number; keyId: bigint; concurrency?: number },
): Promise<EncryptedAggregate> {
  const weights = aggregationWeights(updates.map((update) => update.sampleCount), options.uniform);
  const accumulator = await createEncryptedAccumulator({ keyId: options.keyId, length: options.length });
  let next = 0;
  let adding = Promise.resolve();
  const lane = async () => {
    while (next < updates.length) {
      const index = next++;
      const update = updates[index]!;
      const bytes = await fetch(update.cid);
      const hash = keccakHex(bytes);
      if (hash !== update.contentHash) throw new Error(`the update of ${update.device} at ${update.cid} hashes to ${hash}, its device signed ${update.contentHash}`);
      // One add at a time: the accumulator's state is a single running sum.
      const added = adding.then(() => accumulator.add(bytes, weights[index]!));
      adding = added.catch(() => undefined);
      try {
        await added;
      } catch (error) {
        throw new Error(`the update of ${update.device} at ${update.cid}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, updates.length) }, lane));
  const bytes = await accumulator.finish();
  return { bytes, hash: keccakHex(bytes), keyId: options.keyId };
}

/**
 * The aggregate of a round's committed updates, taking the key and length from the first update (the accumulator
 * then refuses any update that differs): for readers that do not know the model, such as the key holder.
 */
export async function aggregateCommittedUpdates(
  fetch: (cid: string) => Promise<Uint8Array>,
  updates: readonly EncryptedUpdateRef[],
  options: { uniform: boolean; concurrency?: number },
): Promise<EncryptedAggregate & { length: number }> {
  const first = updates[0];
  if (!first) throw new Error("no committed updates to aggregate");
  const firstBytes = await fetch(first.cid);
  const header = decodeEncryptedVector(firstBytes);
  let firstServed = false;
  const fetchOnce = async (cid: string) => {
    if (cid === first.cid && !firstServed) {
      firstServed = true;
      return firstBytes;
    }
    return fetch(cid);
  };
  const aggregate = await aggregateEncryptedUpdates(fetchOnce, updates, { ...options, keyId: header.keyId, length: header.length });
  return { ...aggregate, length: header.length };
}
