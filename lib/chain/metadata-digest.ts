import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { bytesToHex, hexToBytes, type Hex } from "viem";

const SHA2_256 = 0x12;

/**
 * The DeviceRegistry stores a device's metadata CID as the 32-byte sha2-256 digest of its CIDv0 (one slot instead
 * of three). These convert between the two; only sha2-256 CIDv0 (what `ipfs add` gives) can be stored.
 */
export function metadataDigestOf(cid: string): Hex {
  const parsed = CID.parse(cid);
  if (parsed.version !== 0 || parsed.multihash.code !== SHA2_256) {
    throw new Error(`device metadata must be a sha2-256 CIDv0 (Qm…), got ${cid}`);
  }
  return bytesToHex(parsed.multihash.digest);
}

export function metadataCidOf(digest: Hex): string {
  return CID.createV0(createDigest(SHA2_256, hexToBytes(digest))).toString();
}
