/**
 * A fleet of simulated edge devices in one process: each device holds its own data partition and signing key.
 * When a round of the task opens on chain, every device fetches the base model by CID, checks it against the
 * chain, trains locally, publishes its update on IPFS and sends it, signed, to the oracles.
 * Progress goes to stdout as JSON lines; a Byzantine share of devices can be told to attack.
 */
import { parseArgs } from "node:util";
import { keccak256, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { connectRpc } from "../lib/chain/clients.ts";
import { suiteContracts } from "../lib/chain/contracts.ts";
import { readDeployment } from "../lib/chain/deployment.ts";
import { deviceKey, devPrivateKey } from "../lib/chain/dev-accounts.ts";
import { privacyOf } from "../lib/chain/policy.ts";
import { RoundStatus } from "../lib/chain/status.ts";
import { mulberry32, permutation } from "../lib/data/dataset.ts";
import { DATASET_NAMES, loadFederatedData } from "../lib/fl/data-source.ts";
import { loadPublicKey, type PublicKeyRecord } from "../lib/fl/encryption-key.ts";
import { loadVerifiedModel } from "../lib/fl/model-store.ts";
import { readOracleRoundView } from "../lib/fl/oracle-round-view.ts";
import { openContentStore } from "../lib/ipfs/store.ts";
import { initTf } from "../lib/model/tf.ts";
import { isRetryable, sendUpdate, submit, trainAndSign, type Attack, type DeviceProfile, type UpdatePrivacy } from "./device.ts";

const attacks = ["sign_flip", "scaled", "label_flip"] as const;
const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);

const { values } = parseArgs({
  options: {
    rpc: { type: "string" }, deployment: { type: "string" }, "device-seed": { type: "string" }, devices: { type: "string" },
    dataset: { type: "string" }, "dataset-dir": { type: "string" }, seed: { type: "string" }, "data-dir": { type: "string" },
    "ipfs-peers": { type: "string" }, "ipfs-gateway-port": { type: "string" }, "oracle-urls": { type: "string" }, task: { type: "string" },
    byzantine: { type: "string" }, attack: { type: "string" }, "local-epochs": { type: "string" }, "batch-size": { type: "string" }, units: { type: "string" },
    shard: { type: "string" }, shards: { type: "string" }, "send-to": { type: "string" }, "csv-source": { type: "string" },
  },
});

const config = z
  .object({
    rpcUrl: z.string().url(),
    deploymentPath: z.string(),
    deviceSeed: z.string().min(1),
    devices: z.coerce.number().int().positive(),
    dataset: z.enum(DATASET_NAMES),
    csvSource: z.string().min(1).optional(),
    datasetDir: z.string(),
    seed: z.coerce.number().int(),
    dataDir: z.string(),
    ipfsPeers: z.array(z.string().url()),
    ipfsGatewayPort: z.coerce.number().int().min(0),
    oracleUrls: z.array(z.string().url()).min(1),
    taskName: z.string(),
    byzantine: z.coerce.number().min(0).max(1),
    attack: z.enum([...attacks, "mixed"]),
    localEpochs: z.coerce.number().int().positive(),
    batchSize: z.coerce.number().int().positive(),
    unitsPerDevice: z.coerce.number().int().positive().optional(),
    shard: z.coerce.number().int().min(0),
    shards: z.coerce.number().int().positive(),
    sendTo: z.enum(["leader", "all"]),
  })
  .parse({
    rpcUrl: values.rpc, deploymentPath: values.deployment ?? ".twinledger/deployment.json", deviceSeed: values["device-seed"] ?? "demo",
    devices: values.devices, dataset: values.dataset ?? "synthetic", datasetDir: values["dataset-dir"] ?? "../shared/data", csvSource: values["csv-source"], seed: values.seed ?? 7,
    dataDir: values["data-dir"], ipfsPeers: list(values["ipfs-peers"]), ipfsGatewayPort: values["ipfs-gateway-port"] ?? 0,
    oracleUrls: list(values["oracle-urls"]), taskName: values.task ?? "cmapss-rul", byzantine: values.byzantine ?? 0,
    attack: values.attack ?? "mixed", localEpochs: values["local-epochs"] ?? 2, batchSize: values["batch-size"] ?? 64, unitsPerDevice: values.units, shard: values.shard ?? 0, shards: values.shards ?? 1, sendTo: values["send-to"] ?? "leader",
  });

const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, ...fields }, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) + "\n");

const deployment = readDeployment(config.deploymentPath);
const clients = await connectRpc(config.rpcUrl);
// The fleet only reads the chain; any wallet will do for the typed contract handles.
const contracts = suiteContracts(clients.publicClient, deployment.addresses, clients.walletFor(devPrivateKey(19)));
const { store, gatewayUrl } = await openContentStore({ dataDir: config.dataDir, peers: config.ipfsPeers, gatewayPort: config.ipfsGatewayPort });
const tf = await initTf();
const data = await loadFederatedData({ dataset: config.dataset, devices: config.devices, seed: config.seed, dataDir: config.datasetDir, unitsPerDevice: config.unitsPerDevice, csvSource: config.csvSource });
const taskId = keccak256(toBytes(config.taskName));

const byzantineCount = Math.round(config.byzantine * config.devices);
const byzantine = new Set(Array.from(permutation(config.devices, mulberry32(config.seed ^ 0x5eed)).slice(0, byzantineCount)));
// A fleet process may run one shard of the devices (index mod shards), so large fleets use every core.
const fleet: DeviceProfile[] = data.devices
  .map((partition, index) => {
    const attack: Attack | undefined = byzantine.has(index) ? (config.attack === "mixed" ? attacks[index % attacks.length]! : config.attack) : undefined;
    return { index, privateKey: deviceKey(config.deviceSeed, index), data: partition, attack };
  })
  .filter((device) => device.index % config.shards === config.shard);
