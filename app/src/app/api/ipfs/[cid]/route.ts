import { NextResponse, type NextRequest } from "next/server";
import { CID } from "multiformats/cid";
import { fetchRawBlock, hasIpfsSource } from "@/lib/block-source";
import { readAppConfig } from "@/lib/server-config";

export const dynamic = "force-dynamic";

/**
 * One raw IPFS block from the network's trustless gateways, or from its external node's RPC API. The server does not
 * vouch for the bytes: the browser hashes every block against its CID, so a lying gateway or proxy is caught there.
 */
export async function GET(_request: NextRequest, context: { params: Promise<{ cid: string }> }) {
  const { cid } = await context.params;
  try {
    CID.parse(cid);
  } catch {
    return NextResponse.json({ error: "invalid_cid", message: `${cid} is not a CID` }, { status: 400 });
  }
  const result = readAppConfig();
  if (!result.ok) return NextResponse.json({ error: "not_configured", message: result.reason }, { status: 503 });
  if (!hasIpfsSource(result.config)) return NextResponse.json({ error: "no_ipfs", message: "this app is served without an IPFS gateway or node" }, { status: 503 });
  const bytes = await fetchRawBlock(result.config, cid);
  if (bytes === undefined) return NextResponse.json({ error: "not_found", message: `no IPFS node of the network has block ${cid}` }, { status: 404 });
  return new NextResponse(bytes, { headers: { "content-type": "application/vnd.ipld.raw", "cache-control": "public, max-age=31536000, immutable" } });
}
