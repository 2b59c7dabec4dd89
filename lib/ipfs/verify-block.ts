/**
 * Checks that a block's bytes are what its CID names, for readers that fetch blocks from a party they do not
 * trust (the web app fetching through a gateway or proxy). Browser-safe: multiformats' sha2-256 uses WebCrypto there.
 */
import type { CID } from "multiformats/cid";
import { identity } from "multiformats/hashes/identity";
import { sha256 } from "multiformats/hashes/sha2";
import { equals } from "multiformats/bytes";

export type BlockCheck = { ok: true } | { ok: false; reason: string };

export async function checkBlock(cid: CID, bytes: Uint8Array): Promise<BlockCheck> {
  const code = cid.multihash.code;
  let digest: Uint8Array;
  if (code === sha256.code) digest = (await sha256.digest(bytes)).digest;
  else if (code === identity.code) digest = identity.digest(bytes).digest;
  else return { ok: false, reason: `block ${cid} uses hash function 0x${code.toString(16)}, which this reader does not verify` };
  return equals(digest, cid.multihash.digest) ? { ok: true } : { ok: false, reason: `block ${cid} does not hash to its CID: the content was altered` };
}
