import { expect } from "chai";
import { network } from "hardhat";
import { before, describe, it } from "node:test";
import { createWalletClient, custom, keccak256, parseEventLogs, stringToHex, toBytes, type Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readArtifact, selectorsOf, stateChangingFunctions } from "../../lib/chain/artifacts.ts";
import { managedContracts, permissions, type ManagedContractName } from "../../lib/chain/permissions.ts";
import { Role, type RoleName } from "../../lib/chain/roles.ts";
import { signModelUpdate } from "../../lib/chain/typed-data.ts";
import { labelToBytes32 } from "../../lib/chain/labels.ts";
import { makeFixture, type Contracts, type Fixture } from "../helpers/fixture.ts";
import { expectRevert } from "../helpers/revert.ts";
import { HOUR, commit, latestTimestamp, openRound, propose, updateLeaves, weightsHashA } from "../helpers/rounds.ts";
import { noPrivacy } from "../../lib/chain/policy.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);

const policy = { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: 10n, minImprovement: 0n, minParticipants: 1, quorum: 1, ...noPrivacy };

/** A contract (not an account) that holds a system role, acting through an impersonated sender. */
async function actAsContract(fixture: Fixture, address: Address): Promise<Contracts> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 18n);
  const wallet = createWalletClient({ account: address, chain: fixture.clients.publicClient.chain, transport: custom(connection.provider, { retryCount: 0 }) });
  return fixture.as(wallet as unknown as Fixture["wallets"]["governance"]);
}

interface Scenario {
  /** The contracts acting as the authorised caller. */
  as: Contracts;
  /** Sends the authorised call; the same arguments are then tried by every other role. */
  send: (contracts: Contracts) => Promise<Hex>;
  event: string;
}

type ScenarioFactory = (fixture: Fixture) => Promise<Scenario>;

const device0 = (f: Fixture) => f.seed.devices[0]!.address;
const member = (f: Fixture) => f.as(f.wallets.members[0]!);
const governance = (f: Fixture) => f.as(f.wallets.governance);
const oracle = (f: Fixture, index = 0) => f.as(f.wallets.oracles[index]!);

