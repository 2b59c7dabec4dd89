/**
 * The AccessManager role ids, mirroring contracts/access/Roles.sol. The contract test suite checks that the
 * deployed permissions match this table, so the two cannot drift apart unnoticed.
 */
export const Role = {
  ADMIN: 0n,
  MEMBER: 1n,
  ORACLE: 2n,
  GATEWAY: 3n,
  AUDITOR: 4n,
  ROUND_OPENER: 5n,
  KEY_HOLDER: 6n,
  REGISTRAR: 10n,
  LEDGER: 11n,
  REPUTATION: 12n,
  /** AccessManager.PUBLIC_ROLE: anyone may call. */
  PUBLIC: 2n ** 64n - 1n,
} as const;

export type RoleName = keyof typeof Role;

/** Roles held by people and services; the others are held only by twinledger contracts. */
export const accountRoles = ["ADMIN", "MEMBER", "ORACLE", "GATEWAY", "AUDITOR", "ROUND_OPENER", "KEY_HOLDER"] as const satisfies readonly RoleName[];

export function roleName(roleId: bigint): RoleName {
  const entry = Object.entries(Role).find(([, id]) => id === roleId);
  if (!entry) throw new Error(`unknown role id ${roleId}`);
  return entry[0] as RoleName;
}
