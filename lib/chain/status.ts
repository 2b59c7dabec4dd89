/**
 * The contracts' enums as the ABI returns them (uint8), mirroring IModelRegistry.RoundStatus,
 * ModelRegistry.VersionStatus, ValidationPolicy.Verdict, IDeviceRegistry.DeviceStatus and
 * ConsortiumRegistry.OrganisationStatus.
 */
export const RoundStatus = { None: 0, Open: 1, Committed: 2, Proposed: 3, Deployed: 4, Rejected: 5, Voided: 6, Expired: 7 } as const;
export const roundStatusName = ["none", "open", "committed", "proposed", "deployed", "rejected", "voided", "expired"] as const;
export type RoundStatusName = (typeof roundStatusName)[number];

/** A round still on its way to a decision: open for updates, committed, or with a proposal awaiting attestations. */
export function isRoundInProgress(status: number): boolean {
  return status === RoundStatus.Open || status === RoundStatus.Committed || status === RoundStatus.Proposed;
}

export const VersionStatus = { None: 0, Proposed: 1, Validated: 2, Rejected: 3 } as const;

export const verdictName = ["accepted", "threshold not met", "improvement too small", "too few participants"] as const;

export const DeviceStatus = { None: 0, Active: 1, Suspended: 2, Revoked: 3 } as const;
export const deviceStatusNames = ["none", "active", "suspended", "revoked"] as const;
export type DeviceStatusName = (typeof deviceStatusNames)[number];

export function deviceStatusName(status: number): DeviceStatusName {
  const name = deviceStatusNames[status];
  if (name === undefined) throw new Error(`unknown device status ${status}`);
  return name;
}

export const organisationStatusNames = ["none", "pending", "active", "suspended", "removed"] as const;
