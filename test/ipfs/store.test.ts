import { expect } from "chai";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { MemoryBlockstore } from "blockstore-core/memory";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { kuboCidOf } from "../../lib/ipfs/kubo-cid.ts";
import { openContentStore } from "../../lib/ipfs/store.ts";
import { deterministicBytes } from "./fixtures/content.ts";

const text = (value: string) => new TextEncoder().encode(value);
const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "twinledger-ipfs-"));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("embedded content store: Kubo-identical CIDs", () => {
  it("gives the CIDs `ipfs add` gives (hello world, empty file, Kubo's sharness vectors)", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      expect(await store.addFile(text("hello world\n"))).to.equal("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
      expect(await store.addFile(new Uint8Array())).to.equal("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
      // kubo test/sharness/t0040-add-and-cat.sh: printf "Hello Neptune!\nHello Pluton!" | ipfs add
      expect(await store.addFile(text("Hello Neptune!\nHello Pluton!"))).to.equal("QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3");
    } finally {
      await store.close();
    }
  });

  it("round-trips a multi-chunk file whose CID equals kuboCidOf", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      const bytes = deterministicBytes(1 << 20, 42); // four 256 KiB chunks under one root
      const cid = await store.addFile(bytes);
      expect(cid).to.equal((await kuboCidOf(bytes)).toString());
      expect(cid).to.match(/^Qm/);
      expect(Buffer.compare(await store.cat(cid), bytes)).to.equal(0);
    } finally {
      await store.close();
    }
  });

  it("gives the directory CID `ipfs add -r` gives (Kubo's planets vector), whatever the input order", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      // kubo test/sharness/t0040-add-and-cat.sh: `ipfs add -r mountdir/planets` → PLANETS
      const planets = await store.addDirectory([
        { path: "venus.txt", content: text("Hello Venus!\n") },
        { path: "mars.txt", content: text("Hello Mars!\n") },
      ]);
      expect(planets).to.equal("QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY");
      expect(new TextDecoder().decode(await store.cat(planets, "mars.txt"))).to.equal("Hello Mars!\n");
      expect(new TextDecoder().decode(await store.cat(planets, "venus.txt"))).to.equal("Hello Venus!\n");
      // The file inside the directory is the file `ipfs add` gives on its own (MARS in the same script).
      expect(await store.addFile(text("Hello Mars!\n"))).to.equal("QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN");
    } finally {
      await store.close();
    }
  });

  it("builds nested directories like the importer with Kubo's settings, and reads files by nested path", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      const files = [
        { path: "model.json", content: text('{"layers":3}') },
        { path: "weights/0.bin", content: deterministicBytes(300_000, 3) },
        { path: "weights/1.bin", content: deterministicBytes(10, 4) },
      ];
      const cid = await store.addDirectory(files);
      let expected: string | undefined;
      const entries = importer(files, new MemoryBlockstore(), {
        cidVersion: 0,
        rawLeaves: false,
        chunker: fixedSize({ chunkSize: 262_144 }),
        layout: balanced({ maxChildrenPerNode: 174 }),
        reduceSingleLeafToSelf: true,
        wrapWithDirectory: true,
      });
      for await (const entry of entries) if (entry.path === "") expected = entry.cid.toString();
      expect(cid).to.equal(expected);
      expect(Buffer.compare(await store.cat(cid, "weights/0.bin"), files[1]!.content)).to.equal(0);
      expect(new TextDecoder().decode(await store.cat(cid, "model.json"))).to.equal('{"layers":3}');
      await expectRejection(store.cat(cid, "weights"), /is a directory/);
      await expectRejection(store.cat(cid, "missing.txt"), new RegExp(`${cid}/missing.txt`));
    } finally {
      await store.close();
    }
  });

  it("rejects bad inputs with clear errors", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      await expectRejection(store.addDirectory([]), /at least one file/);
      await expectRejection(store.addDirectory([{ path: "/abs.txt", content: text("x") }]), /must be relative/);
      await expectRejection(store.addDirectory([{ path: "a/../b", content: text("x") }]), /"\.\."/);
      await expectRejection(
        store.addDirectory([
          { path: "a", content: text("x") },
          { path: "a", content: text("y") },
        ]),
        /duplicate path/,
      );
      await expectRejection(
        store.addDirectory([
          { path: "a", content: text("x") },
          { path: "a/b", content: text("y") },
        ]),
        /both a file and the folder/,
      );
      await expectRejection(store.cat("not-a-cid"), /not a valid CID/);
      await expectRejection(store.cat("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", undefined, { timeoutMs: -1 }), /timeoutMs/);
    } finally {
      await store.close();
    }
    await expectRejection(openContentStore({ dataDir: await tempDir(), peers: ["ftp://example"] }), /http\(s\)/);
  });
});

