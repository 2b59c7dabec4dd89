/**
 * The twin's HTTP JSON API on node:http: read-only views of the twins, an SSE stream of live updates, and the
 * OpenAPI document. Every error is a JSON body {error, message} with a 4xx/5xx status, never a hung connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import type { AssetTwin } from "./asset-twin.ts";
import { openApiDocument } from "./openapi.ts";
import type { EventHub, ModelRef, TwinEvent } from "./records.ts";

/** What the server reads; implemented by the runtime. */
export interface TwinView {
  twins(): AssetTwin[];
  twin(assetId: number): AssetTwin | undefined;
  model(): ModelRef | null;
  health(): object;
  events: EventHub;
}

class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const HEARTBEAT_MS = 15_000;
const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a non-negative integer`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const historyQuery = z
  .strictObject({ from: integer("from", 0).optional(), to: integer("to", 0).optional(), limit: integer("limit", 1, 10_000).optional() })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, "from must not be after to");
const listQuery = z.strictObject({ limit: integer("limit", 1, 1000).optional() });
const anomalyQuery = z.strictObject({ limit: integer("limit", 1, 1000).optional(), kind: z.enum(["bounds", "residual", "drift"]).optional() });
const eventsQuery = z.strictObject({ assetId: integer("assetId", 1).optional() });

function parseQuery<T>(schema: z.ZodType<T>, params: URLSearchParams): T {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) throw new ApiError(400, "bad_request", `query parameter ${key} is given twice`);
    raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, "bad_request", `bad query: ${parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ` : "") + issue.message).join("; ")}`);
  return parsed.data;
}

function assetOf(view: TwinView, raw: string): AssetTwin {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) throw new ApiError(400, "bad_request", `asset id must be a positive integer, got ${JSON.stringify(raw)}`);
  const twin = view.twin(Number(raw));
  if (!twin) throw new ApiError(404, "not_found", `no twin for asset ${raw}: it is not registered (or not yet seen by this twin)`);
  return twin;
}

/** Routes a GET request to its JSON body; throws ApiError for 4xx. */
function route(view: TwinView, path: string, params: URLSearchParams, serverUrl: string): unknown {
  if (path === "/health") return view.health();
  if (path === "/openapi.json") return openApiDocument(serverUrl);
  if (path === "/assets") {
    parseQuery(z.strictObject({}), params);
    return {
      assets: view.twins().map((twin) => {
        const state = twin.state(view.model());
        const counts = state.health.anomalyCounts;
        return { assetId: twin.assetId, organisationId: twin.organisationId, label: twin.label, devices: state.devices.length, predictedRul: state.health.predictedRul, anomalyCount: counts.bounds + counts.residual + counts.drift, lastWindowId: state.lastWindowId };
      }),
    };
  }
  const match = /^\/assets\/([^/]+)(?:\/(history|anomalies|predictions|decisions))?$/.exec(path);
  if (!match) throw new ApiError(404, "not_found", `no route for GET ${path}; see /openapi.json`);
  const twin = assetOf(view, decodeURIComponent(match[1]!));
  switch (match[2]) {
    case undefined:
      parseQuery(z.strictObject({}), params);
      return twin.state(view.model());
    case "history": {
      const query = parseQuery(historyQuery, params);
      const from = query.from ?? 0;
      return { assetId: twin.assetId, from, to: query.to ?? null, readings: twin.readings(from, query.to ?? Number.POSITIVE_INFINITY, query.limit ?? 1000) };
    }
    case "anomalies": {
      const query = parseQuery(anomalyQuery, params);
      const kept = query.kind ? twin.anomalies.filter((a) => a.kind === query.kind) : twin.anomalies.filter();
      return { assetId: twin.assetId, total: twin.anomalies.total, anomalies: kept.slice(-(query.limit ?? 100)) };
    }
    case "predictions": {
      const query = parseQuery(listQuery, params);
      return { assetId: twin.assetId, total: twin.predictions.total, predictions: twin.predictions.newest(query.limit ?? 100) };
    }
    case "decisions": {
      const query = parseQuery(listQuery, params);
      return { assetId: twin.assetId, total: twin.decisions.total, decisions: twin.decisions.newest(query.limit ?? 100) };
    }
  }
  throw new ApiError(404, "not_found", `no route for GET ${path}`);
}

function assetIdOf(event: TwinEvent): number | undefined {
  switch (event.type) {
    case "readings":
      return event.assetId;
    case "anomaly":
      return event.anomaly.assetId;
    case "prediction":
      return event.prediction.assetId;
    case "decision":
      return event.decision.assetId;
    default:
      return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** The API server; `close` ends the event streams too. */
export interface TwinServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1:`port` (0 = a free port). */
export async function serveTwinApi(view: TwinView, port: number, host = "127.0.0.1"): Promise<TwinServer> {
  const streams = new Set<ServerResponse>();
  let serverUrl = "";

  const openStream = (request: IncomingMessage, response: ServerResponse, params: URLSearchParams) => {
    const { assetId } = parseQuery(eventsQuery, params);
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    response.write(": twinledger twin events\n\n");
    let sequence = 0;
    const unsubscribe = view.events.subscribe((event) => {
      const eventAsset = assetIdOf(event);
      if (assetId !== undefined && eventAsset !== undefined && eventAsset !== assetId) return;
      response.write(`id: ${++sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    streams.add(response);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    };
    request.once("close", close);
    response.once("close", close);
  };

  const server = createServer((request, response) => {
    try {
      const url = new URL(request.url ?? "/", "http://twin.invalid");
      if (request.method !== "GET" && request.method !== "HEAD") throw new ApiError(405, "method_not_allowed", `${request.method} is not supported; the API is read-only (GET)`);
      if (url.pathname === "/events") {
        openStream(request, response, url.searchParams);
        return;
      }
      sendJson(response, 200, route(view, url.pathname, url.searchParams, serverUrl));
    } catch (error) {
      if (error instanceof ApiError) sendJson(response, error.status, { error: error.code, message: error.message });
      else sendJson(response, 500, { error: "internal", message: error instanceof Error ? error.message : String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  serverUrl = `http://${host}:${typeof address === "object" && address ? address.port : port}`;
  return {
    server,
    url: serverUrl,
    async close() {
      for (const stream of streams) stream.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
