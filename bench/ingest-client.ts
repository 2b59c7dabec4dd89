/**
 * Helpers for bench/ingest.ts: HTTP load for a fog gateway's POST /windows (bodies serialised before the clock
 * starts, keep-alive sockets; closed loop with bounded concurrency, or open loop at a fixed rate), and a summary
 * of a V8 CPU profile of the gateway.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** One pre-serialised window, ready to POST. */
export interface PreparedWindow {
  /** `${device}:${sequence}` (as the gateway keys it) */
  key: string;
  device: string;
  root: string;
  readings: number;
  body: Buffer;
}

export interface LoadResult {
  /** performance.now() of the first POST and of the last 202. */
  firstPostAt: number;
  lastAcceptedAt: number;
  windowsAccepted: number;
  readingsAccepted: number;
  /** 503s (buffer full, registry unavailable) that were retried. */
  retries: number;
  /** performance.now() of each window's first POST, by Merkle root (lower case). */
  postedAt: Map<string, number>;
  /** Request latency (first POST → 202) per window, ms. */
  acceptLatenciesMs: number[];
  /** Paced load only: how late a window's POST started after its slot, at worst (ms). */
  maxSendLagMs: number;
}

interface Reply {
  status: number;
  body: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keep-alive POSTs of prepared windows to one gateway, recording each into a LoadResult. */
class WindowPoster {
  readonly #agent: Agent;
  readonly #url: URL;
  readonly result: LoadResult = { firstPostAt: Number.POSITIVE_INFINITY, lastAcceptedAt: 0, windowsAccepted: 0, readingsAccepted: 0, retries: 0, postedAt: new Map(), acceptLatenciesMs: [], maxSendLagMs: 0 };
  readonly #onProgress: ((windowsAccepted: number) => void) | undefined;

  constructor(gatewayUrl: string, sockets: number, onProgress?: (windowsAccepted: number) => void) {
    this.#url = new URL(gatewayUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
    this.#onProgress = onProgress;
  }