describe("embedded content store: persistence and timeouts", () => {
  it("keeps blocks on disk: after close and reopen on the same dataDir, cat works without peers", async () => {
    const dataDir = await tempDir();
    const bytes = deterministicBytes(600_000, 9);
    const first = await openContentStore({ dataDir });
    const cid = await first.store.addFile(bytes);
    const dirCid = await first.store.addDirectory([{ path: "model.bin", content: bytes }]);
    await first.store.close();

    const second = await openContentStore({ dataDir });
    try {
      expect(Buffer.compare(await second.store.cat(cid, undefined, { timeoutMs: 2_000 }), bytes)).to.equal(0);
      expect(Buffer.compare(await second.store.cat(dirCid, "model.bin", { timeoutMs: 2_000 }), bytes)).to.equal(0);
    } finally {
      await second.store.close();
    }
  });

  it("in memory: same CIDs and reads, nothing written under dataDir, nothing left after close", async () => {
    const dataDir = await tempDir();
    const bytes = deterministicBytes(600_000, 9);
    const first = await openContentStore({ dataDir, inMemory: true });
    const cid = await first.store.addFile(bytes);
    expect(cid).to.equal((await kuboCidOf(bytes)).toString());
    expect(Buffer.compare(await first.store.cat(cid), bytes)).to.equal(0);
    await first.store.close();
    expect(await readdir(dataDir)).to.deep.equal([]);

    const second = await openContentStore({ dataDir, inMemory: true });
    try {
      await expectRejection(second.store.cat(cid, undefined, { timeoutMs: 2_000 }), new RegExp(`${cid}.*no peers are configured`));
    } finally {
      await second.store.close();
    }
  });

  it("rejects a CID nobody has, naming it, without waiting when there are no peers", async () => {
    const { store } = await openContentStore({ dataDir: await tempDir() });
    try {
      const absent = (await kuboCidOf(text("never added anywhere"))).toString();
      const started = Date.now();
      await expectRejection(store.cat(absent, undefined, { timeoutMs: 3_000 }), new RegExp(`${absent}.*no peers are configured`));
      expect(Date.now() - started).to.be.below(3_000);
    } finally {
      await store.close();
    }
  });

  it("gives up after timeoutMs, naming the CID, when peers never serve the block", async () => {
    // A peer that accepts the connection but never answers: the worst case for hanging.
    const { createServer } = await import("node:http");
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    const { store } = await openContentStore({ dataDir: await tempDir(), peers: [`http://127.0.0.1:${port}`] });
    try {
      const absent = (await kuboCidOf(text("held back by a silent peer"))).toString();
      const started = Date.now();
      await expectRejection(store.cat(absent, undefined, { timeoutMs: 800 }), new RegExp(`timed out after 800 ms reading ${absent}`));
      const elapsed = Date.now() - started;
      expect(elapsed).to.be.at.least(750);
      expect(elapsed).to.be.below(2_500);
    } finally {
      await store.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected a rejection matching ${pattern}`).to.be.instanceOf(Error);
  expect((error as Error).message).to.match(pattern);
}
