/**
 * Compiles oracle/aggregation/kernels.wat (the aggregation strategies' SIMD kernels) with wabt into two binaries beside
 * it: kernels.wasm, which imports a shared memory (the worker threads run kernels on it), and kernels-private.wasm, the
 * same code on an unshared memory (copies into an unshared memory are about 30% faster, which is most of a small
 * single-threaded weighted sum). Runs as part of `npm run build`; the output is not committed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtModule from "wabt";

/** SIMD for the kernels, threads for the shared memory the worker threads use. */
const FEATURES = { simd: true, threads: true } as const;
const SHARED_IMPORT = "(memory 1 65536 shared)";

const source = fileURLToPath(new URL("../oracle/aggregation/kernels.wat", import.meta.url));
const text = readFileSync(source, "utf8");
if (text.split(SHARED_IMPORT).length !== 2) throw new Error(`${source} must import its memory exactly once as ${SHARED_IMPORT}`);
const wabt = await wabtModule();

for (const [target, wat] of [
  [source.replace(/\.wat$/, ".wasm"), text],
  [source.replace(/\.wat$/, "-private.wasm"), text.replace(SHARED_IMPORT, "(memory 1 65536)")],
] as const) {
  const parsed = wabt.parseWat(source, wat, FEATURES);
  try {
    // wabt's typings leave out validate's features argument; without it the shared memory fails validation.
    (parsed.validate as (features: typeof FEATURES) => void).call(parsed, FEATURES);
    const { buffer } = parsed.toBinary({});
    writeFileSync(target, buffer);
    console.log(`wrote ${target.slice(target.lastIndexOf("oracle/"))} (${buffer.byteLength} bytes)`);
  } finally {
    parsed.destroy();
  }
}
