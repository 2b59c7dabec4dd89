/**
 * The gateway's view of the device registry: status, organisation and operating schema per device, read from
 * the chain once and cached. The cache follows the registry's events (polled logs), so a revocation, a status
 * change, a firmware or metadata update or an organisation's suspension drops the affected entries at the next
 * poll, without re-reading every device on every window.
 */
import { parseEventLogs, type Address } from "viem";
import { consortiumRegistryAbi, deviceRegistryAbi } from "../../lib/chain/abis.generated.ts";
import type { ChainClients } from "../../lib/chain/clients.ts";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";
import { parseDeviceMetadata } from "../../lib/chain/device-metadata.ts";
import { metadataCidOf } from "../../lib/chain/metadata-digest.ts";
import type { SensorBounds } from "../../lib/chain/seed.ts";
import { DeviceStatus, deviceStatusName } from "../../lib/chain/status.ts";
import type { ContentStore } from "../../lib/ipfs/store.ts";

export interface DeviceEntry {
  device: Address;
  status: string;
  active: boolean;
  organisationId: number;
  organisationActive: boolean;
  assetId: bigint;
  /** The operating schema from the device's metadata document (empty when the device is not registered). */
  sensors: SensorBounds[];
}

export interface DeviceDirectoryOptions {
  clients: ChainClients;
  addresses: ContractAddresses;
  store: ContentStore;
  /** How often to poll the registries' logs for changes (ms). */
  pollMs?: number;
}

export class DeviceDirectory {
  readonly #options: Required<DeviceDirectoryOptions>;
  readonly #entries = new Map<string, Promise<DeviceEntry>>();
  readonly #schemas = new Map<string, Promise<SensorBounds[]>>();
  #nextBlock: bigint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  /** Entries dropped because of registry events (for metrics and tests). */
  invalidations = 0;

  constructor(options: DeviceDirectoryOptions) {
    this.#options = { pollMs: 500, ...options };
  }

  /** Starts following the registries from the current block. */
  async start(): Promise<void> {
    this.#nextBlock = (await this.#options.clients.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
    this.#timer = setInterval(() => void this.#poll(), this.#options.pollMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** The device's registry entry, from the cache when it is there. Rejects when the chain cannot be read. */
  lookup(device: Address): Promise<DeviceEntry> {
    const key = device.toLowerCase();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = this.#read(device);
      // A failed read is not cached: the next window tries again.
      entry.catch(() => this.#entries.delete(key));
      this.#entries.set(key, entry);
    }
    return entry;
  }

  async #read(device: Address): Promise<DeviceEntry> {
    const { publicClient } = this.#options.clients;
    const record = await publicClient.readContract({ address: this.#options.addresses.DeviceRegistry, abi: deviceRegistryAbi, functionName: "device", args: [device] });
    if (record.status === DeviceStatus.None) {
      return { device, status: "none", active: false, organisationId: 0, organisationActive: false, assetId: 0n, sensors: [] };
    }
    const [organisationActive, sensors] = await Promise.all([
      publicClient.readContract({ address: this.#options.addresses.ConsortiumRegistry, abi: consortiumRegistryAbi, functionName: "isActiveOrganisation", args: [record.organisationId] }),
      this.#schema(record.metadataDigest),
    ]);
    return {
      device,
      status: deviceStatusName(record.status),
      active: record.status === DeviceStatus.Active,
      organisationId: record.organisationId,
      organisationActive,
      assetId: record.assetId,
      sensors,
    };
  }

  #schema(digest: `0x${string}`): Promise<SensorBounds[]> {
    let schema = this.#schemas.get(digest);
    if (!schema) {
      const cid = metadataCidOf(digest);
      schema = this.#options.store.cat(cid, undefined, { timeoutMs: 10_000 }).then((bytes) => parseDeviceMetadata(bytes).sensors);
      schema.catch(() => this.#schemas.delete(digest));
      this.#schemas.set(digest, schema);
    }
    return schema;
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#nextBlock === undefined) return;
    this.#polling = true;
    try {
      const { publicClient } = this.#options.clients;
      const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
      if (latest < this.#nextBlock) return;
      const logs = await publicClient.getLogs({
        address: [this.#options.addresses.DeviceRegistry, this.#options.addresses.ConsortiumRegistry],
        fromBlock: this.#nextBlock,
        toBlock: latest,
      });
      this.#nextBlock = latest + 1n;
      const deviceEvents = parseEventLogs({ abi: deviceRegistryAbi, logs });
      for (const event of deviceEvents) {
        const args = event.args as { deviceAccount?: Address };
        if (args.deviceAccount && this.#entries.delete(args.deviceAccount.toLowerCase())) this.invalidations++;
      }
      // An organisation's status change affects all its devices; such events are rare, so drop the whole cache.
      const organisationEvents = parseEventLogs({ abi: consortiumRegistryAbi, logs }).filter((event) => event.eventName.startsWith("Organisation"));
      if (organisationEvents.length > 0) {
        this.invalidations += this.#entries.size;
        this.#entries.clear();
      }
    } catch {
      // The chain is unreachable: keep the cache and try the same range at the next poll.
    } finally {
      this.#polling = false;
    }
  }
}
