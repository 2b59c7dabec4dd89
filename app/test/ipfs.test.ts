// @vitest-environment node
import { afterEach, describe, expect, it, vi } from "vitest";
import { ipfsNetwork } from "./fixtures/ipfs-network";
import { catJson, catVerified, IpfsError } from "@/lib/ipfs";

afterEach(() => vi.unstubAllGlobals());

describe("verified IPFS reads in the browser", () => {
  it("reads a file of several chunks and a file inside a directory", async () => {
    const big = new Uint8Array(600_000).map((_, i) => i % 251);
    const { root } = await ipfsNetwork([{ path: "weights.bin", content: big }, { path: "model.json", content: new TextEncoder().encode('{"a":1}') }], true);
    expect(await catVerified(root, "weights.bin")).toEqual(big);
    expect(new TextDecoder().decode(await catVerified(root, "model.json"))).toBe('{"a":1}');
  });

  it("refuses a block whose bytes do not hash to its CID", async () => {
    const { root, tampered } = await ipfsNetwork([{ path: "report.json", content: new TextEncoder().encode('{"metric":1}') }], false);
    tampered.add(root);
    await expect(catJson(root)).rejects.toThrow(/does not hash to its CID/);
  });

  it("says which block no node has", async () => {
    const { root } = await ipfsNetwork([{ path: "x", content: new Uint8Array([1, 2, 3]) }], false);
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ message: "no IPFS node of the network has block" }), { status: 404 }));
    await expect(catVerified(root)).rejects.toBeInstanceOf(IpfsError);
  });
});
