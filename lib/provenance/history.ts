/**
 * Point-in-time state rebuilt from event logs alone (no archive-state reads): a device's registration, status,
 * firmware and metadata from DeviceRegistry's events, and an account's role membership from the AccessManager's
 * RoleGranted / RoleRevoked. The functions here are pure folds over logs already read (see history-reader in
 * chain.ts for the queries); positions follow `LogPosition`: "before log i of block b", or "after block b".
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { isBefore, type LogPosition } from "../chain/logs.ts";
import { DeviceStatus, deviceStatusNames, type DeviceStatusName } from "../chain/status.ts";

/** Where a log sits. */
export interface LogPlace {
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
}


/** DeviceRegistry's device events, decoded (what `parseEventLogs` gives for deviceRegistryAbi). */
export type DeviceHistoryLog = LogPlace &
  (
    | { eventName: "DeviceRegistered"; args: { deviceAccount: Address; organisationId: number; assetId: bigint; firmwareHash: Hex; metadataDigest: Hex } }
    | { eventName: "FirmwareUpdated"; args: { deviceAccount: Address; previousFirmwareHash: Hex; firmwareHash: Hex } }
    | { eventName: "DeviceMetadataUpdated"; args: { deviceAccount: Address; metadataDigest: Hex } }
    | { eventName: "DeviceStatusChanged"; args: { deviceAccount: Address; previousStatus: number; status: number; byReputation: boolean } }
  );

export const deviceHistoryEvents = ["DeviceRegistered", "FirmwareUpdated", "DeviceMetadataUpdated", "DeviceStatusChanged"] as const;

export interface DeviceStateAt {
  device: Address;
  at: LogPosition;
  registered: boolean;
  /** DeviceStatus (0 none, 1 active, 2 suspended, 3 revoked). */
  status: number;
  statusName: DeviceStatusName;
  active: boolean;
  organisationId: number | null;
  assetId: bigint | null;
  /** The firmware hash in force at `at` (null when unregistered). */
  firmwareHash: Hex | null;
  metadataDigest: Hex | null;
  registeredAt: LogPlace | null;
  /** The log that set the current status (the registration, or the last status change). */
  statusSince: LogPlace | null;
  /** The log that set the current firmware hash. */
  firmwareSince: LogPlace | null;
  suspendedByReputation: boolean;
  /** Logs that contradict the history before them (a `previous` value that is not the running state); empty on a sound chain. */
  inconsistencies: string[];
}

const place = ({ blockNumber, logIndex, transactionHash }: LogPlace): LogPlace => ({ blockNumber, logIndex, transactionHash });
const where = (log: LogPlace) => `block ${log.blockNumber} log ${log.logIndex}`;

function statusName(status: number): DeviceStatusName {
  return deviceStatusNames[status] ?? "none";
}

/** Folds the device's events (any order; others' events are ignored) up to, not including, position `at`. */
export function deviceStateAt(device: Address, logs: readonly DeviceHistoryLog[], at: LogPosition): DeviceStateAt {
  const state: DeviceStateAt = {
    device,
    at,
    registered: false,
    status: DeviceStatus.None,
    statusName: "none",
    active: false,
    organisationId: null,
    assetId: null,
    firmwareHash: null,
    metadataDigest: null,
    registeredAt: null,
    statusSince: null,
    firmwareSince: null,
    suspendedByReputation: false,
    inconsistencies: [],
  };
  const ordered = logs
    .filter((log) => isAddressEqual(log.args.deviceAccount, device) && isBefore(log, at))
    .sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  for (const log of ordered) {
    switch (log.eventName) {
      case "DeviceRegistered":
        if (state.registered) state.inconsistencies.push(`${where(log)}: registered again`);
        state.registered = true;
        state.status = DeviceStatus.Active;
        state.organisationId = log.args.organisationId;
        state.assetId = log.args.assetId;
        state.firmwareHash = log.args.firmwareHash;
        state.metadataDigest = log.args.metadataDigest;
        state.registeredAt = state.statusSince = state.firmwareSince = place(log);
        state.suspendedByReputation = false;
        break;
      case "FirmwareUpdated":
        if (!state.registered) state.inconsistencies.push(`${where(log)}: firmware updated before registration`);
        else if (state.firmwareHash?.toLowerCase() !== log.args.previousFirmwareHash.toLowerCase()) {
          state.inconsistencies.push(`${where(log)}: previous firmware ${log.args.previousFirmwareHash} is not the recorded ${String(state.firmwareHash)}`);
        }
        state.firmwareHash = log.args.firmwareHash;
        state.firmwareSince = place(log);
        break;
      case "DeviceMetadataUpdated":
        if (!state.registered) state.inconsistencies.push(`${where(log)}: metadata updated before registration`);
        state.metadataDigest = log.args.metadataDigest;
        break;
      case "DeviceStatusChanged":
        if (log.args.previousStatus !== state.status) {
          state.inconsistencies.push(`${where(log)}: previous status ${statusName(log.args.previousStatus)} is not the recorded ${statusName(state.status)}`);
        }
        state.status = log.args.status;
        state.statusSince = place(log);
        state.suspendedByReputation = log.args.status === DeviceStatus.Suspended && log.args.byReputation;
        break;
    }
  }
  state.statusName = statusName(state.status);
  state.active = state.status === DeviceStatus.Active;
  return state;
}