  #request(body: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.#agent, host: this.#url.hostname, port: this.#url.port, path: "/windows", method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** POSTs one window until the gateway takes it: 503 is retried after a short pause; anything else but 202 throws. */
  async post(window: PreparedWindow): Promise<void> {
    const { result } = this;
    const postedAt = performance.now();
    if (postedAt < result.firstPostAt) result.firstPostAt = postedAt;
    result.postedAt.set(window.root.toLowerCase(), postedAt);
    for (;;) {
      const reply = await this.#request(window.body);
      if (reply.status === 202) break;
      if (reply.status === 503) {
        result.retries++;
        await sleep(25);
        continue;
      }
      throw new Error(`the gateway answered ${reply.status} to window ${window.key}: ${reply.body.slice(0, 300)}`);
    }
    const acceptedAt = performance.now();
    result.lastAcceptedAt = Math.max(result.lastAcceptedAt, acceptedAt);
    result.acceptLatenciesMs.push(acceptedAt - postedAt);
    result.windowsAccepted++;
    result.readingsAccepted += window.readings;
    this.#onProgress?.(result.windowsAccepted);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Closed loop, as fast as the gateway takes them: every queue's windows in order, one request in flight per
 * queue (so queues.length is the concurrency). A device's windows must all be in one queue: the gateway refuses
 * a sequence that is not after the last one it accepted, so two windows of one device must never race.
 */
export async function postWindows(gatewayUrl: string, queues: PreparedWindow[][], onProgress?: (windowsAccepted: number) => void): Promise<LoadResult> {
  const poster = new WindowPoster(gatewayUrl, queues.length, onProgress);
  try {
    await Promise.all(queues.map(async (queue) => {
      for (const window of queue) await poster.post(window);
    }));
  } finally {
    poster.close();
  }
  return poster.result;
}

/**
 * Open loop at a fixed rate: window i is due `i / windowsPerSecond` s after the start, whether or not earlier ones
 * were answered; only a device's own earlier window, still in flight, can hold it back (sequence order).
 */
export async function postWindowsPaced(gatewayUrl: string, windows: readonly PreparedWindow[], windowsPerSecond: number, sockets: number, onProgress?: (windowsAccepted: number) => void): Promise<LoadResult> {
  const poster = new WindowPoster(gatewayUrl, sockets, onProgress);
  const previousOf = new Map<string, Promise<void>>();
  const sends: Promise<void>[] = [];
  const start = performance.now();
  try {
    for (const [i, window] of windows.entries()) {
      const due = start + (i * 1000) / windowsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const send = (previousOf.get(window.device) ?? Promise.resolve()).then(() => {
        poster.result.maxSendLagMs = Math.max(poster.result.maxSendLagMs, performance.now() - due);
        return poster.post(window);
      });
      // Handled here so an early failure is not an unhandled rejection while later slots are still waiting.
      send.catch(() => {});
      previousOf.set(window.device, send);
      sends.push(send);
    }
    await Promise.all(sends);
  } finally {
    poster.close();
  }
  return poster.result;
}

/** The q-quantile (0..1) of the values, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  profiledMs: number;
  /** Share of the profile the gateway's thread was not idle. */
  busyShare: number;
  /** Functions by self time (ms and share of the profile). */
  self: { fn: string; ms: number; share: number }[];
  /** Self time per module (package, project file, or native function). */
  modules: { module: string; ms: number; share: number }[];
  /**
   * Named gateway stages by inclusive time (a sample counts once per stage on its stack). A stack does not reach
   * past an `await`, so an async function's stage holds only the work done before its first await and in its own
   * continuations, not in the continuations of the async functions it calls.
   */
  stages: { stage: string; ms: number; share: number }[];
}

function fileOf(url: string): string {
  return url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "").replace(/^\/work\/[^/]+\//, "");
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = fileOf(url);
  return file ? `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}` : functionName || "(anonymous)";
}

/** A frame's module: the package for dependencies, the file for the project's own code, the name for natives. */
function moduleName(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (url.startsWith("wasm://")) return "wasm (hash-wasm keccak)";
  if (url === "") return `native: ${functionName || "(anonymous)"}`;
  if (url.startsWith("node:")) return url;
  const file = fileOf(url);
  if (!url.includes("/node_modules/")) return file;
  const parts = file.split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * Reads a .cpuprofile and sums self time per function and inclusive time per stage, where a stage is any frame
 * whose function name is one of `stages` (its value is the label to report). Only samples between `fromMs` and
 * `toMs` after the profile's start count (the timed phase, not start-up).
 */
export function summariseProfile(path: string, stages: ReadonlyMap<string, string>, range: { fromMs: number; toMs: number }, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfUs = new Map<string, number>();
  const stageUs = new Map<string, number>();
  const moduleUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let atUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    atUs += delta;
    if (atUs < range.fromMs * 1000 || atUs > range.toMs * 1000) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    totalUs += delta;
    if (node.callFrame.functionName === "(idle)") {
      idleUs += delta;
      continue;
    }
    const name = frameName(node);
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
    const module = moduleName(node);
    moduleUs.set(module, (moduleUs.get(module) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const label = stages.get(byId.get(id)!.callFrame.functionName);
      if (label !== undefined && !seen.has(label)) {
        seen.add(label);
        stageUs.set(label, (stageUs.get(label) ?? 0) + delta);
      }
    }
  }
  const ms = (us: number) => Number((us / 1000).toFixed(1));
  const share = (us: number) => Number((us / Math.max(1, totalUs)).toFixed(4));
  return {
    profiledMs: ms(totalUs),
    busyShare: share(totalUs - idleUs),
    self: [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: ms(us), share: share(us) })),
    modules: [...moduleUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([module, us]) => ({ module, ms: ms(us), share: share(us) })),
    stages: [...stageUs.entries()].sort((a, b) => b[1] - a[1]).map(([stage, us]) => ({ stage, ms: ms(us), share: share(us) })),
  };
}
