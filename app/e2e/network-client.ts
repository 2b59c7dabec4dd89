/**
 * Starting, driving and stopping the network process (network.ts) from the test runner or bench:web.
 * Node-only, no repository imports, so Playwright's loader and Node's type stripping both take it as is.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const readyMarker = "TWINLEDGER_E2E_READY ";
/** The environment variable through which global setup hands the network to the test workers. */
export const networkEnvVar = "TWINLEDGER_E2E_NETWORK";

export interface NetworkInfo {
  appUrl: string;
  rpcUrl: string;
  chainId: number;
  addresses: Record<string, `0x${string}`>;
  twinUrl?: string;
  controlUrl: string;
  dataDir: string;
}

/** A round's summary as the control endpoint sends it (bigints as decimal strings). */
export interface RoundSummaryJson {
  roundId: string;
  status: string;
  verdict: string;
  deployedVersion: string;
  participants: number;
  seconds: number;
}

export interface RunningNetwork {
  info: NetworkInfo;
  logPath: string;
  stop(): Promise<void>;
}

export interface NetworkOptions {
  devices?: number;
  /** Rounds run before the network reports ready (so a version is deployed). */
  rounds?: number;
  roundSeconds?: number;
  telemetryRate?: number;
  /** Covers a production build of the app (minutes on 2 busy cores), the network's start and the first rounds. */
  timeoutMs?: number;
  logPath?: string;
  /** Echo the network's log lines to this process's stderr. */
  echo?: boolean;
}

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The repository's Node 22 (type stripping), also when this runs under an older node. */
function node22(): string {
  const major = Number(process.versions.node.split(".")[0]);
  const bundled = join(repositoryRoot, "node_modules", ".bin", "node");
  return major >= 22 || !existsSync(bundled) ? process.execPath : bundled;
}

export async function startNetwork(options: NetworkOptions = {}): Promise<RunningNetwork> {
  const logPath = options.logPath ?? join(tmpdir(), `twinledger-e2e-network-${process.pid}.log`);
  const logFile = createWriteStream(logPath);
  const args = [
    join(repositoryRoot, "app", "e2e", "network.ts"),
    "--devices", String(options.devices ?? 6),
    "--rounds", String(options.rounds ?? 1),
    "--round-seconds", String(options.roundSeconds ?? 40),
    "--telemetry-rate", String(options.telemetryRate ?? 10),
    "--stop-with-stdin",
  ];
  // stdin stays a pipe: the network stops itself when this process goes away without stopping it.
  const child = spawn(node22(), args, { cwd: repositoryRoot, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  let tail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    logFile.write(chunk);
    tail = (tail + chunk.toString()).slice(-6_000);
    if (options.echo) process.stderr.write(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const info = await new Promise<NetworkInfo>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the e2e network was not ready within ${(options.timeoutMs ?? 900_000) / 1000} s (log: ${logPath}):\n${tail}`));
    }, options.timeoutMs ?? 900_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((candidate) => candidate.startsWith(readyMarker));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(readyMarker.length)) as NetworkInfo);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the e2e network exited (code ${code}) before it was ready (log: ${logPath}):\n${tail}`));
    });
  });
  return {
    info,
    logPath,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        // Stopping oracles, fleet, gateways, twins, IPFS nodes and the chain takes a few seconds.
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        await exited;
        clearTimeout(killer);
      }
      logFile.end();
    },
  };
}

/** Runs one federated round on the network and resolves when the chain has decided it. */
export async function runRound(controlUrl: string): Promise<RoundSummaryJson> {
  const response = await fetch(`${controlUrl}/round`, { method: "POST", signal: AbortSignal.timeout(300_000) });
  const body = (await response.json()) as RoundSummaryJson | { error: string };
  if (!response.ok || "error" in body) throw new Error(`POST /round: ${response.status} ${"error" in body ? body.error : ""}`);
  return body;
}

/** The network global setup started (in a test worker). */
export function networkFromEnvironment(): NetworkInfo {
  const text = process.env[networkEnvVar];
  if (!text) throw new Error(`${networkEnvVar} is not set: run the tests through app/playwright.config.ts (its global setup starts the network)`);
  return JSON.parse(text) as NetworkInfo;
}
