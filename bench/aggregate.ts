/**
 * Aggregation benchmark: our strategies (oracle/aggregation/strategy.ts) against numpy baselines
 * (bench/python/aggregate_numpy.py) on the same deterministic updates in the same run.
 *
 *   npx node bench/aggregate.ts          → bench/results/aggregation.json
 *
 * numpy is single-threaded (BLAS threads pinned to 1). Ours runs the heavy kernels on up to one thread per core
 * (oracle/aggregation/parallel.ts; TWINLEDGER_AGGREGATION_THREADS=1 for single-threaded; the pool's busy-machine rule
 * is off here, see below). The two sides take turns run by run on each job, each timed run right after an
 * untimed one of the same side (and, on ours, a full garbage collection), and each reports the median of its runs.
 * The updates are generated once (N_MAX × PARAMS float32), shared with numpy through a raw file, and every n uses the
 * first n updates. Each side's result vector is compared so a fast-but-wrong kernel cannot pass unnoticed.
 */
import { mulberry32 } from "../lib/data/dataset.ts";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { configureParallelism } from "../oracle/aggregation/parallel.ts";
import { coordinateMedian, fedAvg, multiKrum, trimmedMean, UpdateMatrix, type Aggregate, type AggregationResult, type ClientUpdate } from "../oracle/aggregation/strategy.ts";

// The pool's busy-machine rule (one thread while the 1-minute load is at least cores + 1) is off here: numpy's turns
// and ours alternate, so the load this process sees is partly its own, and a run started after other work would
// otherwise time some jobs on one thread and some on two.
configureParallelism({ ignoreLoad: true });

const PARAMS = 100_000;
const SIZES = [10, 100, 1_000] as const;
const N_MAX = 1_000;
const TRIM_FRACTION = 0.2; // Flower's FedTrimmedAvg default beta
const PYTHON = "/usr/bin/python3";

type StrategyName = "fedavg" | "median" | "trimmed_mean" | "krum";

interface Job {
  strategy: StrategyName;
  n: number;
  repeats: number;
  /** Calls per timed run (the run's time is divided by it). */
  batch: number;
  /** An untimed run before each timed one, so JIT warm-up (ours), first-touch page faults and cold caches (both) are not timed. */
  warmup: boolean;
  byzantine: number;
}

/** Krum assumes up to 10 % Byzantine updates here; it needs n > f + 2. */
const byzantineFor = (n: number) => Math.floor(n / 10);

/**
 * Repeats per job, each after one warm-up: the seconds-long jobs (n = 1000 but FedAvg) three times, the rest five.
 * Sub-millisecond jobs (FedAvg and Krum at n = 10) time a batch of 20 calls per run and report the mean call, since a
 * lone call right after the other side's turn meets a core that has just woken from idle; they are repeated 15 times.
 */
function jobs(): Job[] {
  const list: Job[] = [];
  for (const strategy of ["fedavg", "median", "trimmed_mean", "krum"] as const) {
    for (const n of SIZES) {
      const heavy = n === 1_000 && strategy !== "fedavg";
      const brief = n === 10 && (strategy === "fedavg" || strategy === "krum");
      list.push({ strategy, n, repeats: heavy ? 3 : brief ? 15 : 5, batch: brief ? 20 : 1, warmup: true, byzantine: byzantineFor(n) });
    }
  }
  return list;
}

/**
 * `--only krum` or `--only krum:1000,fedavg:10` runs just those jobs (for looking at one entry; the results file then
 * holds only them, so a full run is what the README table quotes).
 */
function selectedJobs(all: Job[], args: readonly string[]): Job[] {
  const at = args.indexOf("--only");
  if (at < 0) return all;
  const wanted = (args[at + 1] ?? "").split(",").filter(Boolean);
  const picked = all.filter((job) => wanted.some((spec) => spec === job.strategy || spec === `${job.strategy}:${job.n}`));
  if (picked.length === 0) throw new Error(`--only ${args[at + 1] ?? ""} matches no job; jobs are ${all.map((job) => `${job.strategy}:${job.n}`).join(", ")}`);
  return picked;
}

function ours(job: Job): Aggregate {
  switch (job.strategy) {
    case "fedavg":
      return fedAvg;
    case "median":
      return coordinateMedian;
    case "trimmed_mean":
      return trimmedMean(TRIM_FRACTION);
    case "krum":
      return multiKrum(job.byzantine, 1);
  }
}

