import { getContract, keccak256, stringToHex, toBytes, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { labelToBytes32 } from "./labels.ts";
import { kuboCidOf } from "../ipfs/kubo-cid.ts";
import {
  accessManagerAbi,
  consortiumRegistryAbi,
  deviceRegistryAbi,
  modelRegistryAbi,
} from "./abis.generated.ts";
import { confirm, type ChainClients, type Wallet } from "./clients.ts";
import type { ContractAddresses } from "./deployment.ts";
import { deviceKey } from "./dev-accounts.ts";
import { metadataDigestOf } from "./metadata-digest.ts";
import { Role } from "./roles.ts";
import { noPrivacy } from "./policy.ts";

/** One sensor channel of a device and its static operating bounds. */
export interface SensorBounds {
  name: string;
  unit: string;
  min: number;
  max: number;
}

/** The metadata document a device's on-chain digest points at. */
export interface DeviceMetadata {
  deviceType: string;
  sensors: SensorBounds[];
}

export interface OrganisationPlan {
  name: string;
  /** What its machines are: the device type and sensors their devices carry. */
  metadata: DeviceMetadata;
  assetLabels: string[];
}

export interface SeedPlan {
  /** Derives the device keys; the same seed gives the same devices. */
  deviceSeed: string;
  devicesPerAsset: number;
  organisations: OrganisationPlan[];
  tasks: { name: string; metricId: string; higherIsBetter: boolean; threshold: bigint; minImprovement: bigint; minParticipants: number; quorum: number; genesisMetric: bigint }[];
}

export interface SeedParticipants {
  governance: Wallet;
  organisationAdmins: Wallet[];
  oracles: Address[];
  gateways: Address[];
  auditors: Address[];
  /** Granted KEY_HOLDER: publish CKKS keys, record aggregate decryptions. */
  keyHolders?: Address[];
}

export interface SeededDevice {
  address: Address;
  privateKey: Hex;
  organisationId: number;
  assetId: bigint;
  assetLabel: string;
  firmwareHash: Hex;
  metadataCid: string;
}

export interface SeedResult {
  organisations: { id: number; name: string; admin: Address }[];
  devices: SeededDevice[];
  tasks: { name: string; taskId: Hex; genesisVersion: bigint; genesisCid: string }[];
}

const turbofanSensors: SensorBounds[] = [
  { name: "T24", unit: "degR", min: 640, max: 645 },
  { name: "T30", unit: "degR", min: 1570, max: 1620 },
  { name: "T50", unit: "degR", min: 1380, max: 1440 },
  { name: "P30", unit: "psia", min: 550, max: 556 },
  { name: "Nc", unit: "rpm", min: 9000, max: 9250 },
];

/** The demo consortium: three organisations with turbofans, pumps and milling machines, one task per machine kind. */
export const demoPlan: SeedPlan = {
  deviceSeed: "demo",
  devicesPerAsset: 2,
  organisations: [
    { name: "Northwind Aero", metadata: { deviceType: "turbofan-ecu", sensors: turbofanSensors }, assetLabels: ["engine-001", "engine-002"] },
    { name: "Delta Pumps", metadata: { deviceType: "pump-monitor", sensors: [{ name: "flow", unit: "m3/h", min: 20, max: 140 }, { name: "vibration", unit: "mm/s", min: 0, max: 7.1 }, { name: "bearing_temp", unit: "degC", min: 10, max: 85 }] }, assetLabels: ["pump-07", "pump-11"] },
    { name: "Helix Machining", metadata: { deviceType: "mill-controller", sensors: [{ name: "air_temp", unit: "K", min: 295, max: 305 }, { name: "process_temp", unit: "K", min: 305, max: 314 }, { name: "rpm", unit: "rpm", min: 1168, max: 2886 }, { name: "torque", unit: "Nm", min: 3.8, max: 76.6 }, { name: "tool_wear", unit: "min", min: 0, max: 253 }] }, assetLabels: ["mill-a", "mill-b"] },
  ],
  tasks: [
    { name: "cmapss-rul", metricId: "rmse", higherIsBetter: false, threshold: 40_000_000n, minImprovement: 0n, minParticipants: 2, quorum: 2, genesisMetric: 60_000_000n },
    { name: "ai4i-failure", metricId: "f1", higherIsBetter: true, threshold: 500_000n, minImprovement: 0n, minParticipants: 2, quorum: 2, genesisMetric: 0n },
  ],
};

/** A placeholder genesis model: its CID and weights hash are of real bytes, so readers can verify them. */
async function genesisModel(taskName: string): Promise<{ cid: string; weightsHash: Hex }> {
  const weights = new Float32Array(64);
  let state = Number.parseInt(keccak256(toBytes(taskName)).slice(2, 10), 16);
  for (let i = 0; i < weights.length; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    weights[i] = (state / 2 ** 32 - 0.5) * 0.1;
  }
  const bytes = new Uint8Array(weights.buffer);
  return { cid: (await kuboCidOf(bytes)).toString(), weightsHash: keccak256(bytes) };
}

/**
 * Creates a consortium on a freshly deployed suite: grants the service roles, registers the organisations
 * (which grants MEMBER), their assets and devices with bounds metadata, and the tasks with genesis models.
 */
export async function seedConsortium(
  clients: ChainClients,
  addresses: ContractAddresses,
  participants: SeedParticipants,
  plan: SeedPlan = demoPlan,
  /** Stores a document (organisation profile, device metadata) on IPFS; without it only the CIDs are computed. */
  publish?: (bytes: Uint8Array) => Promise<string>,
): Promise<SeedResult> {
  const { publicClient } = clients;
  const { governance } = participants;
  const client = { public: publicClient, wallet: governance };
  const manager = getContract({ address: addresses.AccessManager, abi: accessManagerAbi, client });
  const consortium = getContract({ address: addresses.ConsortiumRegistry, abi: consortiumRegistryAbi, client });
  const models = getContract({ address: addresses.ModelRegistry, abi: modelRegistryAbi, client });

  for (const oracle of participants.oracles) {
    await confirm(publicClient, await manager.write.grantRole([Role.ORACLE, oracle, 0]));
    await confirm(publicClient, await manager.write.grantRole([Role.ROUND_OPENER, oracle, 0]));
  }
  for (const gateway of participants.gateways) await confirm(publicClient, await manager.write.grantRole([Role.GATEWAY, gateway, 0]));
  for (const auditor of participants.auditors) await confirm(publicClient, await manager.write.grantRole([Role.AUDITOR, auditor, 0]));
  for (const keyHolder of participants.keyHolders ?? []) await confirm(publicClient, await manager.write.grantRole([Role.KEY_HOLDER, keyHolder, 0]));

  const result: SeedResult = { organisations: [], devices: [], tasks: [] };
  let deviceIndex = 0;
  for (const [position, organisationPlan] of plan.organisations.entries()) {
    const admin = participants.organisationAdmins[position];
    if (!admin) throw new Error(`no admin account for organisation ${organisationPlan.name}`);
    const profile = await documentCid(new TextEncoder().encode(JSON.stringify({ name: organisationPlan.name })), publish);
    await confirm(publicClient, await consortium.write.registerOrganisation([admin.account.address, organisationPlan.name, profile.toString()]));
    const organisationId = await consortium.read.organisationOf([admin.account.address]);
    result.organisations.push({ id: organisationId, name: organisationPlan.name, admin: admin.account.address });

    const memberDevices = getContract({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, client: { public: publicClient, wallet: admin } });
    const metadataCid = await documentCid(new TextEncoder().encode(JSON.stringify(organisationPlan.metadata)), publish);
    for (const assetLabel of organisationPlan.assetLabels) {
      await confirm(publicClient, await memberDevices.write.registerAsset([organisationId, labelToBytes32(assetLabel)]));
      const assetId = await memberDevices.read.assetCount();
      for (let i = 0; i < plan.devicesPerAsset; i++) {
        const privateKey = deviceKey(plan.deviceSeed, deviceIndex++);
        const address = privateKeyToAddress(privateKey);
        const firmwareHash = keccak256(toBytes(`${organisationPlan.metadata.deviceType}-firmware-1.0.0`));
        await confirm(publicClient, await memberDevices.write.registerDevice([address, assetId, firmwareHash, metadataDigestOf(metadataCid)]));
        result.devices.push({ address, privateKey, organisationId, assetId, assetLabel, firmwareHash, metadataCid });
      }
    }
  }

  for (const task of plan.tasks) {
    const genesis = await genesisModel(task.name);
    const policy = {
      metricId: stringToHex(task.metricId, { size: 32 }),
      higherIsBetter: task.higherIsBetter,
      threshold: task.threshold,
      minImprovement: task.minImprovement,
      minParticipants: task.minParticipants,
      quorum: task.quorum,
      ...noPrivacy,
    };
    await confirm(publicClient, await models.write.createTask([task.name, policy, genesis.cid, genesis.weightsHash, task.genesisMetric]));
    const taskId = keccak256(toBytes(task.name));
    result.tasks.push({ name: task.name, taskId, genesisVersion: await models.read.deployedVersion([taskId]), genesisCid: genesis.cid });
  }
  return result;
}

/** The document's CID; when a publisher is given, the document is stored and the stored CID must agree. */
async function documentCid(bytes: Uint8Array, publish?: (bytes: Uint8Array) => Promise<string>): Promise<string> {
  const cid = (await kuboCidOf(bytes)).toString();
  if (publish) {
    const stored = await publish(bytes);
    if (stored !== cid) throw new Error(`the content store gave ${stored} for a document whose CID is ${cid}`);
  }
  return cid;
}