if (config.shard >= config.shards) throw new Error(`--shard ${config.shard} is not below --shards ${config.shards}`);
emit("ready", { gatewayUrl, devices: fleet.length, byzantine: [...byzantine].sort((a, b) => a - b) });

const handled = new Set<bigint>();
const publicKeys = new Map<bigint, PublicKeyRecord>();

/** The task's privacy policy for this round, with the active public key fetched and verified once per key. */
async function updatePrivacy(): Promise<UpdatePrivacy> {
  const privacy = privacyOf(await contracts.models.read.policyOf([taskId]));
  let encryption: UpdatePrivacy["encryption"];
  if (privacy.encryptedAggregation) {
    const activeKeyId = await contracts.encryptionKeys.read.activeKeyId();
    let key = publicKeys.get(activeKeyId);
    if (!key) {
      key = await loadPublicKey(contracts, store, activeKeyId);
      publicKeys.set(activeKeyId, key);
      emit("public_key", { keyId: key.keyId, cid: key.cid });
    }
    encryption = { keyId: key.keyId, publicKey: key.publicKey };
  }
  return { ...(privacy.dp ? { dp: privacy.dp } : {}), ...(encryption ? { encryption } : {}) };
}
/** The devices whose update an oracle has accepted in a round (empty when it can't say). */
async function acceptedBy(oracleUrl: string, roundId: bigint): Promise<Set<string>> {
  try {
    return new Set((await readOracleRoundView(oracleUrl, roundId)).accepted.map((address) => address.toLowerCase()));
  } catch {
    return new Set();
  }
}

const deviceAddress = (device: DeviceProfile) => privateKeyToAccount(device.privateKey).address.toLowerCase();

/** Sends that failed for a retryable reason, re-sent with backoff while their round is open. */
const pending: { roundId: bigint; device: string; oracle: string; body: string; attempts: number; nextAt: number }[] = [];

async function retryPending(): Promise<void> {
  const now = Date.now();
  for (const item of [...pending]) {
    if (item.nextAt > now) continue;
    pending.splice(pending.indexOf(item), 1);
    if ((await contracts.models.read.roundStatus([item.roundId])) !== RoundStatus.Open) continue;
    const response = await sendUpdate(item.oracle, item.body);
    emit("resend", { roundId: item.roundId, device: item.device, attempt: item.attempts + 1, ...response });
    if (isRetryable(response)) pending.push({ ...item, attempts: item.attempts + 1, nextAt: now + Math.min(8000, 500 * 2 ** item.attempts) });
  }
}
let stopping = false;
const stop = async () => {
  stopping = true;
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

while (!stopping) {
  try {
    const task = await contracts.models.read.task([taskId]);
    const roundId = task.liveRound;
    if (roundId !== 0n && !handled.has(roundId) && (await contracts.models.read.roundStatus([roundId])) === RoundStatus.Open) {
      handled.add(roundId);
      const round = await contracts.models.read.round([roundId]);
      const version = await contracts.models.read.version([round.baseVersion]);
      const base = await loadVerifiedModel(tf, store, version.cid, version.weightsHash);
      const privacy = await updatePrivacy();
      emit("round", { roundId, baseVersion: round.baseVersion, cid: version.cid, encrypted: privacy.encryption !== undefined, dp: privacy.dp !== undefined });
      // Only the round's leader (oracles listed in rotation order: round r is led by oracle (r − 1) mod n) seals the
      // round, and the others verify its sealed set themselves, so by default updates go to the leader alone.
      const recipients = config.sendTo === "all" ? config.oracleUrls : [config.oracleUrls[Number((roundId - 1n) % BigInt(config.oracleUrls.length))]!];
      // Training is sequential (one model in memory); sending is pipelined, so the next device trains while
      // the oracles verify the last one's update. A bounded number of sends are in flight at once.
      // A restarted fleet (a resumed run) skips the devices whose update the leader already accepted in this round.
      const alreadyAccepted = await acceptedBy(recipients[0]!, roundId);
      const inFlight = new Set<Promise<void>>();
      for (const device of fleet) {
        if (stopping) break;
        // Deriving a device's address costs a key derivation: only when the leader already has updates of this round.
        if (alreadyAccepted.size > 0 && alreadyAccepted.has(deviceAddress(device))) {
          emit("already_accepted", { roundId, index: device.index });
          continue;
        }
        const trained = await trainAndSign(
          { tf, store, chainId: deployment.chainId, updateLedger: deployment.addresses.UpdateLedger, oracleUrls: config.oracleUrls },
          device,
          base,
          { taskId, roundId, baseVersion: round.baseVersion, deadline: round.deadline },
          { kind: data.kind, localEpochs: config.localEpochs, batchSize: config.batchSize, seed: config.seed },
          privacy,
        );
        const sending: Promise<void> = submit(recipients, trained).then((outcome) => {
          const { body, ...reported } = outcome;
          emit("update", { roundId, index: device.index, attack: device.attack ?? null, ...reported });
          for (const response of outcome.responses) {
            if (isRetryable(response)) pending.push({ roundId, device: outcome.device, oracle: response.oracle, body, attempts: 1, nextAt: Date.now() + 500 });
          }
        });
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
        if (inFlight.size >= 16) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      await retryPending();
      base.model.dispose();
      emit("round_done", { roundId });
    }
    await retryPending();
  } catch (error) {
    emit("error", { message: error instanceof Error ? error.message : String(error) });
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await store.close();
emit("stopped");
process.exit(0);
