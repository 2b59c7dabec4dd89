import { NextResponse, type NextRequest } from "next/server";
import { isForwardedMethod, isJsonRpcRequest, refusal } from "@/lib/rpc-policy";
import { readAppConfig } from "@/lib/server-config";

export const dynamic = "force-dynamic";

/** JSON-RPC to the consortium's chain, same-origin for the browser; single and batched requests. */
export async function POST(request: NextRequest) {
  const result = readAppConfig();
  if (!result.ok) return NextResponse.json({ jsonrpc: "2.0", id: null, error: { code: -32000, message: result.reason } }, { status: 503 });
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return NextResponse.json({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error: the body is not JSON" } }, { status: 400 });
  }
  const calls = Array.isArray(body) ? body : [body];
  if (calls.length === 0 || calls.length > 100 || !calls.every(isJsonRpcRequest)) {
    return NextResponse.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request: expected JSON-RPC 2.0 calls (at most 100 in a batch)" } }, { status: 400 });
  }
  const refused = calls.find((call) => !isForwardedMethod(call.method));
  if (refused) return NextResponse.json(Array.isArray(body) ? calls.map((call) => (isForwardedMethod(call.method) ? { jsonrpc: "2.0", id: call.id, error: { code: -32600, message: "batch refused: it contains a method the app does not forward" } } : refusal(call.id, call.method))) : refusal(refused.id, refused.method));
  try {
    const upstream = await fetch(result.config.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), cache: "no-store" });
    return new NextResponse(upstream.body, { status: upstream.status, headers: { "content-type": "application/json" } });
  } catch (error) {
    return NextResponse.json({ jsonrpc: "2.0", id: null, error: { code: -32000, message: `the chain at ${result.config.rpcUrl} does not answer (${error instanceof Error ? error.message : String(error)})` } }, { status: 502 });
  }
}