/**
 * Honest updates scatter around one shared model; every tenth update is shifted far away (a Byzantine client), so
 * the robust strategies have something to reject and Krum's choice is not a coin toss.
 */
function generateUpdates(): { data: Float32Array; counts: Float64Array } {
  const uniform = mulberry32(0x9e3779b9);
  const base = new Float32Array(PARAMS);
  for (let i = 0; i < PARAMS; i++) base[i] = (uniform() - 0.5) * 0.2;
  const data = new Float32Array(N_MAX * PARAMS);
  const counts = new Float64Array(N_MAX);
  for (let k = 0; k < N_MAX; k++) {
    const spread = 0.01 * (1 + (k % 3));
    const shift = k % 10 === 9 ? 5 : 0;
    const row = k * PARAMS;
    for (let i = 0; i < PARAMS; i++) data[row + i] = base[i]! + (uniform() - 0.5) * spread + shift;
    counts[k] = 50 + Math.floor(uniform() * 500);
  }
  return { data, counts };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times one job on both sides, taking turns run by run: numpy's run, then ours, `repeats` times, each timed run right
 * after an untimed one of the same side, so each side meets warm caches (not the other side's leftovers) and a slow
 * phase of this shared machine (its clock drops under sustained load) lands on both sides of the ratio. Returns each
 * side's median and last result.
 */
async function timeBoth(
  job: Job,
  updates: readonly ClientUpdate[],
  numpy: NumpyBaseline,
  resultFile: string,
): Promise<{ oursMs: number; numpyMs: number; result: AggregationResult; reference: NumpyResult }> {
  const aggregate = ours(job);
  const oursTimes: number[] = [];
  const numpyTimes: number[] = [];
  let result: AggregationResult | undefined;
  let reference: NumpyResult | undefined;
  for (let r = 0; r < job.repeats; r++) {
    reference = await numpy.run({ ...job, repeats: 1, trim_fraction: TRIM_FRACTION, result_file: resultFile });
    numpyTimes.push(reference.median_ms);
    if (job.warmup) aggregate(updates);
    collectGarbage();
    const started = performance.now();
    for (let b = 0; b < job.batch; b++) result = aggregate(updates);
    oursTimes.push((performance.now() - started) / job.batch);
  }
  return { oursMs: median(oursTimes), numpyMs: median(numpyTimes), result: result!, reference: reference! };
}

interface NumpyResult {
  strategy: StrategyName;
  n: number;
  median_ms: number;
  selected: number | null;
}

/** The numpy side as a job server (bench/python/aggregate_numpy.py): one job in, one timed result out. */
class NumpyBaseline {
  readonly version: string;
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  /** Rejects if the process fails or exits: raced against every answer. */
  private readonly failed: Promise<never>;

  private constructor(version: string, child: ChildProcessByStdio<Writable, Readable, null>, lines: AsyncIterator<string>, failed: Promise<never>) {
    this.version = version;
    this.child = child;
    this.lines = lines;
    this.failed = failed;
  }

  static async start(specFile: string): Promise<NumpyBaseline> {
    const single = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const child = spawn(PYTHON, [join(dirname(fileURLToPath(import.meta.url)), "python", "aggregate_numpy.py"), specFile], {
      env: { ...process.env, ...single },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const failed = new Promise<never>((_, reject) => {
      child.once("error", (error) => reject(new Error(`could not run ${PYTHON}: ${error.message}`)));
      child.once("exit", (code) => reject(new Error(`the numpy baseline exited with ${code}`)));
    });
    failed.catch(() => undefined); // handled where it is raced; never an unhandled rejection
    const first = await Promise.race([lines.next(), failed]);
    if (first.done) throw new Error("the numpy baseline printed nothing");
    return new NumpyBaseline((JSON.parse(first.value) as { numpy_version: string }).numpy_version, child, lines, failed);
  }

  async run(job: Job & { trim_fraction: number; result_file: string }): Promise<NumpyResult> {
    this.child.stdin.write(`${JSON.stringify(job)}\n`);
    const line = await Promise.race([this.lines.next(), this.failed]);
    if (line.done) throw new Error(`the numpy baseline stopped before ${job.strategy} n=${job.n}`);
    return JSON.parse(line.value) as NumpyResult;
  }

  stop(): void {
    this.child.removeAllListeners("exit");
    this.child.stdin.end();
  }
}

/** Writes and fsyncs, so the kernel's write-back of 400 MB does not compete with the first timed jobs. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A full collection before each timed run, as Python's timeit switches its collector off while it times: garbage
 * from earlier runs (each result is a fresh 400 KB to 4 MB array) would otherwise be collected inside a timed run.
 */
const collectGarbage: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "twinledger-bench-aggregate-"));
  try {
    console.log(`generating ${N_MAX} updates × ${PARAMS} float32 parameters (${((N_MAX * PARAMS * 4) / 1e6).toFixed(0)} MB)…`);
    const { data, counts } = generateUpdates();
    const updatesFile = join(work, "updates.f32");
    const countsFile = join(work, "counts.f64");
    // Node and numpy both read little-endian here (x86-64); the raw layout is row-major n × params.
    await writeDurably(updatesFile, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await writeDurably(countsFile, new Uint8Array(counts.buffer, counts.byteOffset, counts.byteLength));
    // Ours gets the updates as the oracle holds a round's updates, in an UpdateMatrix (one block, as numpy's array is).
    const matrix = UpdateMatrix.create(N_MAX, PARAMS);
    const allUpdates: ClientUpdate[] = matrix.rows.map((row, k) => {
      row.set(data.subarray(k * PARAMS, (k + 1) * PARAMS));
      return { weights: row, sampleCount: counts[k]! };
    });

    const jobList = selectedJobs(jobs(), process.argv.slice(2));
    const resultFile = (job: Job) => join(work, `numpy-${job.strategy}-${job.n}.f32`);
    const specFile = join(work, "spec.json");
    await writeFile(specFile, JSON.stringify({ params: PARAMS, n_max: N_MAX, updates_file: updatesFile, counts_file: countsFile }));

    // Each job runs on numpy (single-threaded) and then on ours, back to back, so a slow phase of a shared machine
    // lands on both sides of the ratio.
    const numpy = await NumpyBaseline.start(specFile);
    console.log(`numpy ${numpy.version} (one thread) against ours (up to ${process.env.TWINLEDGER_AGGREGATION_THREADS ?? "one per core"} threads), job by job…`);
    const rows: { strategy: StrategyName; n: number; params: number; ours_ms: number; numpy_ms: number; speedup_vs_numpy: number }[] = [];
    try {
      for (const job of jobList) {
        const { oursMs: medianMs, numpyMs, result, reference } = await timeBoth(job, allUpdates.slice(0, job.n), numpy, resultFile(job));
        const theirs = new Float32Array(new Uint8Array(await readFile(resultFile(job))).buffer);
        const diff = maxAbsDiff(result.weights, theirs);
        const agreement =
          job.strategy === "krum" ? `selected ours=${result.selected.join(",")} numpy=${reference.selected}` : `max |ours − numpy| = ${diff.toExponential(2)}`;
        if (job.strategy === "krum" ? result.selected[0] !== reference.selected : !(diff <= 1e-5)) {
          throw new Error(`ours and numpy disagree for ${job.strategy} n=${job.n}: ${agreement}`);
        }
        const speedup = numpyMs / medianMs;
        console.log(
          `${job.strategy.padStart(12)} n=${String(job.n).padEnd(5)} ours ${medianMs.toFixed(1).padStart(10)} ms  numpy ${numpyMs
            .toFixed(1)
            .padStart(10)} ms  speedup ${speedup.toFixed(2).padStart(6)}×  (${job.repeats} run${job.repeats > 1 ? "s" : ""}${job.batch > 1 ? ` of ${job.batch} calls` : ""} each; ${agreement})`,
        );
        rows.push({
          strategy: job.strategy,
          n: job.n,
          params: PARAMS,
          ours_ms: round(medianMs),
          numpy_ms: round(numpyMs),
          speedup_vs_numpy: round(speedup, 3),
        });
      }
    } finally {
      numpy.stop();
    }

    const out = join(dirname(fileURLToPath(import.meta.url)), "results", "aggregation.json");
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify({ results: rows }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

await main();
