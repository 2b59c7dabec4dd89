/**
 * The consortium's organisations as the ConsortiumRegistry's events tell them: who applied, under which admin
 * account, and every change of membership since. Pure, so it is tested without a chain.
 */
import type { Address } from "viem";
import type { EventOf } from "@/lib/chain-log";
import type { organisationStatusNames } from "../../../../lib/chain/status.ts";

export type OrganisationStatusName = Exclude<(typeof organisationStatusNames)[number], "none">;

type MembershipEventName = "MembershipRequested" | "OrganisationApproved" | "OrganisationSuspended" | "OrganisationReinstated" | "OrganisationRemoved" | "OrganisationMetadataUpdated";
/** Only what the derivation reads, so tests can build events by hand. */
export type MembershipEvent = { [name in MembershipEventName]: Pick<EventOf<name>, "eventName" | "args" | "blockNumber"> }[MembershipEventName];

export interface OrganisationRecord {
  id: number;
  name: string;
  admin: Address;
  status: OrganisationStatusName;
  metadataCid: string;
  requestedBlock: bigint;
  /** The block of the (last) approval; undefined while pending or if never approved. */
  approvedBlock?: bigint;
  /** The block of the last membership change. */
  changedBlock: bigint;
}

export const membershipEventNames = [
  "MembershipRequested",
  "OrganisationApproved",
  "OrganisationSuspended",
  "OrganisationReinstated",
  "OrganisationRemoved",
  "OrganisationMetadataUpdated",
] as const satisfies readonly MembershipEventName[];

/** Organisations by id, in id order, from events in chain order. */
export function deriveOrganisations(events: readonly MembershipEvent[]): OrganisationRecord[] {
  const byId = new Map<number, OrganisationRecord>();
  for (const event of events) {
    if (event.eventName === "MembershipRequested") {
      const { organisationId, admin, name, metadataCid } = event.args;
      byId.set(organisationId, { id: organisationId, name, admin, status: "pending", metadataCid, requestedBlock: event.blockNumber, changedBlock: event.blockNumber });
      continue;
    }
    const record = byId.get(event.args.organisationId);
    // A change to an organisation whose request the log does not hold cannot happen on a consistent chain.
    if (!record) continue;
    switch (event.eventName) {
      case "OrganisationApproved":
        record.status = "active";
        record.approvedBlock = event.blockNumber;
        record.changedBlock = event.blockNumber;
        break;
      case "OrganisationSuspended":
        record.status = "suspended";
        record.changedBlock = event.blockNumber;
        break;
      case "OrganisationReinstated":
        record.status = "active";
        record.changedBlock = event.blockNumber;
        break;
      case "OrganisationRemoved":
        record.status = "removed";
        record.changedBlock = event.blockNumber;
        break;
      case "OrganisationMetadataUpdated":
        record.metadataCid = event.args.metadataCid;
        break;
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * The organisation `account` administers, as ConsortiumRegistry.organisationOf answers it: removal frees the
 * admin account, any other status keeps it bound.
 */
export function organisationOfAccount(organisations: readonly OrganisationRecord[], account: Address | undefined): OrganisationRecord | undefined {
  if (!account) return undefined;
  const wanted = account.toLowerCase();
  return organisations.find((organisation) => organisation.status !== "removed" && organisation.admin.toLowerCase() === wanted);
}

export type OrganisationAction = "approve" | "suspend" | "reinstate" | "remove";

/** The membership changes the contract accepts from an organisation's current status. */
export function actionsForStatus(status: OrganisationStatusName): OrganisationAction[] {
  switch (status) {
    case "pending": return ["approve", "remove"];
    case "active": return ["suspend", "remove"];
    case "suspended": return ["reinstate", "remove"];
    case "removed": return [];
  }
}

export const actionFunction = {
  approve: "approveOrganisation",
  suspend: "suspendOrganisation",
  reinstate: "reinstateOrganisation",
  remove: "removeOrganisation",
} as const satisfies Record<OrganisationAction, string>;

export const actionVerb: Record<OrganisationAction, string> = { approve: "Approve", suspend: "Suspend", reinstate: "Reinstate", remove: "Remove" };

export const statusBadge: Record<OrganisationStatusName, string> = {
  pending: "badge badge-warn",
  active: "badge badge-ok",
  suspended: "badge badge-bad",
  removed: "badge",
};
