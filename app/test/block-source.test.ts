// @vitest-environment node
/**
 * The app server's block source against a real IPFS node serving the Kubo RPC API (js-ipfs in its own process, as in
 * the root tests): a network on an external node (IPFS_API_URL) has no trustless gateways, so the app reads raw
 * blocks through the node's `block/get`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kuboCidOf } from "../../lib/ipfs/kubo-cid.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { checkBlock } from "../../lib/ipfs/verify-block.ts";
import { startIpfsRpcNode, type IpfsRpcNode } from "../../test/helpers/ipfs-rpc-node.ts";
import { GET } from "@/app/api/ipfs/[cid]/route";
import { fetchRawBlock } from "@/lib/block-source";
import { deployment } from "./fixtures/deployment";

describe("raw blocks from an external node's RPC API", () => {
  const dir = mkdtempSync(join(tmpdir(), "twinledger-app-rpc-"));
  let node: IpfsRpcNode;
  let store: ContentStore;
  let cid: string;

  beforeAll(async () => {
    node = await startIpfsRpcNode(join(dir, "repo"));
    ({ store } = await openContentStore({ dataDir: join(dir, "unused"), apiUrl: node.apiUrl }));
    cid = await store.addFile(new TextEncoder().encode("hello world\n"));
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gets the block the node stored, bytes that hash to its CID, past a gateway that is down", async () => {
    const bytes = await fetchRawBlock({ ipfsGateways: ["http://127.0.0.1:9"], ipfsApiUrl: node.apiUrl }, cid);
    expect(bytes).toBeDefined();
    expect(await checkBlock(CID.parse(cid), new Uint8Array(bytes!))).toEqual({ ok: true });
  });

  it("serves it from the /api/ipfs route of an app configured with the node only", async () => {
    const config = join(dir, "app.json");
    writeFileSync(config, JSON.stringify({ rpcUrl: "http://127.0.0.1:8545", deployment, ipfsApiUrl: node.apiUrl }));
    process.env.TWINLEDGER_APP_CONFIG = config;
    try {
      const response = await GET(new NextRequest(`http://app.invalid/api/ipfs/${cid}`), { params: Promise.resolve({ cid }) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/vnd.ipld.raw");
      expect(await checkBlock(CID.parse(cid), new Uint8Array(await response.arrayBuffer()))).toEqual({ ok: true });
    } finally {
      delete process.env.TWINLEDGER_APP_CONFIG;
    }
  });

  it("answers 404 with the CID for a block nobody holds", async () => {
    const unknown = (await kuboCidOf(new TextEncoder().encode("held by nobody\n"))).toString();
    const config = join(dir, "app-missing.json");
    writeFileSync(config, JSON.stringify({ rpcUrl: "http://127.0.0.1:8545", deployment, ipfsApiUrl: node.apiUrl }));
    process.env.TWINLEDGER_APP_CONFIG = config;
    try {
      const response = await GET(new NextRequest(`http://app.invalid/api/ipfs/${unknown}`), { params: Promise.resolve({ cid: unknown }) });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { message: string }).message).toContain(unknown);
    } finally {
      delete process.env.TWINLEDGER_APP_CONFIG;
    }
  }, 20_000);
});
