import { NextResponse, type NextRequest } from "next/server";
import { CID } from "multiformats/cid";
import { readAppConfig } from "@/lib/server-config";

export const dynamic = "force-dynamic";

/**
 * One raw IPFS block from the first of the network's trustless gateways that has it. The server does not vouch
 * for the bytes: the browser hashes every block against its CID, so a lying gateway or proxy is caught there.
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
  if (result.config.ipfsGateways.length === 0) return NextResponse.json({ error: "no_ipfs", message: "this app is served without IPFS gateways" }, { status: 503 });
  for (const gateway of result.config.ipfsGateways) {
    try {
      const response = await fetch(`${gateway}/ipfs/${cid}?format=raw`, { headers: { accept: "application/vnd.ipld.raw" }, cache: "no-store", signal: AbortSignal.timeout(5_000) });
      if (!response.ok) continue;
      return new NextResponse(await response.arrayBuffer(), { headers: { "content-type": "application/vnd.ipld.raw", "cache-control": "public, max-age=31536000, immutable" } });
    } catch {
      // The next gateway may have it.
    }
  }
  return NextResponse.json({ error: "not_found", message: `no IPFS node of the network has block ${cid}` }, { status: 404 });
}
