/**
 * Compiles oracle/aggregation/kernels.wat (the aggregation strategies' SIMD kernels) to kernels.wasm beside it with
 * wabt. Runs as part of `npm run build`; the output is not committed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtModule from "wabt";

/** SIMD for the kernels, threads for the shared memory the worker threads use. */
const FEATURES = { simd: true, threads: true } as const;

const source = fileURLToPath(new URL("../oracle/aggregation/kernels.wat", import.meta.url));
const target = source.replace(/\.wat$/, ".wasm");
const wabt = await wabtModule();
const parsed = wabt.parseWat(source, readFileSync(source, "utf8"), FEATURES);
try {
  // wabt's typings leave out validate's features argument; without it the shared memory fails validation.
  (parsed.validate as (features: typeof FEATURES) => void).call(parsed, FEATURES);
  const { buffer } = parsed.toBinary({});
  writeFileSync(target, buffer);
  console.log(`wrote oracle/aggregation/kernels.wasm (${buffer.byteLength} bytes)`);
} finally {
  parsed.destroy();
}
