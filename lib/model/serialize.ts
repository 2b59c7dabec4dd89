/**
 * The TF.js LayersModel file format (model.json + one weights.bin), so anyone with TF.js can load a model
 * fetched by CID: `tf.loadLayersModel` over the two files, or deserializeModel here.
 */
import type { io, LayersModel } from "@tensorflow/tfjs";
import type { TfModule } from "./tf.ts";

export type ModelFilePath = "model.json" | "weights.bin";
export interface ModelFile {
  path: ModelFilePath;
  content: Uint8Array;
}
export interface SerializedModel {
  files: ModelFile[];
}

const WEIGHTS_PATH = "weights.bin";

export async function serializeModel(model: LayersModel): Promise<SerializedModel> {
  const tf = await import("@tensorflow/tfjs");
  let files: ModelFile[] | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.modelTopology || !artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error("model.save produced no topology or weights");
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      // trainingConfig is left out on purpose: it depends on how the last trainer compiled the model, and the
      // published files must depend on the weights and architecture only.
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? "",
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_PATH], weights: artifacts.weightSpecs }],
      };
      files = [
        { path: "model.json", content: new TextEncoder().encode(JSON.stringify(modelJson)) },
        { path: "weights.bin", content: new Uint8Array(weightData.slice(0)) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  if (!files) throw new Error("model.save did not call the save handler");
  return { files };
}

function bytesOf(spec: io.WeightsManifestEntry): number {
  const elements = spec.shape.reduce((product, d) => product * d, 1);
  const width = spec.dtype === "float32" || spec.dtype === "int32" ? 4 : spec.dtype === "bool" ? 1 : NaN;
  if (spec.quantization) throw new Error(`weight ${spec.name} is quantised; only float32 model files are supported`);
  if (!Number.isFinite(width)) throw new Error(`weight ${spec.name} has unsupported dtype ${spec.dtype}`);
  return elements * width;
}

export async function deserializeModel(tf: TfModule, files: readonly ModelFile[]): Promise<LayersModel> {
  const find = (path: ModelFilePath) => {
    const file = files.find((f) => f.path === path);
    if (!file) throw new Error(`model files are missing ${path} (got: ${files.map((f) => f.path).join(", ") || "none"})`);
    return file.content;
  };
  let modelJson: io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(find("model.json"))) as io.ModelJSON;
  } catch (error) {
    throw new Error(`model.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof modelJson !== "object" || modelJson === null || !modelJson.modelTopology) throw new Error("model.json has no modelTopology");
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length !== 1 || manifest[0]!.paths.length !== 1 || manifest[0]!.paths[0] !== WEIGHTS_PATH) {
    throw new Error(`model.json must have one weightsManifest group with paths ["${WEIGHTS_PATH}"]`);
  }
  const weightSpecs = manifest[0]!.weights;
  const weights = find("weights.bin");
  const expectedBytes = weightSpecs.reduce((sum, spec) => sum + bytesOf(spec), 0);
  if (weights.byteLength !== expectedBytes) throw new Error(`weights.bin has ${weights.byteLength} bytes, model.json describes ${expectedBytes}`);
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const artifacts = tf.io.getModelArtifactsForJSONSync(modelJson, weightSpecs, weightData);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
