import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { readArtifact, selectorsOf } from "../../lib/chain/artifacts.ts";
import { managedContracts, permissions } from "../../lib/chain/permissions.ts";
import { Role, type RoleName } from "../../lib/chain/roles.ts";

/**
 * Deploys the whole twinledger suite under one AccessManager and wires it:
 * - every restricted function to its role, from lib/chain/permissions.ts;
 * - the system roles to the contracts that need them (REGISTRAR, LEDGER, REPUTATION);
 * - MEMBER's role admin to the ConsortiumRegistry, so membership approval grants the role;
 * - a grant delay on ADMIN and ORACLE (parameter grantDelaySeconds; 0 on dev chains).
 * The deployer becomes the first governance account: ADMIN, plus MEMBER and ROUND_OPENER so that it can act
 * on any organisation's devices and open rounds.
 */
export default buildModule("Twinledger", (m) => {
  const governance = m.getAccount(0);
  const grantDelaySeconds = m.getParameter("grantDelaySeconds", 0);
  const startScore = m.getParameter("startScore", 500);
  const suspendThreshold = m.getParameter("suspendThreshold", 200);

  const manager = m.contract("AccessManager", [governance]);
  const consortium = m.contract("ConsortiumRegistry", [manager]);
  const devices = m.contract("DeviceRegistry", [manager, consortium]);
  const models = m.contract("ModelRegistry", [manager]);
  const updates = m.contract("UpdateLedger", [manager, devices, models]);
  const reputation = m.contract("Reputation", [manager, devices, models, startScore, suspendThreshold]);
  const provenance = m.contract("ProvenanceAnchor", [manager, devices]);
  const dataSharing = m.contract("DataSharingLedger", [manager, consortium]);
  const encryptionKeys = m.contract("EncryptionKeyRegistry", [manager, models]);

  const deployed = {
    ConsortiumRegistry: consortium,
    DeviceRegistry: devices,
    ModelRegistry: models,
    UpdateLedger: updates,
    Reputation: reputation,
    ProvenanceAnchor: provenance,
    DataSharingLedger: dataSharing,
    EncryptionKeyRegistry: encryptionKeys,
  };

  for (const roleName of ["ADMIN", "MEMBER", "ORACLE", "GATEWAY", "AUDITOR", "ROUND_OPENER", "KEY_HOLDER", "REGISTRAR", "LEDGER", "REPUTATION"] as const) {
    if (roleName !== "ADMIN") m.call(manager, "labelRole", [Role[roleName], roleName], { id: `label_${roleName}` });
  }

  for (const contractName of managedContracts) {
    const byRole = new Map<RoleName, string[]>();
    for (const [functionName, roleName] of Object.entries(permissions[contractName])) {
      byRole.set(roleName, [...(byRole.get(roleName) ?? []), functionName]);
    }
    const abi = readArtifact(contractName).abi;
    for (const [roleName, functionNames] of byRole) {
      m.call(manager, "setTargetFunctionRole", [deployed[contractName], selectorsOf(abi, functionNames), Role[roleName]], {
        id: `permit_${contractName}_${roleName}`,
      });
    }
  }

  m.call(manager, "grantRole", [Role.REGISTRAR, consortium, 0], { id: "grant_REGISTRAR" });
  m.call(manager, "grantRole", [Role.LEDGER, updates, 0], { id: "grant_LEDGER" });
  m.call(manager, "grantRole", [Role.REPUTATION, reputation, 0], { id: "grant_REPUTATION" });
  m.call(manager, "grantRole", [Role.ROUND_OPENER, governance, 0], { id: "grant_governance_ROUND_OPENER" });
  const governanceMember = m.call(manager, "grantRole", [Role.MEMBER, governance, 0], { id: "grant_governance_MEMBER" });
  m.call(manager, "setRoleAdmin", [Role.MEMBER, Role.REGISTRAR], { id: "member_admin_REGISTRAR", after: [governanceMember] });
  m.call(manager, "setGrantDelay", [Role.ORACLE, grantDelaySeconds], { id: "grant_delay_ORACLE" });
  m.call(manager, "setGrantDelay", [Role.ADMIN, grantDelaySeconds], { id: "grant_delay_ADMIN" });

  return { manager, ...deployed };
});
