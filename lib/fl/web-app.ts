/**
 * Serving the consortium web app (app/, Next.js) beside a local network: its configuration file, a production
 * build that is rebuilt only when the app's sources changed, and the `next start` process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment } from "../chain/deployment.ts";
import { freePort } from "../chain/local-node.ts";
import { stopChildProcess } from "../process.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const appDir = join(root, "app");
const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");
// The build folder (next.config.ts distDir): TWINLEDGER_NEXT_DIST lets several builds live side by side.
const buildStamp = () => join(appDir, process.env.TWINLEDGER_NEXT_DIST ?? ".next", "twinledger-source-hash");

/** What app/src/lib/server-config.ts reads (keep the two in step). */
export interface WebAppNetwork {
  rpcUrl: string;
  deployment: Deployment;
  ipfsGateways: string[];
  /** The external IPFS node's Kubo RPC API (IPFS_API_URL), when the network uses one. */
  ipfsApiUrl?: string;
  twinUrl?: string;
  oracleUrls: string[];
}

export function writeWebAppConfig(path: string, network: WebAppNetwork): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(network, null, 2) + "\n");
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(tsx?|css|json)$/.test(entry.name) ? [path] : [];
  });
}

/** A hash of everything the production build depends on: the app's sources, the shared lib/ and the generated hooks. */
export function webAppSourceHash(): string {
  const hash = createHash("sha256");
  const files = [...sourceFiles(join(appDir, "src")), ...sourceFiles(join(root, "lib")), join(appDir, "next.config.ts"), join(root, "package-lock.json")].filter(existsSync).sort();
  for (const file of files) {
    hash.update(relative(root, file));
    hash.update(String(statSync(file).size));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

export function isWebAppBuildCurrent(): boolean {
  return existsSync(buildStamp()) && readFileSync(buildStamp(), "utf8").trim() === webAppSourceHash();
}

/** Runs `next build` unless the last build is of the same sources. Output goes to `onLine`. */
export async function ensureWebAppBuilt(onLine: (line: string) => void = () => {}): Promise<"built" | "current"> {
  const hash = webAppSourceHash();
  if (existsSync(buildStamp()) && readFileSync(buildStamp(), "utf8").trim() === hash) return "current";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build", appDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      for (const line of chunk.toString().split("\n")) if (line.trim()) onLine(line);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}):\n${output}`))));
  });
  writeFileSync(buildStamp(), hash + "\n");
  return "built";
}

export interface WebAppServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the production server (`next start`) on loopback, reading its network from `configPath`. */
export async function startWebApp(options: { configPath: string; port?: number; timeoutMs?: number }): Promise<WebAppServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [nextBin, "start", appDir, "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TWINLEDGER_APP_CONFIG: options.configPath, NEXT_TELEMETRY_DISABLED: "1" },
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the web app exited (code ${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/api/config`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
      if (response.status === 503) throw new Error(`the web app cannot read its network configuration: ${JSON.stringify(await response.json())}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("the web app cannot")) {
        await stopChildProcess(child);
        throw error;
      }
    }
    if (Date.now() > deadline) {
      await stopChildProcess(child);
      throw new Error(`the web app did not answer on ${url} within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, process: child, stop: () => stopChildProcess(child) };
}
