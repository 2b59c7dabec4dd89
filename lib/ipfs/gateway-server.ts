/**
 * A minimal trustless HTTP gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) serving raw blocks of
 * one local blockstore, so other twinledger processes can fetch and verify them. It serves only what is stored
 * locally and never asks peers, so two nodes that list each other as peers cannot loop.
 *
 *   GET|HEAD /ipfs/<cid>?format=raw              → the block (application/vnd.ipld.raw), 404 if not stored here
 *   GET|HEAD /ipfs/<cid>  Accept: application/vnd.ipld.raw
 *   GET /health                                  → 200 "ok"
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Blockstore } from "interface-blockstore";
import { CID } from "multiformats/cid";
import { concatChunks, errorMessage } from "./inputs.ts";

export const RAW_BLOCK_TYPE = "application/vnd.ipld.raw";

export interface GatewayServer {
  /** e.g. "http://127.0.0.1:41234" — what other processes pass as a peer. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Only a bare CID is accepted: path resolution would need this gateway to walk DAGs, which block fetching never asks for. */
function parseBlockRequest(url: URL): CID | { error: string; status: number } {
  const match = /^\/ipfs\/([^/]+)\/?$/.exec(url.pathname);
  if (!match) return { status: 400, error: "expected /ipfs/<cid> (this gateway serves single raw blocks, no paths)" };
  try {
    return CID.parse(decodeURIComponent(match[1]!));
  } catch (error) {
    return { status: 400, error: `invalid CID: ${errorMessage(error)}` };
  }
}

function wantsRawBlock(request: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get("format");
  if (format !== null) return format === "raw";
  const accept = request.headers.accept ?? "";
  return accept.split(",").some((part) => part.split(";")[0]!.trim() === RAW_BLOCK_TYPE);
}

function sendText(response: ServerResponse, status: number, text: string, headOnly: boolean): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(headOnly ? undefined : text);
}

async function handle(blockstore: Blockstore, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://gateway.invalid");
  const headOnly = request.method === "HEAD";
  if (request.method !== "GET" && !headOnly) {
    response.setHeader("allow", "GET, HEAD");
    sendText(response, 405, "method not allowed\n", false);
    return;
  }
  if (url.pathname === "/health") {
    sendText(response, 200, "ok\n", headOnly);
    return;
  }
  const parsed = parseBlockRequest(url);
  if (!(parsed instanceof CID)) {
    sendText(response, parsed.status, `${parsed.error}\n`, headOnly);
    return;
  }
  if (!wantsRawBlock(request, url)) {
    // A trustless gateway must only answer with verifiable types; CAR is not implemented here.
    sendText(response, 406, `only ${RAW_BLOCK_TYPE} (or ?format=raw) is served\n`, headOnly);
    return;
  }
  if (!(await blockstore.has(parsed))) {
    sendText(response, 404, `block ${parsed.toString()} is not stored on this node\n`, headOnly);
    return;
  }
  const block = await concatChunks(toAsync(blockstore.get(parsed)));
  response.writeHead(200, {
    "content-type": RAW_BLOCK_TYPE,
    "content-length": block.length,
    "cache-control": "public, max-age=29030400, immutable",
    etag: `"${parsed.toString()}.raw"`,
    "x-content-type-options": "nosniff",
  });
  response.end(headOnly ? undefined : block);
}

async function* toAsync(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* source;
}

/** Starts serving `blockstore` on 127.0.0.1:`port` (0 = any free port). */
export async function startGatewayServer(blockstore: Blockstore, port: number): Promise<GatewayServer> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`gatewayPort must be an integer in 0..65535, got ${port}`);
  const server = createServer((request, response) => {
    handle(blockstore, request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else sendText(response, 500, `${errorMessage(error)}\n`, request.method === "HEAD");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections from peers would otherwise hold the server (and the process) open.
        server.closeAllConnections();
      }),
  };
}
