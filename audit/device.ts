/**
 * The audit of one device: its registration, firmware history, status changes and reputation over time, rebuilt
 * from events alone, and the rebuilt state checked against what the registry holds now (a history that does not
 * add up to the current state means the events are not the whole story).
 */
import { getAddress, isAddress, pad, type Address } from "viem";
import { deviceRegistryAbi, reputationAbi } from "../lib/chain/abis.generated.ts";
import { deviceStatusNames } from "../lib/chain/status.ts";
import { deviceStateAt } from "../lib/provenance/history.ts";
import { readDeviceHistory } from "../lib/provenance/chain.ts";
import type { AuditCheck, EvidenceValue, SubjectReport } from "./report.ts";
import { readLogsCached, type AuditSources } from "./sources.ts";

const pass = (name: string, evidence: Record<string, EvidenceValue>, note?: string): AuditCheck => ({ name, ok: true, ...(note ? { reason: note } : {}), evidence });
const fail = (name: string, reason: string, evidence: Record<string, EvidenceValue>): AuditCheck => ({ name, ok: false, reason, evidence });
const statusName = (status: number) => deviceStatusNames[status] ?? `status ${status}`;

/** Reputation.Subject.Device. */
const SUBJECT_DEVICE = 0;

export async function auditDevice(sources: AuditSources, address: string): Promise<SubjectReport> {
  if (!isAddress(address)) return { kind: "device", id: address, ok: false, checks: [fail("registration", `${address} is not an address`, {})] };
  const device: Address = getAddress(address);
  const head = await sources.head();
  const { reader, addresses } = sources;
  const [history, scores] = await Promise.all([
    readLogsCached(sources, `${addresses.DeviceRegistry}:device:${device.toLowerCase()}`, (fromBlock, toBlock) => readDeviceHistory(reader, addresses.DeviceRegistry, device, toBlock, fromBlock)),
    readLogsCached(sources, `${addresses.Reputation}:score:${device.toLowerCase()}`, (fromBlock, toBlock) =>
      reader.read({ address: addresses.Reputation, abi: reputationAbi, eventName: "ScoreChanged", args: { subject: SUBJECT_DEVICE, subjectId: pad(device, { size: 32 }) }, fromBlock, toBlock }),
    ),
  ]);
  const checks: AuditCheck[] = [];
  const state = deviceStateAt(device, history, { blockNumber: head });

  const registration = history.find((log) => log.eventName === "DeviceRegistered");
  if (!registration || registration.eventName !== "DeviceRegistered") {
    checks.push(fail("registration", `${device} was never registered on DeviceRegistry ${addresses.DeviceRegistry}`, { device }));
    return { kind: "device", id: device, ok: false, checks };
  }
  checks.push(
    pass("registration", {
      device,
      organisationId: registration.args.organisationId,
      assetId: registration.args.assetId.toString(),
      firmwareHash: registration.args.firmwareHash,
      metadataDigest: registration.args.metadataDigest,
      block: Number(registration.blockNumber),
      transactionHash: registration.transactionHash,
    }),
  );

  const firmware = history.filter((log) => log.eventName === "FirmwareUpdated");
  const firmwareIssues = state.inconsistencies.filter((line) => line.includes("firmware"));
  const firmwareEvidence: Record<string, EvidenceValue> = {
    updates: firmware.length,
    history: firmware.map((log) => (log.eventName === "FirmwareUpdated" ? `block ${log.blockNumber}: ${log.args.previousFirmwareHash} → ${log.args.firmwareHash}` : "")).join("; ") || "none",
    current: state.firmwareHash,
  };
  checks.push(firmwareIssues.length ? fail("firmware-history", firmwareIssues.join("; "), firmwareEvidence) : pass("firmware-history", firmwareEvidence));

  const statusChanges = history.filter((log) => log.eventName === "DeviceStatusChanged");
  const statusIssues = state.inconsistencies.filter((line) => line.includes("status") || line.includes("registered again"));
  const statusEvidence: Record<string, EvidenceValue> = {
    changes: statusChanges.length,
    history:
      statusChanges
        .map((log) => (log.eventName === "DeviceStatusChanged" ? `block ${log.blockNumber}: ${statusName(log.args.previousStatus)} → ${statusName(log.args.status)}${log.args.byReputation ? " (reputation)" : ""}` : ""))
        .join("; ") || "none",
    current: state.statusName,
  };
  checks.push(statusIssues.length ? fail("status-history", statusIssues.join("; "), statusEvidence) : pass("status-history", statusEvidence));

  // Reputation: each change starts from the score the last one left (the first from the start score then in force).
  sources.counters.rpcCalls++;
  const scoreNow = await sources.client.readContract({ address: addresses.Reputation, abi: reputationAbi, functionName: "deviceScore", args: [device], blockNumber: head });
  const reputationIssues: string[] = [];
  scores.forEach((log, i) => {
    const previous = scores[i - 1];
    if (previous && log.args.previous !== previous.args.score) reputationIssues.push(`round ${log.args.roundId} starts from ${log.args.previous}, the last change left ${previous.args.score}`);
  });
  const last = scores[scores.length - 1];
  if (last && last.args.score !== scoreNow) reputationIssues.push(`the last change left ${last.args.score}, Reputation.deviceScore says ${scoreNow}`);
  const reputationEvidence: Record<string, EvidenceValue> = {
    changes: scores.length,
    history: scores.map((log) => `round ${log.args.roundId} (block ${log.blockNumber}): ${log.args.previous} → ${log.args.score} (reason ${log.args.reason})`).join("; ") || "none",
    current: scoreNow,
  };
  checks.push(reputationIssues.length ? fail("reputation", reputationIssues.join("; "), reputationEvidence) : pass("reputation", reputationEvidence));

  // The registry now must be exactly what the events add up to.
  sources.counters.rpcCalls++;
  const stored = await sources.client.readContract({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, functionName: "device", args: [device], blockNumber: head });
  const differences: string[] = [];
  if (stored.status !== state.status) differences.push(`status ${statusName(stored.status)}, events say ${state.statusName}`);
  if (stored.firmwareHash.toLowerCase() !== (state.firmwareHash ?? "").toLowerCase()) differences.push(`firmware ${stored.firmwareHash}, events say ${state.firmwareHash}`);
  if (stored.metadataDigest.toLowerCase() !== (state.metadataDigest ?? "").toLowerCase()) differences.push(`metadata ${stored.metadataDigest}, events say ${state.metadataDigest}`);
  if (stored.organisationId !== state.organisationId) differences.push(`organisation ${stored.organisationId}, events say ${state.organisationId}`);
  if (stored.assetId !== state.assetId) differences.push(`asset ${stored.assetId}, events say ${state.assetId}`);
  if (BigInt(stored.registeredAt) !== registration.blockNumber) differences.push(`registered at block ${stored.registeredAt}, the event is in block ${registration.blockNumber}`);
  if (state.statusSince && BigInt(stored.statusChangedAt) !== state.statusSince.blockNumber) differences.push(`status changed at block ${stored.statusChangedAt}, the last event is in block ${state.statusSince.blockNumber}`);
  const stateEvidence: Record<string, EvidenceValue> = { status: statusName(stored.status), firmwareHash: stored.firmwareHash, statusChangedAt: stored.statusChangedAt, reputationHold: stored.reputationHold, atBlock: Number(head) };
  checks.push(differences.length ? fail("current-state", `the registry's record differs from its events: ${differences.join("; ")}`, stateEvidence) : pass("current-state", stateEvidence));

  return { kind: "device", id: device, ok: checks.every((check) => check.ok), checks };
}
