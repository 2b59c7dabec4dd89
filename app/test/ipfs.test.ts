// @vitest-environment node
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryBlockstore } from "blockstore-core/memory";
import { importer } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { kuboImporterOptions } from "../../lib/ipfs/kubo-cid.ts";
import { catJson, catVerified, IpfsError } from "@/lib/ipfs";

/** Stores files the way the network's nodes do (Kubo's importer settings) and answers /api/ipfs like the route. */
async function network(files: { path: string; content: Uint8Array }[], wrap: boolean) {
  const blockstore = new MemoryBlockstore();
  let root = "";
  for await (const entry of importer(files, blockstore, { ...kuboImporterOptions, wrapWithDirectory: wrap })) root = entry.cid.toString();
  const tampered = new Set<string>();
  vi.stubGlobal("fetch", async (input: string) => {
    const cid = input.replace("/api/ipfs/", "");
    if (!(await blockstore.has(CID.parse(cid)))) return new Response(JSON.stringify({ message: `no node has ${cid}` }), { status: 404 });
    const chunks: Uint8Array[] = [];
    for await (const chunk of blockstore.get(CID.parse(cid))) chunks.push(chunk);
    const bytes = Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
    if (tampered.has(cid)) bytes[bytes.length - 1]! ^= 1;
    return new Response(bytes);
  });
  return { root, blockstore, tampered };
}

afterEach(() => vi.unstubAllGlobals());

describe("verified IPFS reads in the browser", () => {
  it("reads a file of several chunks and a file inside a directory", async () => {
    const big = new Uint8Array(600_000).map((_, i) => i % 251);
    const { root } = await network([{ path: "weights.bin", content: big }, { path: "model.json", content: new TextEncoder().encode('{"a":1}') }], true);
    expect(await catVerified(root, "weights.bin")).toEqual(big);
    expect(new TextDecoder().decode(await catVerified(root, "model.json"))).toBe('{"a":1}');
  });

  it("refuses a block whose bytes do not hash to its CID", async () => {
    const { root, tampered } = await network([{ path: "report.json", content: new TextEncoder().encode('{"metric":1}') }], false);
    tampered.add(root);
    await expect(catJson(root)).rejects.toThrow(/does not hash to its CID/);
  });

  it("says which block no node has", async () => {
    const { root } = await network([{ path: "x", content: new Uint8Array([1, 2, 3]) }], false);
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ message: "no IPFS node of the network has block" }), { status: 404 }));
    await expect(catVerified(root)).rejects.toBeInstanceOf(IpfsError);
  });
});
