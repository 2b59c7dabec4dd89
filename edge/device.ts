import type { LayersModel } from "@tensorflow/tfjs";
import { privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { signModelUpdate } from "../lib/chain/typed-data.ts";
import { makeDataset, subset, type Dataset, type TaskKind } from "../lib/data/dataset.ts";
import { RUL_CAP } from "../lib/data/windows.ts";
import { envelopeToJson, toScaled, type SignedUpdate } from "../lib/fl/envelope.ts";
import { encryptVector } from "../lib/he/index.ts";
import type { ContentStore } from "../lib/ipfs/store.ts";
import { flattenWeights, setFlatWeights } from "../lib/model/model.ts";
import type { TfModule } from "../lib/model/tf.ts";
import { evaluate, trainLocal } from "../lib/model/train.ts";
import { weightsToBytes } from "../lib/model/weights.ts";
import { cryptoGaussian, privatiseUpdate, type DpConfig } from "../lib/privacy/dp.ts";
import { keccakHex } from "../lib/crypto/keccak.ts";

/** How a Byzantine device corrupts its update (for robustness experiments). */
export type Attack = "sign_flip" | "scaled" | "label_flip";

export interface DeviceProfile {
  index: number;
  privateKey: Hex;
  /** The device's own data; it never leaves the device. */
  data: Dataset;
  attack?: Attack;
}

export interface RoundInfo {
  taskId: Hex;
  roundId: bigint;
  baseVersion: bigint;
  deadline: bigint;
}

export interface TrainingSettings {
  kind: TaskKind;
  localEpochs: number;
  batchSize: number;
  seed: number;
}

/** What the task's on-chain policy asks of a device's update before it leaves the device. */
export interface UpdatePrivacy {
  /** Clip the delta and add this device's share of the Gaussian noise. */
  dp?: DpConfig;
  /** Encrypt under the consortium's active CKKS key. */
  encryption?: { keyId: bigint; publicKey: Uint8Array };
}

export interface TrainedUpdate {
  device: Address;
  body: string;
  cid: string;
  sampleCount: number;
  localMetric: number;
}

export interface SubmissionOutcome {
  device: Address;
  /** The signed update as sent, for re-sending to oracles that could not be reached. */
  body: string;
  cid: string;
  sampleCount: number;
  localMetric: number;
  responses: { oracle: string; status: number; accepted: boolean; reason?: string; message?: string; norm?: number }[];
}

/** Splits the device's data into local training and local validation rows (the last tenth). */
export function localSplit(data: Dataset): { train: Dataset; validation: Dataset } {
  const cut = Math.max(1, Math.floor(data.rows * 0.9));
  const indices = Array.from({ length: data.rows }, (_, i) => i);
  const held = indices.slice(cut);
  // A one-row partition has nothing to hold out; it validates on its only row.
  return { train: subset(data, indices.slice(0, cut)), validation: subset(data, held.length > 0 ? held : indices.slice(0, 1)) };
}

function flipLabels(data: Dataset, kind: TaskKind): Dataset {
  const labels = Float32Array.from(data.labels, (y) => (kind === "regression" ? RUL_CAP - y : 1 - y));
  return makeDataset(data.features, labels, data.featureNames);
}

/** Applies a weight-space attack relative to the base weights. */
export function corrupt(trained: Float32Array, base: Float32Array, attack: Attack | undefined): Float32Array {
  if (attack === "sign_flip") return Float32Array.from(trained, (w, i) => base[i]! - (w - base[i]!) * 4);
  if (attack === "scaled") return Float32Array.from(trained, (w, i) => base[i]! + (w - base[i]!) * 10);
  return trained;
}

/** Sends a signed update to the given oracles. */
export async function submit(oracleUrls: string[], trained: TrainedUpdate): Promise<SubmissionOutcome> {
  const responses = await Promise.all(oracleUrls.map((oracle) => sendUpdate(oracle, trained.body)));
  return { ...trained, responses };
}

/**
 * One device's part in a round, up to sending: train locally from the verified base model, publish the weights on
 * IPFS and sign the update (EIP-712). Raw data never leaves this function; `submit` sends the result.
 */
export async function trainAndSign(
  context: { tf: TfModule; store: ContentStore; chainId: number; updateLedger: Address; oracleUrls: string[] },
  device: DeviceProfile,
  base: { model: LayersModel; weights: Float32Array },
  round: RoundInfo,
  settings: TrainingSettings,
  privacy: UpdatePrivacy = {},
): Promise<TrainedUpdate> {
  const { tf, store } = context;
  const { train, validation } = localSplit(device.data);
  setFlatWeights(base.model, base.weights);
  const trainingData = device.attack === "label_flip" ? flipLabels(train, settings.kind) : train;
  await trainLocal(tf, base.model, trainingData, { epochs: settings.localEpochs, batchSize: settings.batchSize, seed: settings.seed + device.index * 7919 + Number(round.roundId) });
  const evaluation = evaluate(tf, base.model, validation, settings.kind);
  const localMetric = "rmse" in evaluation ? evaluation.rmse : evaluation.f1;
  let weights = corrupt(flattenWeights(base.model), base.weights, device.attack);
  // An attacker skips what honest devices do (clip and noise); it still has to encrypt, or the oracles refuse it.
  // The noise is drawn once per round and these bytes are what every oracle (and every resend) gets.
  if (privacy.dp && !device.attack) weights = privatiseUpdate(base.weights, weights, privacy.dp, cryptoGaussian()).weights;
  const content = privacy.encryption ? await encryptVector(privacy.encryption.publicKey, privacy.encryption.keyId, weights) : weightsToBytes(weights);
  const cid = await store.addFile(content);
  const account = privateKeyToAccount(device.privateKey);
  const update = {
    taskId: round.taskId,
    roundId: round.roundId,
    baseVersion: round.baseVersion,
    updateCid: cid,
    // keccak256 of the published bytes: the canonical float32 weights, or the encrypted container.
    weightsHash: keccakHex(content),
    // Under differential privacy the aggregate is uniform, and neither the sample count nor a metric of the
    // un-noised model may leave the device: both are outside what the noise protects.
    sampleCount: privacy.dp ? 1n : BigInt(train.rows),
    metrics: privacy.dp ? [] : [toScaled(localMetric)],
    // One update per device per round: the round id is a nonce the device never reuses.
    nonce: round.roundId,
    deadline: round.deadline,
  };
  const envelope: SignedUpdate = { update, signature: await signModelUpdate(account, context.chainId, context.updateLedger, update) };
  const body = JSON.stringify(envelopeToJson(envelope));
  return { device: account.address, body, cid, sampleCount: train.rows, localMetric };
}

/** Posts a signed update to one oracle. Status 0 means the oracle could not be reached (worth retrying). */
export async function sendUpdate(oracle: string, body: string): Promise<SubmissionOutcome["responses"][number]> {
  try {
    const response = await fetch(`${oracle}/updates`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(30_000) });
    const answer = (await response.json()) as { accepted?: boolean; reason?: string; message?: string; norm?: number };
    return { oracle, status: response.status, accepted: answer.accepted === true, reason: answer.reason, message: answer.message, norm: answer.norm };
  } catch (error) {
    return { oracle, status: 0, accepted: false, reason: "unreachable", message: error instanceof Error ? error.message : String(error) };
  }
}

/** True when a failed send may succeed later: the oracle was down or failed internally, not a verdict on the update. */
export const isRetryable = (response: { status: number }): boolean => response.status === 0 || response.status >= 500;
