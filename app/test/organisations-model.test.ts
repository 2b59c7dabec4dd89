import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { actionsForStatus, deriveOrganisations, organisationOfAccount, type MembershipEvent } from "@/components/organisations/organisation-model";

const northwind: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const delta: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const late: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

const events: MembershipEvent[] = [
  { eventName: "MembershipRequested", blockNumber: 5n, args: { organisationId: 1, admin: northwind, name: "Northwind Aero", metadataCid: "QmA" } },
  { eventName: "OrganisationApproved", blockNumber: 5n, args: { organisationId: 1, admin: northwind } },
  { eventName: "MembershipRequested", blockNumber: 6n, args: { organisationId: 2, admin: delta, name: "Delta Pumps", metadataCid: "QmB" } },
  { eventName: "OrganisationApproved", blockNumber: 7n, args: { organisationId: 2, admin: delta } },
  { eventName: "OrganisationSuspended", blockNumber: 8n, args: { organisationId: 2 } },
  { eventName: "MembershipRequested", blockNumber: 9n, args: { organisationId: 3, admin: late, name: "Late Ltd", metadataCid: "QmC" } },
  { eventName: "OrganisationSuspended", blockNumber: 10n, args: { organisationId: 1 } },
  { eventName: "OrganisationReinstated", blockNumber: 11n, args: { organisationId: 1 } },
  { eventName: "OrganisationMetadataUpdated", blockNumber: 12n, args: { organisationId: 1, metadataCid: "QmA2" } },
];

describe("deriveOrganisations", () => {
  it("follows each organisation through pending, active, suspended and back", () => {
    const organisations = deriveOrganisations(events);
    expect(organisations.map((o) => [o.id, o.name, o.status])).toEqual([[1, "Northwind Aero", "active"], [2, "Delta Pumps", "suspended"], [3, "Late Ltd", "pending"]]);
    expect(organisations[0]).toMatchObject({ metadataCid: "QmA2", approvedBlock: 5n, changedBlock: 11n });
    expect(organisations[2]?.approvedBlock).toBeUndefined();
  });

  it("marks removal, which frees the admin account", () => {
    const organisations = deriveOrganisations([...events, { eventName: "OrganisationRemoved", blockNumber: 13n, args: { organisationId: 2 } }]);
    expect(organisations[1]?.status).toBe("removed");
    expect(organisationOfAccount(organisations, delta)).toBeUndefined();
    expect(organisationOfAccount(organisations, northwind.toLowerCase() as Address)?.name).toBe("Northwind Aero");
    expect(organisationOfAccount(organisations, undefined)).toBeUndefined();
  });
});

describe("actionsForStatus", () => {
  it("offers only the transitions the registry accepts", () => {
    expect(actionsForStatus("pending")).toEqual(["approve", "remove"]);
    expect(actionsForStatus("active")).toEqual(["suspend", "remove"]);
    expect(actionsForStatus("suspended")).toEqual(["reinstate", "remove"]);
    expect(actionsForStatus("removed")).toEqual([]);
  });
});
