/**
 * A real IPFS node serving the Kubo RPC API over HTTP on loopback, as a separate process, for tests of the Kubo path
 * (IPFS_API_URL, lib/ipfs/kubo-store.ts). It is js-ipfs (ipfs-core + ipfs-http-server), which implements the same
 * /api/v0 RPC API as Kubo: no Kubo binary can be installed on these machines (its npm package downloads one at
 * install time). Offline: no swarm, no bootstrap peers, no preload; blocks live in a repo on disk.
 *
 *   node test/helpers/ipfs-rpc-node.ts <repo-dir>   → prints {"apiUrl":"http://127.0.0.1:PORT"} once listening
 *
 * Stops on SIGTERM or SIGINT. startIpfsRpcNode() runs it and waits for the address.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stopChildProcess } from "../../lib/process.ts";

export interface IpfsRpcNode {
  apiUrl: string;
  stop(): Promise<void>;
}

/** Starts the node as a child process on a free port and resolves once its API answers. */
export async function startIpfsRpcNode(repoDir: string): Promise<IpfsRpcNode> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), repoDir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the IPFS RPC node did not start within 60 s: ${stderr}`)), 60_000);
    child.once("exit", (code) => reject(new Error(`the IPFS RPC node exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const parsed = JSON.parse(line) as { apiUrl?: unknown };
      if (typeof parsed.apiUrl === "string") {
        clearTimeout(timer);
        resolve(parsed.apiUrl);
      }
    });
  });
  return { apiUrl, stop: () => stopChildProcess(child) };
}

async function serve(repo: string): Promise<void> {
  const { create } = await import("ipfs-core");
  const { HttpApi } = await import("ipfs-http-server");
  const ipfs = await create({
    repo,
    offline: true,
    silent: true,
    preload: { enabled: false },
    config: {
      Bootstrap: [],
      Addresses: { Swarm: [], API: "/ip4/127.0.0.1/tcp/0", Gateway: "", Delegates: [] },
      Discovery: { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } },
    },
  });
  const api = new HttpApi(ipfs);
  await api.start();
  const address = api.apiAddr.nodeAddress();
  console.log(JSON.stringify({ apiUrl: `http://${address.address}:${address.port}` }));
  const stop = () => {
    void api
      .stop()
      .then(() => ipfs.stop())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repo = process.argv[2];
  if (repo === undefined) {
    console.error("usage: node test/helpers/ipfs-rpc-node.ts <repo-dir>");
    process.exit(2);
  }
  await serve(repo);
}
