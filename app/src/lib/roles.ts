/** Role ids and names shared with the contracts (lib/chain/roles.ts mirrors contracts/access/Roles.sol). */
import { accountRoles, Role, type RoleName } from "../../../lib/chain/roles.ts";

export { accountRoles, Role, type RoleName };

export const roleDescriptions: Record<(typeof accountRoles)[number], string> = {
  ADMIN: "governs the consortium: approves organisations, sets task policies, grants roles",
  MEMBER: "an approved organisation: registers and manages its own assets and devices",
  ORACLE: "verifies and aggregates updates, proposes and attests model versions",
  GATEWAY: "a fog gateway: anchors device telemetry",
  AUDITOR: "reads and verifies; holds no write permission",
  ROUND_OPENER: "opens federated rounds",
  KEY_HOLDER: "publishes the CKKS key and decrypts committed aggregates only",
};
