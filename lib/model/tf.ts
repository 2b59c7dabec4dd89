/**
 * One place that picks and initialises the TF.js backend. The wasm backend is the default because
 * @tensorflow/tfjs-node cannot be installed here; if it is importable (another machine), it is used instead.
 */
import type * as Tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { dirname } from "node:path";

export type TfModule = typeof Tf;

let ready: Promise<TfModule> | undefined;

async function load(): Promise<TfModule> {
  const tf = await import("@tensorflow/tfjs");
  // Production mode skips per-op debug checks (and their warnings); it is process-wide, which is what we want.
  tf.enableProdMode();
  try {
    // A computed specifier keeps TypeScript from requiring the (absent) type declarations.
    const nodeBackend = "@tensorflow/tfjs-node";
    await import(nodeBackend);
    if (await tf.setBackend("tensorflow")) {
      await tf.ready();
      return tf;
    }
  } catch {
    // Not installed: fall through to wasm.
  }
  const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  if (!(await tf.setBackend("wasm"))) throw new Error("could not initialise the TF.js wasm backend");
  await tf.ready();
  return tf;
}

/** Idempotent: every caller shares one initialisation. */
export async function initTf(): Promise<TfModule> {
  ready ??= load().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}
