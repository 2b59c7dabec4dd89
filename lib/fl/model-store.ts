import type { LayersModel } from "@tensorflow/tfjs";
import type { Hex } from "viem";
import type { ContentStore } from "../ipfs/store.ts";
import { flattenWeights } from "../model/model.ts";
import { deserializeModel, serializeModel } from "../model/serialize.ts";
import type { TfModule } from "../model/tf.ts";
import { weightsHash } from "../model/weights.ts";

/** The files of a model stored on IPFS in the TF.js LayersModel format (a directory: model.json + weights.bin). */
export const modelFiles = ["model.json", "weights.bin"] as const;

/** Stores a model as a TF.js LayersModel directory; returns its CID and the hash of its canonical weights. */
export async function publishModel(store: ContentStore, model: LayersModel): Promise<{ cid: string; weightsHash: Hex }> {
  const { files } = await serializeModel(model);
  const cid = await store.addDirectory(files);
  return { cid, weightsHash: weightsHash(flattenWeights(model)) };
}

/**
 * Loads a model by CID and checks its weights against the hash recorded on chain. Content that does not match
 * is refused: a reader never uses a model the consortium did not record.
 */
export async function loadVerifiedModel(tf: TfModule, store: ContentStore, cid: string, expectedHash: Hex): Promise<{ model: LayersModel; weights: Float32Array }> {
  const files = await Promise.all(modelFiles.map(async (path) => ({ path, content: await store.cat(cid, path) })));
  const model = await deserializeModel(tf, files);
  const weights = flattenWeights(model);
  const actual = weightsHash(weights);
  if (actual !== expectedHash) {
    model.dispose();
    throw new Error(`model ${cid} hashes to ${actual}, but the chain records ${expectedHash}: refusing it`);
  }
  return { model, weights };
}
