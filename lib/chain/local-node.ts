import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { stopChildProcess } from "../process.ts";

export type NodeKind = "hardhat" | "anvil";

export interface LocalNode {
  kind: NodeKind;
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `port` when it is free on 127.0.0.1, else a free one: a preferred port (the web app's 3000) another program holds. */
export async function preferredPort(port: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
  return free ? port : freePort();
}

/** `count` distinct TCP ports on 127.0.0.1, all held open together while they are picked so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function commandFor(kind: NodeKind, port: number, statePath: string | undefined): { command: string; args: string[] } {
  if (kind === "anvil") {
    const packageRoot = dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json"));
    // --state loads the file when it exists and dumps to it on exit (and every second), so a restart keeps the chain.
    const state = statePath === undefined ? [] : ["--state", statePath, "--state-interval", "1"];
    // Run the binary itself (not through npx) so the PID we hold is anvil's.
    return { command: join(packageRoot, "bin", "anvil"), args: ["--host", "127.0.0.1", "--port", String(port), "--hardfork", "prague", "--silent", ...state] };
  }
  if (statePath !== undefined) throw new Error("only Anvil can keep its state across restarts (statePath)");
  const cli = join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");
  return { command: process.execPath, args: [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)] };
}

async function waitForRpc(rpcUrl: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`node exited with code ${child.exitCode} before answering:\n${output()}`);
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`node at ${rpcUrl} did not answer within ${timeoutMs} ms:\n${output()}`);
}

/** Starts a local EVM node (Hardhat's EDR or Anvil) on a free loopback port and waits until it answers. */
export async function startLocalNode(kind: NodeKind, options: { port?: number; timeoutMs?: number; statePath?: string } = {}): Promise<LocalNode> {
  const port = options.port ?? (await freePort());
  const { command, args } = commandFor(kind, port, options.statePath);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const rpcUrl = `http://127.0.0.1:${port}`;
  // Anvil writes its final state on SIGINT (Ctrl-C) only; SIGTERM ends it at once with the last interval dump, up to
  // a second old, so a window anchored in that second would vanish from a restarted chain.
  const stop = () => stopChildProcess(child, { graceMs: 3000, signal: kind === "anvil" ? "SIGINT" : "SIGTERM" });
  try {
    await waitForRpc(rpcUrl, child, options.timeoutMs ?? 60_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { kind, rpcUrl, port, process: child, stop };
}
