/**
 * Reads a device's metadata document back from IPFS and checks it against the digest the chain holds before
 * trusting a byte of it: the document's CID is rebuilt from the on-chain digest, and every block is hash-checked.
 */
import type { Hex } from "viem";
import { metadataCidOf } from "../../../../lib/chain/metadata-digest.ts";
import { parseDeviceMetadata } from "../../../../lib/chain/device-metadata.ts";
import { catVerified } from "@/lib/ipfs";
import type { DeviceMetadata } from "./metadata-document";

export async function fetchDeviceMetadata(digest: Hex): Promise<DeviceMetadata> {
  return parseDeviceMetadata(await catVerified(metadataCidOf(digest)));
}
