import { NextResponse, type NextRequest } from "next/server";
import { readAppConfig } from "@/lib/server-config";

export const dynamic = "force-dynamic";

const allowedPath = /^(health|assets|events|assets\/[0-9]+(\/(history|anomalies|predictions|decisions))?)$/;

/** The digital-twin API (twin/http.ts), same-origin for the browser; /events is its server-sent event stream. */
export async function GET(request: NextRequest, context: { params: Promise<{ path: string[] }> }) {
  const { path } = await context.params;
  const joined = path.join("/");
  if (!allowedPath.test(joined)) return NextResponse.json({ error: "not_found", message: `no twin route ${joined}` }, { status: 404 });
  const result = readAppConfig();
  if (!result.ok) return NextResponse.json({ error: "not_configured", message: result.reason }, { status: 503 });
  if (!result.config.twinUrl) return NextResponse.json({ error: "no_twin", message: "no digital-twin service runs in this network" }, { status: 503 });
  const target = `${result.config.twinUrl}/${joined}${request.nextUrl.search}`;
  try {
    const upstream = await fetch(target, { cache: "no-store", signal: request.signal, headers: { accept: request.headers.get("accept") ?? "application/json" } });
    const headers = new Headers({ "content-type": upstream.headers.get("content-type") ?? "application/json", "cache-control": "no-store" });
    if (joined === "events") headers.set("x-accel-buffering", "no");
    // A twin that stops mid-stream ends the event stream cleanly; the page's EventSource then reconnects.
    return new NextResponse(upstream.body && joined === "events" ? endingCleanly(upstream.body) : upstream.body, { status: upstream.status, headers });
  } catch (error) {
    return NextResponse.json({ error: "twin_unreachable", message: `the twin service does not answer (${error instanceof Error ? error.message : String(error)})` }, { status: 502 });
  }
}

function endingCleanly(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}
