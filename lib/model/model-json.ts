/**
 * What a TF.js LayersModel's model.json promises about its weights.bin: the reader's check before it hashes the
 * weights (pure; used by the auditor and by the web app's in-browser verification).
 */
import { z } from "zod";

const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z
    .array(
      z.object({
        paths: z.tuple([z.literal("weights.bin")]),
        weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.literal("float32"), quantization: z.undefined().optional() })),
      }),
    )
    .length(1),
});

/** Bytes model.json says weights.bin must have (all float32), or the reason it is not a model we can hash. */
export function describedWeightBytes(modelJson: Uint8Array): { ok: true; bytes: number } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(modelJson));
  } catch (error) {
    return { ok: false, reason: `model.json is not JSON: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}` };
  }
  const parsed = modelJsonSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `model.json is not a float32 TF.js LayersModel with one weights.bin: ${z.prettifyError(parsed.error).split("\n").slice(0, 2).join(" ")}` };
  const bytes = parsed.data.weightsManifest[0]!.weights.reduce((sum, spec) => sum + 4 * spec.shape.reduce((product, d) => product * d, 1), 0);
  return { ok: true, bytes };
}