const scenarios: Record<ManagedContractName, Record<string, ScenarioFactory>> = {
  ConsortiumRegistry: {
    requestMembership: async (f) => ({ as: f.as(f.wallets.outsider), send: (c) => c.consortium.write.requestMembership(["Newco", "QmProfile"]), event: "MembershipRequested" }),
    approveOrganisation: async (f) => {
      await f.send(f.as(f.wallets.outsider).consortium.write.requestMembership(["Newco", "QmProfile"]));
      return { as: governance(f), send: (c) => c.consortium.write.approveOrganisation([4]), event: "OrganisationApproved" };
    },
    registerOrganisation: async (f) => ({ as: governance(f), send: (c) => c.consortium.write.registerOrganisation([f.wallets.outsider.account.address, "Newco", "QmProfile"]), event: "OrganisationApproved" }),
    suspendOrganisation: async (f) => ({ as: governance(f), send: (c) => c.consortium.write.suspendOrganisation([1]), event: "OrganisationSuspended" }),
    reinstateOrganisation: async (f) => {
      await f.send(governance(f).consortium.write.suspendOrganisation([1]));
      return { as: governance(f), send: (c) => c.consortium.write.reinstateOrganisation([1]), event: "OrganisationReinstated" };
    },
    removeOrganisation: async (f) => ({ as: governance(f), send: (c) => c.consortium.write.removeOrganisation([3]), event: "OrganisationRemoved" }),
    enrolGovernanceAccount: async (f) => ({ as: governance(f), send: (c) => c.consortium.write.enrolGovernanceAccount([f.wallets.pureAdmin.account.address]), event: "GovernanceAccountEnrolled" }),
    updateOrganisationMetadata: async (f) => ({ as: member(f), send: (c) => c.consortium.write.updateOrganisationMetadata([1, "QmNewProfile"]), event: "OrganisationMetadataUpdated" }),
  },
  DeviceRegistry: {
    registerAsset: async (f) => ({ as: member(f), send: (c) => c.devices.write.registerAsset([1, labelToBytes32("engine-9")]), event: "AssetRegistered" }),
    registerDevice: async (f) => ({
      as: member(f),
      send: (c) => c.devices.write.registerDevice([privateKeyToAccount(keccak256(toBytes("new-device"))).address, 1n, keccak256(toBytes("fw")), keccak256(toBytes("md"))]),
      event: "DeviceRegistered",
    }),
    updateFirmware: async (f) => ({ as: member(f), send: (c) => c.devices.write.updateFirmware([device0(f), keccak256(toBytes("fw-2"))]), event: "FirmwareUpdated" }),
    updateDeviceMetadata: async (f) => ({ as: member(f), send: (c) => c.devices.write.updateDeviceMetadata([device0(f), keccak256(toBytes("md-2"))]), event: "DeviceMetadataUpdated" }),
    suspendDevice: async (f) => ({ as: member(f), send: (c) => c.devices.write.suspendDevice([device0(f)]), event: "DeviceStatusChanged" }),
    reactivateDevice: async (f) => {
      await f.send(member(f).devices.write.suspendDevice([device0(f)]));
      return { as: member(f), send: (c) => c.devices.write.reactivateDevice([device0(f)]), event: "DeviceStatusChanged" };
    },
    revokeDevice: async (f) => ({ as: member(f), send: (c) => c.devices.write.revokeDevice([device0(f)]), event: "DeviceStatusChanged" }),
    recordReputationScores: async (f) => ({ as: await actAsContract(f, f.addresses.Reputation), send: (c) => c.devices.write.recordReputationScores([[device0(f)], [420]]), event: "ReputationScoresRecorded" }),
    suspendForReputation: async (f) => ({ as: await actAsContract(f, f.addresses.Reputation), send: (c) => c.devices.write.suspendForReputation([device0(f)]), event: "DeviceStatusChanged" }),
  },
  ModelRegistry: {
    createTask: async (f) => ({ as: governance(f), send: (c) => c.models.write.createTask(["pump-anomaly", policy, "QmGenesis", keccak256(toBytes("g")), 0n]), event: "TaskCreated" }),
    setPolicy: async (f) => ({ as: governance(f), send: (c) => c.models.write.setPolicy([f.taskId, policy]), event: "PolicyUpdated" }),
    openRound: async (f) => {
      const deadline = (await latestTimestamp(f)) + HOUR;
      return { as: oracle(f), send: (c) => c.models.write.openRound([f.taskId, 1n, deadline]), event: "RoundOpened" };
    },
    recordCommitment: async (f) => {
      const roundId = await openRound(f);
      return { as: await actAsContract(f, f.addresses.UpdateLedger), send: (c) => c.models.write.recordCommitment([roundId, keccak256(toBytes("root")), 2]), event: "ParticipationRecorded" };
    },
    recordSubmission: async (f) => {
      const roundId = await openRound(f);
      return { as: await actAsContract(f, f.addresses.UpdateLedger), send: (c) => c.models.write.recordSubmission([roundId, keccak256(toBytes("leaf"))]), event: "ParticipationRecorded" };
    },
    voidRound: async (f) => {
      const roundId = await openRound(f);
      await commit(f, roundId, updateLeaves(f, 2));
      return { as: await actAsContract(f, f.addresses.UpdateLedger), send: (c) => c.models.write.voidRound([roundId, 2]), event: "RoundVoided" };
    },
    proposeModel: async (f) => {
      const roundId = await openRound(f);
      const tree = await commit(f, roundId, updateLeaves(f, 2));
      const proposal = { cid: "QmModel", weightsHash: weightsHashA, metric: 15_000_000n, participantsRoot: tree.root as Hex, xaiReportCid: "QmXai" };
      return { as: oracle(f), send: (c) => c.models.write.proposeModel([roundId, proposal]), event: "VersionProposed" };
    },
    attest: async (f) => {
      const roundId = await openRound(f);
      await commit(f, roundId, updateLeaves(f, 2));
      const versionId = await propose(f, roundId, 15_000_000n);
      return { as: oracle(f, 1), send: (c) => c.models.write.attest([versionId, weightsHashA]), event: "Attested" };
    },
  },
  UpdateLedger: {
    commitUpdates: async (f) => {
      const roundId = await openRound(f);
      return { as: oracle(f), send: (c) => c.updates.write.commitUpdates([roundId, keccak256(toBytes("root")), 3, "QmSealedUpdates"]), event: "UpdatesCommitted" };
    },
    submitUpdate: async (f) => {
      const roundId = await openRound(f);
      const update = { taskId: f.taskId, roundId, baseVersion: 1n, updateCid: "QmUpdate", weightsHash: weightsHashA, sampleCount: 120n, metrics: [15_000_000n], nonce: 1n, deadline: (await latestTimestamp(f)) + HOUR };
      const signature = await signModelUpdate(privateKeyToAccount(f.seed.devices[0]!.privateKey), f.clients.publicClient.chain.id, f.addresses.UpdateLedger, update);
      return { as: oracle(f), send: (c) => c.updates.write.submitUpdate([update, signature]), event: "UpdateSubmitted" };
    },
    challengeCommitment: async (f) => {
      const roundId = await openRound(f);
      const leaves = updateLeaves(f, 2);
      await f.send(member(f).devices.write.revokeDevice([leaves[0]!.device]));
      const tree = await commit(f, roundId, leaves);
      const [index, value] = [...tree.entries()].find(([, v]) => v[0] === leaves[0]!.device)!;
      return { as: f.as(f.wallets.outsider), send: (c) => c.updates.write.challengeCommitment([roundId, ...value, tree.getProof(index) as Hex[]]), event: "CommitmentChallenged" };
    },
  },
  Reputation: {
    applyRoundChanges: async (f) => {
      const roundId = await openRound(f);
      return { as: oracle(f), send: (c) => c.reputation.write.applyRoundChanges([roundId, [{ deviceAccount: device0(f), delta: -10, reason: 2 }]]), event: "RoundScored" };
    },
    setStartScore: async (f) => ({ as: governance(f), send: (c) => c.reputation.write.setStartScore([400]), event: "StartScoreSet" }),
    setSuspendThreshold: async (f) => ({ as: governance(f), send: (c) => c.reputation.write.setSuspendThreshold([100]), event: "SuspendThresholdSet" }),
  },
  ProvenanceAnchor: {
    anchorWindow: async (f) => ({
      as: f.as(f.wallets.gateways[0]!),
      send: (c) => c.provenance.write.anchorWindow([{ deviceAccount: device0(f), startTime: 1n, endTime: 2n, readingCount: 10, root: keccak256(toBytes("r")), dataCid: "QmWindow" }]),
      event: "WindowAnchored",
    }),
    anchorWindows: async (f) => ({
      as: f.as(f.wallets.gateways[0]!),
      send: (c) => c.provenance.write.anchorWindows([[{ deviceAccount: device0(f), startTime: 1n, endTime: 2n, readingCount: 10, root: keccak256(toBytes("r")), dataCid: "QmWindow" }]]),
      event: "WindowAnchored",
    }),
  },
  DataSharingLedger: {
    recordSharing: async (f) => ({ as: member(f), send: (c) => c.dataSharing.write.recordSharing([2, "QmDataset", stringToHex("failure-investigation", { size: 32 })]), event: "SharingRecorded" }),
  },
  EncryptionKeyRegistry: {
    publishKey: async (f) => ({ as: f.as(f.wallets.keyHolder), send: (c) => c.encryptionKeys.write.publishKey(["QmPublicKey", keccak256(toBytes("pk")), keccak256(toBytes("params"))]), event: "KeyPublished" }),
    recordDecryption: async (f) => {
      await f.send(governance(f).models.write.setPolicy([f.taskId, { ...policy, encryptedAggregation: true }]));
      await f.send(f.as(f.wallets.keyHolder).encryptionKeys.write.publishKey(["QmPublicKey", keccak256(toBytes("pk")), keccak256(toBytes("params"))]));
      const roundId = await openRound(f);
      await commit(f, roundId, updateLeaves(f, 2));
      return {
        as: f.as(f.wallets.keyHolder),
        send: (c) => c.encryptionKeys.write.recordDecryption([roundId, 1n, keccak256(toBytes("aggregate")), weightsHashA, "QmAggregate"]),
        event: "AggregateDecrypted",
      };
    },
  },
};