/** The AccessManager's membership events, decoded (what `parseEventLogs` gives for accessManagerAbi). */
export type RoleLog = LogPlace &
  (
    | { eventName: "RoleGranted"; args: { roleId: bigint; account: Address; delay: number; since: number; newMember: boolean } }
    | { eventName: "RoleRevoked"; args: { roleId: bigint; account: Address } }
  );

export const roleEvents = ["RoleGranted", "RoleRevoked"] as const;

export interface RoleMembershipAt {
  roleId: bigint;
  account: Address;
  at: LogPosition;
  /** The block timestamp at `at` (a grant counts from its `since` timestamp, as AccessManager.hasRole does). */
  timestamp: bigint;
  /** AccessManager.hasRole's isMember at that point. */
  member: boolean;
  /** Granted, but the grant delay has not yet passed. */
  pending: boolean;
  /** When the membership took (or takes) effect, as a Unix timestamp; null when not granted. */
  since: bigint | null;
  /** The grant in force (null when not granted at `at`). */
  grantedAt: LogPlace | null;
  /** The last revocation before `at`, if any. */
  revokedAt: LogPlace | null;
  /** The execution delay in force at `timestamp` (seconds); nonzero means calls must be scheduled. */
  executionDelay: number;
}

interface Grant {
  since: bigint;
  grantedAt: LogPlace;
  delay: number;
  /** A changed execution delay and when it takes effect (a decrease waits out the difference). */
  nextDelay: number;
  delayEffect: bigint;
}

/**
 * Everyone's membership of `roleId` just before `at` (block timestamp `timestamp`), keyed by lower-case address.
 * Accounts that held the role once and lost it appear with member: false.
 */
export function roleMembersAt(roleId: bigint, logs: readonly RoleLog[], at: LogPosition, timestamp: bigint): Map<string, RoleMembershipAt> {
  const grants = new Map<string, Grant | null>();
  const accounts = new Map<string, Address>();
  const revoked = new Map<string, LogPlace>();
  const ordered = logs
    .filter((log) => log.args.roleId === roleId && isBefore(log, at))
    .sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  for (const log of ordered) {
    const key = log.args.account.toLowerCase();
    accounts.set(key, log.args.account);
    if (log.eventName === "RoleRevoked") {
      grants.set(key, null);
      revoked.set(key, place(log));
      continue;
    }
    const current = grants.get(key);
    if (log.args.newMember || !current) {
      const since = BigInt(log.args.since);
      grants.set(key, { since, grantedAt: place(log), delay: log.args.delay, nextDelay: log.args.delay, delayEffect: since });
    } else {
      // An existing member's execution delay changes at `since`; the delay before it is whichever was in force then.
      const effectiveBefore = BigInt(log.args.since) >= current.delayEffect ? current.nextDelay : current.delay;
      current.delay = effectiveBefore;
      current.nextDelay = log.args.delay;
      current.delayEffect = BigInt(log.args.since);
    }
  }
  const result = new Map<string, RoleMembershipAt>();
  for (const [key, account] of accounts) {
    const grant = grants.get(key) ?? null;
    const member = grant !== null && grant.since <= timestamp;
    result.set(key, {
      roleId,
      account,
      at,
      timestamp,
      member,
      pending: grant !== null && !member,
      since: grant?.since ?? null,
      grantedAt: grant?.grantedAt ?? null,
      revokedAt: revoked.get(key) ?? null,
      executionDelay: grant === null ? 0 : timestamp >= grant.delayEffect ? grant.nextDelay : grant.delay,
    });
  }
  return result;
}

/** One account's membership of `roleId` just before `at` (block timestamp `timestamp`). */
export function roleMembershipAt(roleId: bigint, account: Address, logs: readonly RoleLog[], at: LogPosition, timestamp: bigint): RoleMembershipAt {
  return (
    roleMembersAt(roleId, logs, at, timestamp).get(account.toLowerCase()) ?? {
      roleId,
      account,
      at,
      timestamp,
      member: false,
      pending: false,
      since: null,
      grantedAt: null,
      revokedAt: null,
      executionDelay: 0,
    }
  );
}
