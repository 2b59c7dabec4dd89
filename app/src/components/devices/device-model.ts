/**
 * Assets and devices as the DeviceRegistry's events tell them: registration, firmware changes, metadata
 * changes and every status change (with whether the Reputation contract made it). Pure, so it is tested
 * without a chain; the page feeds it the chain log.
 */
import type { Address, Hex } from "viem";
import type { EventOf } from "@/lib/chain-log";
import { bytes32Label } from "@/lib/event-words";
import { deviceStatusNames, type DeviceStatusName } from "../../../../lib/chain/status.ts";

type RegistryEventName = "AssetRegistered" | "DeviceRegistered" | "FirmwareUpdated" | "DeviceMetadataUpdated" | "DeviceStatusChanged";
/** Only what the derivation reads, so tests can build events by hand. */
export type RegistryEvent = { [name in RegistryEventName]: Pick<EventOf<name>, "eventName" | "args" | "blockNumber"> }[RegistryEventName];

export const registryEventNames = ["AssetRegistered", "DeviceRegistered", "FirmwareUpdated", "DeviceMetadataUpdated", "DeviceStatusChanged"] as const satisfies readonly RegistryEventName[];

export type RegisteredStatus = Exclude<DeviceStatusName, "none">;
export const registeredStatuses = ["active", "suspended", "revoked"] as const satisfies readonly RegisteredStatus[];

export interface AssetRecord {
  id: bigint;
  organisationId: number;
  label: string;
  registeredBlock: bigint;
  deviceCount: number;
}

export interface DeviceRecord {
  account: Address;
  organisationId: number;
  assetId: bigint;
  assetLabel: string;
  firmwareHash: Hex;
  /** How many times the firmware changed after registration. */
  firmwareUpdates: number;
  metadataDigest: Hex;
  status: RegisteredStatus;
  /** The current suspension was made by the Reputation contract (only an ADMIN may lift it). */
  byReputation: boolean;
  registeredBlock: bigint;
  statusChangedBlock: bigint;
}

export interface Registry {
  assets: AssetRecord[];
  devices: DeviceRecord[];
}

function statusName(status: number): RegisteredStatus {
  const name = deviceStatusNames[status];
  if (name === undefined || name === "none") throw new Error(`a registered device cannot have status ${status}`);
  return name;
}

/** Assets in id order and devices in registration order, from events in chain order. */
export function deriveRegistry(events: readonly RegistryEvent[]): Registry {
  const assets = new Map<bigint, AssetRecord>();
  const devices = new Map<string, DeviceRecord>();
  for (const event of events) {
    switch (event.eventName) {
      case "AssetRegistered": {
        const { assetId, organisationId, label } = event.args;
        assets.set(assetId, { id: assetId, organisationId, label: bytes32Label(label), registeredBlock: event.blockNumber, deviceCount: 0 });
        break;
      }
      case "DeviceRegistered": {
        const { deviceAccount, organisationId, assetId, firmwareHash, metadataDigest } = event.args;
        const asset = assets.get(assetId);
        if (asset) asset.deviceCount += 1;
        devices.set(deviceAccount.toLowerCase(), {
          account: deviceAccount,
          organisationId,
          assetId,
          assetLabel: asset?.label ?? `asset ${assetId}`,
          firmwareHash,
          firmwareUpdates: 0,
          metadataDigest,
          status: "active",
          byReputation: false,
          registeredBlock: event.blockNumber,
          statusChangedBlock: event.blockNumber,
        });
        break;
      }
      case "FirmwareUpdated": {
        const device = devices.get(event.args.deviceAccount.toLowerCase());
        if (device) {
          device.firmwareHash = event.args.firmwareHash;
          device.firmwareUpdates += 1;
        }
        break;
      }
      case "DeviceMetadataUpdated": {
        const device = devices.get(event.args.deviceAccount.toLowerCase());
        if (device) device.metadataDigest = event.args.metadataDigest;
        break;
      }
      case "DeviceStatusChanged": {
        const device = devices.get(event.args.deviceAccount.toLowerCase());
        if (device) {
          device.status = statusName(event.args.status);
          device.byReputation = event.args.byReputation;
          device.statusChangedBlock = event.blockNumber;
        }
        break;
      }
    }
  }
  return { assets: [...assets.values()], devices: [...devices.values()] };
}

export interface OrganisationInventory {
  assets: AssetRecord[];
  devices: number;
  byStatus: Record<RegisteredStatus, number>;
}

/** Each organisation's assets and how many of its devices are in each status. */
export function inventoryByOrganisation(registry: Registry): Map<number, OrganisationInventory> {
  const inventories = new Map<number, OrganisationInventory>();
  const inventoryOf = (organisationId: number) => {
    let inventory = inventories.get(organisationId);
    if (!inventory) {
      inventory = { assets: [], devices: 0, byStatus: { active: 0, suspended: 0, revoked: 0 } };
      inventories.set(organisationId, inventory);
    }
    return inventory;
  };
  for (const asset of registry.assets) inventoryOf(asset.organisationId).assets.push(asset);
  for (const device of registry.devices) {
    const inventory = inventoryOf(device.organisationId);
    inventory.devices += 1;
    inventory.byStatus[device.status] += 1;
  }
  return inventories;
}

export const deviceStatusBadge: Record<RegisteredStatus, string> = {
  active: "badge badge-ok",
  suspended: "badge badge-warn",
  revoked: "badge badge-bad",
};
