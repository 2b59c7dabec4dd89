import { expect } from "chai";
import { after, before, describe, it } from "node:test";
import { MemoryBlockstore } from "blockstore-core/memory";
import { importer } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { startGatewayServer, type GatewayServer } from "../../lib/ipfs/gateway-server.ts";
import { kuboCidOf, kuboImporterOptions } from "../../lib/ipfs/kubo-cid.ts";

describe("trustless gateway server (raw blocks)", () => {
  const blockstore = new MemoryBlockstore();
  let gateway: GatewayServer;
  let cid: string;
  let block: Uint8Array;

  before(async () => {
    let root: CID | undefined;
    for await (const entry of importer([{ content: new TextEncoder().encode("hello world\n") }], blockstore, kuboImporterOptions)) root = entry.cid;
    cid = root!.toString();
    const chunks: Uint8Array[] = [];
    for await (const chunk of blockstore.get(root!)) chunks.push(chunk);
    block = Buffer.concat(chunks);
    gateway = await startGatewayServer(blockstore, 0);
  });

  after(async () => {
    await gateway.close();
  });

  it("serves a stored block for Accept: application/vnd.ipld.raw, and its bytes hash to the CID", async () => {
    const response = await fetch(`${gateway.url}/ipfs/${cid}`, { headers: { accept: "application/vnd.ipld.raw" } });
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    const body = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.compare(body, block)).to.equal(0);
    const digest = await sha256.digest(body);
    expect(Buffer.compare(digest.bytes, (await kuboCidOf(new TextEncoder().encode("hello world\n"))).multihash.bytes)).to.equal(0);
    expect(cid).to.equal("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  });

  it("serves ?format=raw and HEAD", async () => {
    expect((await fetch(`${gateway.url}/ipfs/${cid}?format=raw`)).status).to.equal(200);
    const head = await fetch(`${gateway.url}/ipfs/${cid}?format=raw`, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(head.headers.get("content-length")).to.equal(String(block.length));
    expect((await head.arrayBuffer()).byteLength).to.equal(0);
  });

  it("answers 404 for absent blocks, 406 for non-verifiable formats, 400 for bad requests, and /health", async () => {
    const absent = (await kuboCidOf(new TextEncoder().encode("absent"))).toString();
    expect((await fetch(`${gateway.url}/ipfs/${absent}?format=raw`)).status).to.equal(404);
    expect((await fetch(`${gateway.url}/ipfs/${absent}?format=raw`, { method: "HEAD" })).status).to.equal(404);
    expect((await fetch(`${gateway.url}/ipfs/${cid}`)).status).to.equal(406);
    expect((await fetch(`${gateway.url}/ipfs/${cid}?format=car`)).status).to.equal(406);
    expect((await fetch(`${gateway.url}/ipfs/not-a-cid?format=raw`)).status).to.equal(400);
    expect((await fetch(`${gateway.url}/ipfs/${cid}/a/path?format=raw`)).status).to.equal(400);
    expect((await fetch(`${gateway.url}/ipfs/${cid}?format=raw`, { method: "POST" })).status).to.equal(405);
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).to.equal(200);
    expect(await health.text()).to.equal("ok\n");
  });
});
