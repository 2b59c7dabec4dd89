/**
 * The Kubo adapter's REQUEST BUILDING, checked against a local HTTP server that records requests and answers in the
 * shape of Kubo's RPC API. This is not a Kubo node and proves nothing about Kubo's answers (no Kubo daemon can run in
 * this environment); it proves the adapter asks Kubo for `ipfs add` defaults, `add -r` wrapping and path-based cat.
 */
import { expect } from "chai";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";

interface Recorded {
  method: string;
  url: URL;
  contentType: string;
  body: string;
}

const DIR_CID = "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY";
const FILE_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

describe("Kubo adapter request building (recording HTTP server, not a real Kubo)", () => {
  const recorded: Recorded[] = [];
  let server: Server;
  let apiUrl: string;
  let store: ContentStore;
  let silent = false;

  before(async () => {
    server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const url = new URL(request.url ?? "/", "http://recorder.invalid");
        recorded.push({ method: request.method ?? "", url, contentType: request.headers["content-type"] ?? "", body });
        if (silent) return; // never answer: the adapter must time out on its own
        if (url.pathname === "/api/v0/add") {
          const wrapped = url.searchParams.get("wrap-with-directory") === "true";
          const lines = wrapped
            ? [{ Name: "mars.txt", Hash: FILE_CID, Size: "20" }, { Name: "", Hash: DIR_CID, Size: "120" }]
            : [{ Name: FILE_CID, Hash: FILE_CID, Size: "20" }];
          response.writeHead(200, { "content-type": "application/json" });
          response.end(lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
        } else if (url.pathname === "/api/v0/cat") {
          response.writeHead(200, { "content-type": "text/plain" });
          response.end("Hello Mars!\n");
        } else {
          response.writeHead(404);
          response.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ({ store } = await openContentStore({ dataDir: "/nonexistent-unused-in-kubo-mode", apiUrl }));
  });

  beforeEach(() => {
    recorded.length = 0;
    silent = false;
  });

  after(async () => {
    await store.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("addFile posts one multipart file to /api/v0/add with Kubo's default add settings spelled out", async () => {
    expect(await store.addFile(new TextEncoder().encode("hello world\n"))).to.equal(FILE_CID);
    expect(recorded).to.have.length(1);
    const request = recorded[0]!;
    expect(request.method).to.equal("POST");
    expect(request.url.pathname).to.equal("/api/v0/add");
    expect(request.url.searchParams.get("cid-version")).to.equal("0");
    expect(request.url.searchParams.get("raw-leaves")).to.equal("false");
    expect(request.url.searchParams.get("chunker")).to.equal("size-262144");
    expect(request.url.searchParams.get("trickle")).to.equal("false");
    expect(request.url.searchParams.get("hash")).to.equal("sha2-256");
    expect(request.url.searchParams.get("wrap-with-directory")).to.equal(null);
    expect(request.contentType).to.match(/^multipart\/form-data; boundary=/);
    expect(request.body).to.contain("\r\n\r\nhello world\n\r\n");
  });

  it("addDirectory sends folders and files with relative names, wraps them, and returns the wrapper's CID", async () => {
    const cid = await store.addDirectory([
      { path: "mars.txt", content: new TextEncoder().encode("Hello Mars!\n") },
      { path: "sub/venus.txt", content: new TextEncoder().encode("Hello Venus!\n") },
    ]);
    expect(cid).to.equal(DIR_CID);
    const request = recorded[0]!;
    expect(request.url.searchParams.get("wrap-with-directory")).to.equal("true");
    expect(request.url.searchParams.get("cid-version")).to.equal("0");
    expect(request.url.searchParams.get("chunker")).to.equal("size-262144");
    expect(request.body).to.match(/filename="sub"\r\nContent-Type: application\/x-directory/);
    expect(request.body).to.match(/filename="mars\.txt"\r\nContent-Type: application\/octet-stream\r\n\r\nHello Mars!\n/);
    expect(request.body).to.match(/filename="sub%2Fvenus\.txt"\r\nContent-Type: application\/octet-stream\r\n\r\nHello Venus!\n/);
    // The folder part must come before the file inside it.
    expect(request.body.indexOf('filename="sub"')).to.be.below(request.body.indexOf('filename="sub%2Fvenus.txt"'));
  });

  it("cat asks for /ipfs/<cid>/<path> and returns the body", async () => {
    const bytes = await store.cat(DIR_CID, "mars.txt");
    expect(new TextDecoder().decode(bytes)).to.equal("Hello Mars!\n");
    expect(recorded[0]!.url.pathname).to.equal("/api/v0/cat");
    expect(recorded[0]!.url.searchParams.get("arg")).to.equal(`/ipfs/${DIR_CID}/mars.txt`);
  });

  it("cat rejects after timeoutMs, naming the CID, when Kubo does not answer", async () => {
    silent = true;
    const started = Date.now();
    const message = await store.cat(FILE_CID, undefined, { timeoutMs: 500 }).then(
      () => "answered",
      (error: Error) => error.message,
    );
    expect(message).to.match(new RegExp(`timed out after 500 ms reading ${FILE_CID}`));
    expect(Date.now() - started).to.be.below(2_000);
  });

  it("is chosen through IPFS_API_URL when apiUrl is not given", async () => {
    const previous = process.env.IPFS_API_URL;
    process.env.IPFS_API_URL = apiUrl;
    try {
      const { store: fromEnv, gatewayUrl } = await openContentStore({ dataDir: "/nonexistent-unused-in-kubo-mode", gatewayPort: 0 });
      expect(gatewayUrl).to.equal(undefined);
      expect(await fromEnv.addFile(new TextEncoder().encode("hello world\n"))).to.equal(FILE_CID);
      expect(recorded[0]!.url.pathname).to.equal("/api/v0/add");
      await fromEnv.close();
    } finally {
      if (previous === undefined) delete process.env.IPFS_API_URL;
      else process.env.IPFS_API_URL = previous;
    }
  });
});
