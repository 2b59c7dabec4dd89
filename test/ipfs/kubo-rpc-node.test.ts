/**
 * The Kubo path (IPFS_API_URL → lib/ipfs/kubo-store.ts through kubo-rpc-client) against a real IPFS node serving the
 * Kubo RPC API in its own process: js-ipfs (test/helpers/ipfs-rpc-node.ts), since no Kubo binary installs here. Its
 * answers are a real node's: CIDs it computed, blocks it stored, errors it raised.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { publishModel, loadVerifiedModel } from "../../lib/fl/model-store.ts";
import { kuboCidOf } from "../../lib/ipfs/kubo-cid.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { buildModel, flattenWeights } from "../../lib/model/model.ts";
import { initTf } from "../../lib/model/tf.ts";
import { startIpfsRpcNode, type IpfsRpcNode } from "../helpers/ipfs-rpc-node.ts";
import { deterministicBytes } from "./fixtures/content.ts";

const text = (value: string) => new TextEncoder().encode(value);

describe("Kubo adapter against a real IPFS node's RPC API (js-ipfs in its own process)", { timeout: 120_000 }, () => {
  let dir: string;
  let node: IpfsRpcNode;
  let kubo: ContentStore;
  let embedded: ContentStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "twinledger-rpc-node-"));
    node = await startIpfsRpcNode(join(dir, "repo"));
    ({ store: kubo } = await openContentStore({ dataDir: join(dir, "unused"), apiUrl: node.apiUrl }));
    ({ store: embedded } = await openContentStore({ dataDir: join(dir, "embedded") }));
  });

  after(async () => {
    await kubo?.close();
    await embedded?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("gets the CIDs `ipfs add` gives from the node itself (hello world, empty file, Kubo's sharness vector)", async () => {
    expect(await kubo.addFile(text("hello world\n"))).to.equal("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
    expect(await kubo.addFile(new Uint8Array())).to.equal("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
    expect(await kubo.addFile(text("Hello Neptune!\nHello Pluton!"))).to.equal("QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3");
  });

  it("stores a multi-chunk file under the embedded node's CID and reads it back whole", async () => {
    const bytes = deterministicBytes(1 << 20, 11);
    const cid = await kubo.addFile(bytes);
    expect(cid).to.equal((await kuboCidOf(bytes)).toString());
    expect(cid).to.equal(await embedded.addFile(bytes));
    expect(Buffer.compare(await kubo.cat(cid), bytes)).to.equal(0);
  });

  it("wraps a directory with nested paths under the embedded node's CID (Kubo's planets vector) and reads files by path", async () => {
    const planets = [
      { path: "venus.txt", content: text("Hello Venus!\n") },
      { path: "mars.txt", content: text("Hello Mars!\n") },
    ];
    expect(await kubo.addDirectory(planets)).to.equal("QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY");
    const nested = [
      { path: "model.json", content: text('{"format":"layers-model"}') },
      { path: "shards/group1-shard1of1.bin", content: deterministicBytes(300_000, 3) },
    ];
    const cid = await kubo.addDirectory(nested);
    expect(cid).to.equal(await embedded.addDirectory(nested));
    expect(new TextDecoder().decode(await kubo.cat(cid, "model.json"))).to.equal('{"format":"layers-model"}');
    expect(Buffer.compare(await kubo.cat(cid, "shards/group1-shard1of1.bin"), nested[1]!.content)).to.equal(0);
  });

  it("keeps a TF.js model loadable by CID and checked against its weights hash; other bytes are refused", async () => {
    const tf = await initTf();
    const model = buildModel(tf, { kind: "regression", inputSize: 6, hidden: [8], outputSize: 1, learningRate: 0.01 }, 5);
    const published = await publishModel(kubo, model);
    // Another client of the same node (as another process would be) loads it.
    const { store: reader } = await openContentStore({ dataDir: join(dir, "unused"), apiUrl: node.apiUrl });
    try {
      const loaded = await loadVerifiedModel(tf, reader, published.cid, published.weightsHash);
      expect(Array.from(loaded.weights)).to.deep.equal(Array.from(flattenWeights(model)));
      loaded.model.dispose();
      const wrongHash = `0x${"11".repeat(32)}` as const;
      const refusal = await loadVerifiedModel(tf, reader, published.cid, wrongHash).then(() => "loaded", (error: Error) => error.message);
      expect(refusal).to.match(/hashes to 0x[0-9a-f]{64}, but the chain records 0x1111.*refusing it/);
    } finally {
      await reader.close();
      model.dispose();
    }
  });

  it("names the CID and path when the node cannot serve them", async () => {
    const planets = "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY";
    const missingPath = await kubo.cat(planets, "pluto.txt").then(() => "read", (error: Error) => error.message);
    expect(missingPath).to.contain(`${planets}/pluto.txt`);
    // Content no node holds: the offline node cannot find it, and the read gives up at its deadline.
    const unknown = await kuboCidOf(text("held by nobody\n"));
    const missingContent = await kubo.cat(unknown.toString(), undefined, { timeoutMs: 1_500 }).then(() => "read", (error: Error) => error.message);
    expect(missingContent).to.contain(unknown.toString());
  });
});
