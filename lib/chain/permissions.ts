import type { RoleName } from "./roles.ts";

/** The twinledger contracts governed by the AccessManager. */
export const managedContracts = [
  "ConsortiumRegistry",
  "DeviceRegistry",
  "ModelRegistry",
  "UpdateLedger",
  "Reputation",
  "ProvenanceAnchor",
  "DataSharingLedger",
  "EncryptionKeyRegistry",
] as const;

export type ManagedContractName = (typeof managedContracts)[number];

/**
 * Which role may call each restricted function. The Ignition module wires exactly this table into the
 * AccessManager, and the tests check it against every contract's ABI: a restricted function missing here
 * would fall back to ADMIN-only, so the tests fail on any omission.
 */
export const permissions: Record<ManagedContractName, Record<string, RoleName>> = {
  ConsortiumRegistry: {
    requestMembership: "PUBLIC",
    approveOrganisation: "ADMIN",
    registerOrganisation: "ADMIN",
    suspendOrganisation: "ADMIN",
    reinstateOrganisation: "ADMIN",
    removeOrganisation: "ADMIN",
    enrolGovernanceAccount: "ADMIN",
    updateOrganisationMetadata: "MEMBER",
  },
  DeviceRegistry: {
    registerAsset: "MEMBER",
    registerDevice: "MEMBER",
    updateFirmware: "MEMBER",
    updateDeviceMetadata: "MEMBER",
    suspendDevice: "MEMBER",
    reactivateDevice: "MEMBER",
    revokeDevice: "MEMBER",
    recordReputationScores: "REPUTATION",
    suspendForReputation: "REPUTATION",
  },
  ModelRegistry: {
    createTask: "ADMIN",
    setPolicy: "ADMIN",
    openRound: "ROUND_OPENER",
    recordCommitment: "LEDGER",
    recordSubmission: "LEDGER",
    voidRound: "LEDGER",
    proposeModel: "ORACLE",
    attest: "ORACLE",
  },
  UpdateLedger: {
    commitUpdates: "ORACLE",
    submitUpdate: "ORACLE",
    challengeCommitment: "PUBLIC",
  },
  Reputation: {
    applyRoundChanges: "ORACLE",
    setStartScore: "ADMIN",
    setSuspendThreshold: "ADMIN",
  },
  ProvenanceAnchor: {
    anchorWindow: "GATEWAY",
    anchorWindows: "GATEWAY",
  },
  DataSharingLedger: {
    recordSharing: "MEMBER",
  },
  EncryptionKeyRegistry: {
    publishKey: "KEY_HOLDER",
    recordDecryption: "KEY_HOLDER",
  },
};
