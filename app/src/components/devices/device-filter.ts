/** Which devices the list shows: by organisation, by status, and a free-text search. */
import type { DeviceRecord, RegisteredStatus } from "./device-model";

export interface DeviceFilter {
  /** An organisation id, or undefined for all. */
  organisationId?: number;
  /** A status, or undefined for all. */
  status?: RegisteredStatus;
  /** Matched, case-insensitively, against the device address, its asset's label and its organisation's name. */
  query: string;
}

export function matchesDevice(device: DeviceRecord, filter: DeviceFilter, organisationName: (id: number) => string | undefined): boolean {
  if (filter.organisationId !== undefined && device.organisationId !== filter.organisationId) return false;
  if (filter.status !== undefined && device.status !== filter.status) return false;
  const query = filter.query.trim().toLowerCase();
  if (query === "") return true;
  const haystacks = [device.account.toLowerCase(), device.assetLabel.toLowerCase(), (organisationName(device.organisationId) ?? "").toLowerCase()];
  return haystacks.some((text) => text.includes(query));
}

export function filterDevices(devices: readonly DeviceRecord[], filter: DeviceFilter, organisationName: (id: number) => string | undefined): DeviceRecord[] {
  return devices.filter((device) => matchesDevice(device, filter, organisationName));
}
