/**
 * Who a device is, from the chain: its asset and organisation (DeviceRegistry.device) and its declared channels
 * with static operating bounds (the metadata JSON whose CIDv0 digest is on chain, read from IPFS). The twin takes
 * bounds from here, never from a window document, which a gateway writes.
 */
import type { Address, Hex } from "viem";
import { metadataCidOf } from "../lib/chain/metadata-digest.ts";
import type { DeviceMetadata } from "../lib/chain/seed.ts";
import { parseDeviceMetadata } from "../lib/chain/device-metadata.ts";

export { parseDeviceMetadata };

/** The on-chain record the directory needs (a subset of DeviceRegistry.device). */
export interface DeviceRecord {
  organisationId: number;
  assetId: bigint;
  status: number;
  metadataDigest: Hex;
}

export interface DeviceInfo {
  address: Address;
  assetId: number;
  organisationId: number;
  metadataCid: string;
  metadata: DeviceMetadata;
}

export interface DeviceDirectorySources {
  readDevice(address: Address): Promise<DeviceRecord>;
  /** Reads a file by CID from IPFS. */
  cat(cid: string): Promise<Uint8Array>;
}

/**
 * Resolves devices, caching each one until its metadata changes on chain (the runtime calls `invalidate` on
 * DeviceMetadataUpdated), and each metadata document by CID forever (content-addressed, so it cannot change).
 */
export class DeviceDirectory {
  private readonly sources: DeviceDirectorySources;
  private readonly devices = new Map<string, Promise<DeviceInfo>>();
  private readonly documents = new Map<string, Promise<DeviceMetadata>>();

  constructor(sources: DeviceDirectorySources) {
    this.sources = sources;
  }

  /** The device's asset, organisation and declared schema. Rejects for an unregistered device or unreadable metadata. */
  resolve(address: Address): Promise<DeviceInfo> {
    const key = address.toLowerCase();
    let pending = this.devices.get(key);
    if (!pending) {
      pending = this.load(address);
      // A failure is not cached: the next window of the device tries again (IPFS may have been slow).
      pending.catch(() => this.devices.delete(key));
      this.devices.set(key, pending);
    }
    return pending;
  }

  /** Forgets a device, so its next window reads its record and metadata again. */
  invalidate(address: Address): void {
    this.devices.delete(address.toLowerCase());
  }

  private async load(address: Address): Promise<DeviceInfo> {
    const record = await this.sources.readDevice(address);
    if (record.status === 0) throw new Error(`device ${address} is not registered`);
    const metadataCid = metadataCidOf(record.metadataDigest);
    let document = this.documents.get(metadataCid);
    if (!document) {
      document = this.sources.cat(metadataCid).then(parseDeviceMetadata);
      document.catch(() => this.documents.delete(metadataCid));
      this.documents.set(metadataCid, document);
    }
    return { address, assetId: Number(record.assetId), organisationId: record.organisationId, metadataCid, metadata: await document };
  }
}
