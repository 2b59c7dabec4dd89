import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export type Handler = (request: { method: string; path: string; body: unknown }) => Promise<{ status: number; body: unknown; contentType?: string }>;

async function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HttpError(413, `request body over ${maxBodyBytes} bytes`, "body-too-large");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not JSON", "malformed-json");
  }
}

export class HttpError extends Error {
  readonly status: number;
  /** A stable, machine-readable code for the error (the message is for people). */
  readonly reason: string | undefined;
  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** A small JSON HTTP server on loopback; errors become JSON bodies with a message, never a hung connection. */
export async function serveJson(port: number, handler: Handler, options: { maxBodyBytes?: number } = {}): Promise<{ server: Server; url: string }> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      try {
        const body = request.method === "POST" ? await readBody(request, maxBodyBytes) : undefined;
        const result = await handler({ method: request.method ?? "GET", path: (request.url ?? "/").split("?")[0]!, body });
        const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
        response.writeHead(result.status, { "content-type": result.contentType ?? "application/json" });
        response.end(text);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        response.writeHead(status, { "content-type": "application/json" });
        const reason = error instanceof HttpError && error.reason !== undefined ? { reason: error.reason } : {};
        response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error), ...reason }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${actualPort}` };
}