const abiOf: Record<ManagedContractName, Abi> = Object.fromEntries(managedContracts.map((name) => [name, readArtifact(name).abi])) as Record<ManagedContractName, Abi>;

/** One account per role, and which roles it holds (an oracle also opens rounds). */
function representatives(f: Fixture): { label: string; wallet: Fixture["wallets"]["governance"]; holds: RoleName[] }[] {
  return [
    { label: "ADMIN", wallet: f.wallets.pureAdmin, holds: ["ADMIN"] },
    { label: "MEMBER", wallet: f.wallets.members[0]!, holds: ["MEMBER"] },
    { label: "ORACLE", wallet: f.wallets.oracles[0]!, holds: ["ORACLE", "ROUND_OPENER"] },
    { label: "GATEWAY", wallet: f.wallets.gateways[0]!, holds: ["GATEWAY"] },
    { label: "AUDITOR", wallet: f.wallets.auditor, holds: ["AUDITOR"] },
    { label: "ROUND_OPENER", wallet: f.wallets.roundOpenerOnly, holds: ["ROUND_OPENER"] },
    { label: "KEY_HOLDER", wallet: f.wallets.keyHolder, holds: ["KEY_HOLDER"] },
    { label: "no role", wallet: f.wallets.outsider, holds: [] },
  ];
}

