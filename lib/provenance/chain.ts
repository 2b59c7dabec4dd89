/**
 * The I/O side of provenance: reading public chain data (event logs through the paginated reader, a few views)
 * and the window document from IPFS. Everything here is reusable by the auditor; the judgement lives in
 * checks.ts and history.ts.
 */
import type { Address, Chain, Hex, PublicClient, Transport } from "viem";
import { accessManagerAbi, deviceRegistryAbi, provenanceAnchorAbi } from "../chain/abis.generated.ts";
import type { LogPosition, LogReader } from "../chain/logs.ts";
import type { ContentStore } from "../ipfs/store.ts";
import { decodeWindowDocument, type WindowDocument } from "../telemetry/document.ts";
import type { AnchoredHeader } from "./checks.ts";
import { deviceHistoryEvents, deviceStateAt, roleEvents, roleMembershipAt, type DeviceHistoryLog, type DeviceStateAt, type LogPlace, type RoleLog, type RoleMembershipAt } from "./history.ts";

export type ProvenanceClient = PublicClient<Transport, Chain>;

/** A WindowAnchored event: the header, its gateway and where it was logged. */
export interface WindowAnchor extends LogPlace {
  windowId: bigint;
  gateway: Address;
  header: AnchoredHeader;
}

export interface BlockRange {
  /** First block to search (e.g. the deployment block); default 0. */
  fromBlock?: bigint;
  /** Last block to search; default the head. */
  toBlock?: bigint;
}

/** The WindowAnchored event of `windowId` (filtered by its indexed id), or null when there is none in the range. */
export async function findWindowAnchor(reader: LogReader, provenanceAnchor: Address, windowId: bigint, range: BlockRange = {}): Promise<WindowAnchor | null> {
  const logs = await reader.read({
    address: provenanceAnchor,
    abi: provenanceAnchorAbi,
    eventName: "WindowAnchored",
    args: { windowId },
    fromBlock: range.fromBlock ?? 0n,
    toBlock: range.toBlock ?? "latest",
    limit: 1,
  });
  const log = logs.find((candidate) => candidate.args.windowId === windowId);
  if (!log) return null;
  const { deviceAccount, gateway, root, startTime, endTime, readingCount, dataCid } = log.args;
  return {
    windowId,
    gateway,
    header: { deviceAccount, startTime, endTime, readingCount, root, dataCid },
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
  };
}

/** The device's DeviceRegistry events in [fromBlock, at.blockNumber] (one query: the four events share the device topic). */
export async function readDeviceHistory(reader: LogReader, deviceRegistry: Address, device: Address, toBlock: bigint, fromBlock = 0n): Promise<DeviceHistoryLog[]> {
  const logs = await reader.read({
    address: deviceRegistry,
    abi: deviceRegistryAbi,
    eventName: deviceHistoryEvents,
    args: { deviceAccount: device },
    fromBlock,
    toBlock,
  });
  return logs;
}

/** The device's registration, status and firmware just before `at`, from DeviceRegistry's logs. */
export async function readDeviceStateAt(reader: LogReader, deviceRegistry: Address, device: Address, at: LogPosition, fromBlock = 0n): Promise<DeviceStateAt> {
  return deviceStateAt(device, await readDeviceHistory(reader, deviceRegistry, device, at.blockNumber, fromBlock), at);
}

/** RoleGranted / RoleRevoked of `roleId` (and `account`, when given) in [fromBlock, toBlock]. */
export async function readRoleHistory(reader: LogReader, accessManager: Address, roleId: bigint, toBlock: bigint, options: { account?: Address; fromBlock?: bigint } = {}): Promise<RoleLog[]> {
  const logs = await reader.read({
    address: accessManager,
    abi: accessManagerAbi,
    eventName: roleEvents,
    args: options.account === undefined ? { roleId } : { roleId, account: options.account },
    fromBlock: options.fromBlock ?? 0n,
    toBlock,
  });
  return logs;
}

/** The block's timestamp (one eth_getBlockByNumber). */
export async function blockTimestamp(client: ProvenanceClient, blockNumber: bigint): Promise<bigint> {
  return (await client.getBlock({ blockNumber })).timestamp;
}

/**
 * Whether `account` held `roleId` just before `at`, from the AccessManager's logs. `timestamp` is the block
 * timestamp of `at` (grants count from their `since`); pass it when known, else it is read (one more request).
 */
export async function readRoleMembershipAt(
  reader: LogReader,
  client: ProvenanceClient,
  accessManager: Address,
  roleId: bigint,
  account: Address,
  at: LogPosition,
  options: { timestamp?: bigint; fromBlock?: bigint } = {},
): Promise<RoleMembershipAt> {
  const logs = await readRoleHistory(reader, accessManager, roleId, at.blockNumber, { account, fromBlock: options.fromBlock });
  const timestamp = options.timestamp ?? (await blockTimestamp(client, at.blockNumber));
  return roleMembershipAt(roleId, account, logs, at, timestamp);
}

export type DocumentFetch = { ok: true; document: WindowDocument; bytes: number } | { ok: false; code: "document-unavailable" | "document-malformed"; reason: string };

/** Reads and decodes a window document; a failure is a value with its reason, not an exception. */
export async function fetchWindowDocument(store: Pick<ContentStore, "cat">, cid: string, options: { timeoutMs?: number } = {}): Promise<DocumentFetch> {
  let bytes: Uint8Array;
  try {
    bytes = await store.cat(cid, undefined, { timeoutMs: options.timeoutMs });
  } catch (error) {
    return { ok: false, code: "document-unavailable", reason: `the window document ${cid} could not be read from IPFS: ${(error as Error).message.split("\n")[0]}` };
  }
  try {
    return { ok: true, document: decodeWindowDocument(bytes), bytes: bytes.length };
  } catch (error) {
    return { ok: false, code: "document-malformed", reason: `the content at ${cid} is not a window document: ${(error as Error).message}` };
  }
}

/** ProvenanceAnchor.windowDigest (the stored digest never changes once written, so the head state is enough). */
export async function readWindowDigest(client: ProvenanceClient, provenanceAnchor: Address, windowId: bigint): Promise<Hex> {
  return client.readContract({ address: provenanceAnchor, abi: provenanceAnchorAbi, functionName: "windowDigest", args: [windowId] });
}

/** ProvenanceAnchor.verifyReading: the contract's own verdict on leaf and proof for the anchored header and gateway. */
export async function verifyReadingOnChain(client: ProvenanceClient, provenanceAnchor: Address, anchor: WindowAnchor, leaf: Hex, proof: readonly Hex[]): Promise<boolean> {
  return client.readContract({
    address: provenanceAnchor,
    abi: provenanceAnchorAbi,
    functionName: "verifyReading",
    args: [anchor.windowId, anchor.header, anchor.gateway, leaf, proof],
  });
}
