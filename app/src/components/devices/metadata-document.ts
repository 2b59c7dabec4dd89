/**
 * A device's metadata document (device type, sensors, operating bounds) and the address the DeviceRegistry
 * stores for it: the sha2-256 digest of the CIDv0 that `ipfs add` gives the JSON bytes. The app has no IPFS write
 * route, so the browser computes the CID itself with the same importer settings as Kubo and the seed.
 */
import type { Hex } from "viem";
import { kuboCidOf } from "../../../../lib/ipfs/kubo-cid.ts";
import { metadataDigestOf } from "../../../../lib/chain/metadata-digest.ts";
// Type only: seed.ts itself talks to a node and is not loaded in the browser.
import type { DeviceMetadata } from "../../../../lib/chain/seed.ts";

export type { DeviceMetadata };

/** The document's bytes, with the seed's key order, so equal bounds give equal CIDs across the app and the seed. */
export function metadataDocumentBytes(metadata: DeviceMetadata): Uint8Array {
  const ordered: DeviceMetadata = {
    deviceType: metadata.deviceType,
    sensors: metadata.sensors.map(({ name, unit, min, max }) => ({ name, unit, min, max })),
  };
  return new TextEncoder().encode(JSON.stringify(ordered));
}

export interface MetadataAddress {
  json: string;
  /** The CIDv0 the owner gets when pinning the JSON (`ipfs add`). */
  cid: string;
  /** What registerDevice stores. */
  digest: Hex;
}

export async function metadataAddressOf(metadata: DeviceMetadata): Promise<MetadataAddress> {
  const bytes = metadataDocumentBytes(metadata);
  const cid = (await kuboCidOf(bytes)).toString();
  return { json: new TextDecoder().decode(bytes), cid, digest: metadataDigestOf(cid) };
}
