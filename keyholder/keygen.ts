/**
 * Key generation and rotation: a fresh CKKS key pair, its secret kept durably by the key store before anything is
 * published, the public key on IPFS and its CID and hash on chain, where it becomes the active key. Rounds already
 * aggregated under an older key still name that key, and its secret stays in the store.
 */
import { parseEventLogs, type Hex } from "viem";
import { encryptionKeyRegistryAbi } from "../lib/chain/abis.generated.ts";
import { confirm, type ChainClients } from "../lib/chain/clients.ts";
import type { SuiteContracts } from "../lib/chain/contracts.ts";
import { ckksParametersHash, generateCkksKeys } from "../lib/he/index.ts";
import type { ContentStore } from "../lib/ipfs/store.ts";
import type { KeyStore } from "./keystore.ts";
import { keccakHex } from "../lib/crypto/keccak.ts";

export interface PublishedKey {
  keyId: bigint;
  publicKeyCid: string;
  publicKeyHash: Hex;
  transactionHash: Hex;
}

export async function generateAndPublishKey(context: { clients: ChainClients; contracts: Pick<SuiteContracts, "encryptionKeys">; store: ContentStore; keystore: KeyStore }): Promise<PublishedKey> {
  const pair = await generateCkksKeys();
  const publicKeyHash = keccakHex(pair.publicKey);
  context.keystore.savePending(publicKeyHash, pair.secretKey);
  const publicKeyCid = await context.store.addFile(pair.publicKey);
  const receipt = await confirm(context.clients.publicClient, await context.contracts.encryptionKeys.write.publishKey([publicKeyCid, publicKeyHash, ckksParametersHash(pair.parameters)]));
  const [published] = parseEventLogs({ abi: encryptionKeyRegistryAbi, logs: receipt.logs, eventName: "KeyPublished" });
  if (!published) throw new Error(`publishKey ${receipt.transactionHash} emitted no KeyPublished event`);
  context.keystore.promote(publicKeyHash, published.args.keyId);
  return { keyId: published.args.keyId, publicKeyCid, publicKeyHash, transactionHash: receipt.transactionHash };
}

/** Every published key's id by its public key hash, from the registry (for KeyStore.adoptPublished). */
export async function publishedKeys(contracts: Pick<SuiteContracts, "encryptionKeys">): Promise<Map<string, bigint>> {
  const count = await contracts.encryptionKeys.read.activeKeyId();
  const byHash = new Map<string, bigint>();
  for (let keyId = 1n; keyId <= count; keyId++) byHash.set((await contracts.encryptionKeys.read.key([keyId])).publicKeyHash.toLowerCase(), keyId);
  return byHash;
}
