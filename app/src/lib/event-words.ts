/** One chain event as a line a person reads in the live feed. */
import type { Hex } from "viem";
import { bytes32ToLabel } from "../../../lib/chain/labels.ts";
import { deviceStatusNames, verdictName } from "../../../lib/chain/status.ts";
import type { SuiteEvent } from "./chain-log";

const short = (value: string) => (value.length > 14 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value);

export function bytes32Label(value: Hex): string {
  return bytes32ToLabel(value) ?? short(value);
}

export function describeEvent(event: SuiteEvent): string {
  switch (event.eventName) {
    case "MembershipRequested": return `${event.args.name} applied to join (organisation ${event.args.organisationId})`;
    case "OrganisationApproved": return `Organisation ${event.args.organisationId} approved`;
    case "OrganisationSuspended": return `Organisation ${event.args.organisationId} suspended`;
    case "OrganisationReinstated": return `Organisation ${event.args.organisationId} reinstated`;
    case "OrganisationRemoved": return `Organisation ${event.args.organisationId} removed`;
    case "AssetRegistered": return `Asset ${event.args.assetId} "${bytes32Label(event.args.label)}" registered by organisation ${event.args.organisationId}`;
    case "DeviceRegistered": return `Device ${short(event.args.deviceAccount)} registered on asset ${event.args.assetId}`;
    case "FirmwareUpdated": return `Device ${short(event.args.deviceAccount)} firmware updated`;
    case "DeviceStatusChanged": return `Device ${short(event.args.deviceAccount)} is now ${deviceStatusNames[event.args.status] ?? event.args.status}${event.args.byReputation ? " (reputation)" : ""}`;
    case "TaskCreated": return `Task "${event.args.name}" created (genesis v${event.args.genesisVersion})`;
    case "PolicyUpdated": return `Validation policy of task ${short(event.args.taskId)} updated`;
    case "RoundOpened": return `Round ${event.args.roundId} opened on v${event.args.baseVersion}`;
    case "ParticipationRecorded": return `Round ${event.args.roundId}: ${event.args.participantCount} updates committed`;
    case "RoundVoided": return `Round ${event.args.roundId} voided`;
    case "RoundExpiredRecorded": return `Round ${event.args.roundId} expired`;
    case "UpdatesCommitted": return `Round ${event.args.roundId}: oracle ${short(event.args.oracle)} committed ${event.args.count} updates`;
    case "VersionProposed": return `Version ${event.args.versionId} proposed for round ${event.args.roundId}`;
    case "Attested": return `Oracle ${short(event.args.oracle)} attested version ${event.args.versionId} (${event.args.attestations} so far)`;
    case "DissentRecorded": return `Oracle ${short(event.args.oracle)} dissented on version ${event.args.versionId}`;
    case "VersionValidated": return `Version ${event.args.versionId} validated`;
    case "VersionDeployed": return `Version ${event.args.versionId} deployed (replacing v${event.args.previousVersion})`;
    case "VersionRejected": return `Version ${event.args.versionId} rejected: ${verdictName[event.args.verdict] ?? event.args.verdict}`;
    case "ScoreChanged": return `${event.args.subject === 0 ? "Device" : "Organisation"} ${short(event.args.subjectId)} reputation ${event.args.previous} → ${event.args.score} (round ${event.args.roundId})`;
    case "RoundScored": return `Round ${event.args.roundId} scored: ${event.args.changes} reputation changes`;
    case "KeyPublished": return `Encryption key ${event.args.keyId} published`;
    case "AggregateDecrypted": return `Round ${event.args.roundId}'s aggregate decrypted with key ${event.args.keyId}`;
    case "RoleGranted": return `Role ${event.args.roleId} granted to ${short(event.args.account)}`;
    case "RoleRevoked": return `Role ${event.args.roleId} revoked from ${short(event.args.account)}`;
    default: return event.eventName.replace(/([a-z])([A-Z])/g, "$1 $2");
  }
}