describe("permissions", () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await networkHelpers.loadFixture(deployAndSeed);
  });

  it("covers every state-changing function of every contract, and nothing else", () => {
    for (const name of managedContracts) {
      // setAuthority is AccessManaged's own: only the current manager itself may call it (AccessManager.updateAuthority).
      const restricted = stateChangingFunctions(abiOf[name]).filter((fn) => fn !== "setAuthority");
      expect(Object.keys(permissions[name]).sort(), name).to.deep.equal(restricted.sort());
      expect(Object.keys(scenarios[name]).sort(), `${name} scenarios`).to.deep.equal(Object.keys(permissions[name]).sort());
    }
  });

  it("wires each function to its role in the one AccessManager", async () => {
    const manager = fixture.as(fixture.wallets.governance).manager;
    for (const name of managedContracts) {
      for (const [functionName, roleName] of Object.entries(permissions[name])) {
        const [selector] = selectorsOf(abiOf[name], [functionName]);
        const target = fixture.addresses[name];
        expect(await manager.read.getTargetFunctionRole([target, selector!]), `${name}.${functionName}`).to.equal(Role[roleName]);
        expect(await manager.read.isTargetClosed([target]), name).to.equal(false);
      }
      expect(await fixture.as(fixture.wallets.governance).consortium.read.authority()).to.equal(fixture.addresses.AccessManager);
    }
  });

  for (const name of managedContracts) {
    describe(name, () => {
      for (const [functionName, roleName] of Object.entries(permissions[name])) {
        it(`${functionName}: ${roleName} succeeds and emits; every other role is refused`, async () => {
          const f = await networkHelpers.loadFixture(deployAndSeed);
          const scenario = await scenarios[name][functionName]!(f);
          if (roleName !== "PUBLIC") {
            for (const rep of representatives(f)) {
              if (rep.holds.includes(roleName)) continue;
              await expectRevert(scenario.send(f.as(rep.wallet)), "AccessManagedUnauthorized", [rep.wallet.account.address]);
            }
          }
          const receipt = await f.send(scenario.send(scenario.as));
          const events = parseEventLogs({ abi: abiOf[name], logs: receipt.logs }).map((log) => log.eventName);
          expect(events, `${name}.${functionName} events`).to.include(scenario.event);
        });
      }
    });
  }
});
