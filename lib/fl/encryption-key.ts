/**
 * The consortium's CKKS public keys as their users get them: the id and CID from the EncryptionKeyRegistry, the
 * bytes from IPFS, refused unless they hash to the on-chain hash and were made for the parameters this code uses.
 */
import type { Hex } from "viem";
import type { SuiteContracts } from "../chain/contracts.ts";
import { ckksParametersHash, DEFAULT_CKKS_PARAMETERS } from "../he/index.ts";
import type { ContentStore } from "../ipfs/store.ts";
import { keccakHex } from "../crypto/keccak.ts";

export interface PublicKeyRecord {
  keyId: bigint;
  publicKey: Uint8Array;
  publicKeyHash: Hex;
  cid: string;
}

/** The verified public key `keyId` (default: the active key). */
export async function loadPublicKey(contracts: Pick<SuiteContracts, "encryptionKeys">, store: Pick<ContentStore, "cat">, keyId?: bigint): Promise<PublicKeyRecord> {
  const id = keyId ?? (await contracts.encryptionKeys.read.activeKeyId());
  if (id === 0n) throw new Error("the task encrypts its updates but no encryption key has been published yet (EncryptionKeyRegistry.activeKeyId is 0)");
  const record = await contracts.encryptionKeys.read.key([id]);
  const expectedParameters = ckksParametersHash(DEFAULT_CKKS_PARAMETERS);
  if (record.parametersHash !== expectedParameters) throw new Error(`key ${id} was made for CKKS parameters ${record.parametersHash}, this code uses ${expectedParameters}`);
  const publicKey = await store.cat(record.publicKeyCid, undefined, { timeoutMs: 30_000 });
  const hash = keccakHex(publicKey);
  if (hash !== record.publicKeyHash) throw new Error(`the public key at ${record.publicKeyCid} hashes to ${hash}, the chain has ${record.publicKeyHash} for key ${id}`);
  return { keyId: id, publicKey, publicKeyHash: hash, cid: record.publicKeyCid };
}
