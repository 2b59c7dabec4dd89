import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { openContentStore } from "../../lib/ipfs/store.ts";
import { stopChildProcess } from "../../lib/process.ts";
import { childFileText, childModelBytes } from "./fixtures/content.ts";

interface ChildStore {
  fileCid: string;
  dirCid: string;
  gatewayUrl: string;
}

const fixture = fileURLToPath(new URL("./fixtures/serve-store.ts", import.meta.url));
const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "twinledger-ipfs-"));
  tempDirs.push(dir);
  return dir;
}

/** Starts the fixture in its own Node process and waits for the JSON line announcing its CIDs and gateway. */
async function startChildStore(dataDir: string): Promise<{ child: ChildProcess; info: ChildStore }> {
  const child = spawn(process.execPath, [fixture, dataDir], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<ChildStore>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child store did not start within 30 s:\n${stderr}`)), 30_000);
    child.once("exit", (code) => reject(new Error(`child store exited with ${code}:\n${stderr}`)));
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as ChildStore);
    });
  });
  return { child, info };
}


/** A peer that claims every block and serves the wrong bytes for it. */
async function startLyingGateway(): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    const body = Buffer.from("these are not the bytes you hashed\n");
    response.writeHead(200, { "content-type": "application/vnd.ipld.raw", "content-length": body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function rawBlock(gatewayUrl: string, cid: string): Promise<Response> {
  return fetch(`${gatewayUrl}/ipfs/${cid}`, { headers: { accept: "application/vnd.ipld.raw" } });
}

describe("content store across processes (trustless gateway on loopback)", () => {
  let child: ChildProcess;
  let remote: ChildStore;

  before(async () => {
    ({ child, info: remote } = await startChildStore(await tempDir()));
  });

  after(async () => {
    await stopChildProcess(child);
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("reads a file and a directory entry that another process added, into its own data directory", async () => {
    expect(remote.gatewayUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { store } = await openContentStore({ dataDir: await tempDir(), peers: [remote.gatewayUrl] });
    try {
      expect(new TextDecoder().decode(await store.cat(remote.fileCid, undefined, { timeoutMs: 10_000 }))).to.equal(childFileText);
      const model = await store.cat(remote.dirCid, "model.bin", { timeoutMs: 10_000 });
      expect(Buffer.compare(model, childModelBytes())).to.equal(0);
      expect(new TextDecoder().decode(await store.cat(remote.dirCid, "meta/info.txt"))).to.equal(childFileText);
    } finally {
      await store.close();
    }
  });

  it("stores fetched blocks locally, so the reader can re-serve them, while its gateway never fetches on a peer's behalf", async () => {
    const dataDir = await tempDir();
    const { store, gatewayUrl } = await openContentStore({ dataDir, peers: [remote.gatewayUrl], gatewayPort: 0 });
    try {
      // Not yet fetched: this node's gateway answers 404 instead of asking its own peers (no loops between peers).
      expect((await rawBlock(gatewayUrl!, remote.fileCid)).status).to.equal(404);
      await store.cat(remote.fileCid);
      const served = await rawBlock(gatewayUrl!, remote.fileCid);
      expect(served.status).to.equal(200);
      expect(served.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
      const direct = await rawBlock(remote.gatewayUrl, remote.fileCid);
      expect(Buffer.compare(Buffer.from(await served.arrayBuffer()), Buffer.from(await direct.arrayBuffer()))).to.equal(0);
    } finally {
      await store.close();
    }
    // And the fetched block survives a restart without any peer.
    const reopened = await openContentStore({ dataDir });
    try {
      expect(new TextDecoder().decode(await reopened.store.cat(remote.fileCid, undefined, { timeoutMs: 2_000 }))).to.equal(childFileText);
    } finally {
      await reopened.store.close();
    }
  });

  it("rejects blocks whose bytes do not hash to their CID, naming the CID, and does not store them", async () => {
    const liar = await startLyingGateway();
    const dataDir = await tempDir();
    try {
      const { store } = await openContentStore({ dataDir, peers: [liar.url] });
      try {
        let error: Error | undefined;
        await store.cat(remote.fileCid, undefined, { timeoutMs: 1_500 }).catch((caught: Error) => (error = caught));
        expect(error, "cat must reject tampered blocks").to.be.instanceOf(Error);
        expect(error!.message).to.contain(remote.fileCid);
        expect(liar.requests.length, "the lying peer was asked").to.be.above(0);
        expect(liar.requests[0]).to.contain(remote.fileCid);
      } finally {
        await store.close();
      }
      const offline = await openContentStore({ dataDir });
      try {
        const result = await offline.store.cat(remote.fileCid, undefined, { timeoutMs: 1_000 }).then(
          () => "read",
          (caught: Error) => caught.message,
        );
        expect(result).to.match(/not stored locally/);
      } finally {
        await offline.store.close();
      }
    } finally {
      await closeServer(liar.server);
    }
  });

  it("gets the right bytes when one peer lies and another is honest", async () => {
    const liar = await startLyingGateway();
    try {
      const { store } = await openContentStore({ dataDir: await tempDir(), peers: [liar.url, remote.gatewayUrl] });
      try {
        const model = await store.cat(remote.dirCid, "model.bin", { timeoutMs: 10_000 });
        expect(Buffer.compare(model, childModelBytes())).to.equal(0);
      } finally {
        await store.close();
      }
    } finally {
      await closeServer(liar.server);
    }
  });
});
