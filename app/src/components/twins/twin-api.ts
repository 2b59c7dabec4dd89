/**
 * The digital-twin API (twin/http.ts) as the browser reads it through /api/twin. Its answers are external input,
 * so each is parsed with a zod schema; every schema is typed against the twin's own record types, so a change to
 * the twin's JSON shapes fails the typecheck here instead of failing quietly in the page.
 */
import type { Address } from "viem";
import { z } from "zod";
import type { HistoryEntry, TwinState } from "../../../../twin/asset-twin.ts";
import type { Anomaly, Decision, ModelRef, Prediction, TwinEvent } from "../../../../twin/records.ts";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as unknown as z.ZodType<Address>;
const modelRef: z.ZodType<ModelRef> = z.object({ versionId: z.number().int(), cid: z.string() });
const origin = { assetId: z.number().int(), device: address, windowId: z.number().int(), timestamp: z.number() };

export const assetSummarySchema = z.object({
  assetId: z.number().int(),
  organisationId: z.number().int(),
  label: z.string(),
  devices: z.number().int(),
  predictedRul: z.number().nullable(),
  anomalyCount: z.number().int(),
  lastWindowId: z.number().int().nullable(),
});
export type AssetSummary = z.infer<typeof assetSummarySchema>;
export const assetListSchema = z.object({ assets: z.array(assetSummarySchema) });

const anomalyCounts = z.object({ bounds: z.number().int(), residual: z.number().int(), drift: z.number().int() });

export const twinStateSchema: z.ZodType<TwinState> = z.object({
  assetId: z.number().int(),
  organisationId: z.number().int(),
  label: z.string(),
  devices: z.array(
    z.object({
      address,
      deviceType: z.string(),
      metadataCid: z.string(),
      sensors: z.array(z.object({ name: z.string(), unit: z.string(), min: z.number(), max: z.number() })),
    }),
  ),
  latest: z.record(z.string(), z.object({ value: z.number(), unit: z.string(), timestamp: z.number(), device: address, windowId: z.number().int() })),
  health: z.object({
    predictedRul: z.number().nullable(),
    predictedAt: z.number().nullable(),
    predictionModel: modelRef.nullable(),
    cycle: z.number().nullable(),
    unitsSeen: z.number().int(),
    maintenanceDue: z.boolean(),
    anomalyCounts,
    driftScore: z.number(),
    driftBySensor: z.record(z.string(), z.number()),
  }),
  model: modelRef.nullable(),
  windowsApplied: z.number().int(),
  readingsApplied: z.number().int(),
  lastWindowId: z.number().int().nullable(),
});

const sensorValues = z.record(z.string(), z.number().nullable());
export const historyEntrySchema: z.ZodType<HistoryEntry> = z.object({ timestamp: z.number(), windowId: z.number().int(), device: address, values: sensorValues });
export const historySchema = z.object({ assetId: z.number().int(), readings: z.array(historyEntrySchema) });

const reading = { ...origin, row: z.number().int(), sensor: z.string(), unit: z.string(), value: z.number() };
export const anomalySchema: z.ZodType<Anomaly> = z.discriminatedUnion("kind", [
  z.object({ ...reading, kind: z.literal("bounds"), min: z.number(), max: z.number() }),
  z.object({ ...reading, kind: z.literal("residual"), expected: z.number(), zScore: z.number(), threshold: z.number() }),
  z.object({ ...reading, kind: z.literal("drift"), expected: z.number(), driftScore: z.number(), threshold: z.number() }),
]);
export const anomalyListSchema = z.object({ assetId: z.number().int(), total: z.number().int(), anomalies: z.array(anomalySchema) });

// JSON has no NaN: the twin's "no cycle yet" arrives as null.
export const predictionSchema: z.ZodType<Prediction> = z.object({ ...origin, rul: z.number(), cycle: z.number().nullable().transform((cycle) => cycle ?? Number.NaN), model: modelRef });
export const predictionListSchema = z.object({ assetId: z.number().int(), total: z.number().int(), predictions: z.array(predictionSchema) });

export const decisionSchema: z.ZodType<Decision> = z.discriminatedUnion("kind", [
  z.object({ ...origin, kind: z.literal("maintenance"), model: modelRef.nullable(), rul: z.number(), horizon: z.number(), reason: z.string() }),
  z.object({ ...origin, kind: z.literal("calibration"), model: modelRef.nullable(), sensor: z.string(), driftScore: z.number(), threshold: z.number(), reason: z.string() }),
]);
export const decisionListSchema = z.object({ assetId: z.number().int(), total: z.number().int(), decisions: z.array(decisionSchema) });

export type ReadingsEvent = Extract<TwinEvent, { type: "readings" }>;
const readingsEventObject = z.object({
  type: z.literal("readings"),
  assetId: z.number().int(),
  device: address,
  windowId: z.number().int(),
  rows: z.number().int().nonnegative(),
  timestamp: z.number(),
  values: sensorValues,
});
export const readingsEventSchema: z.ZodType<ReadingsEvent> = readingsEventObject;

/** The live updates the Twins page follows (the stream also sends model and window events it does not need). */
export type FollowedEvent = ReadingsEvent | Extract<TwinEvent, { type: "anomaly" | "prediction" | "decision" }>;
export const followedEventTypes = ["readings", "anomaly", "prediction", "decision"] as const;
const followedEventSchema: z.ZodType<FollowedEvent> = z.discriminatedUnion("type", [
  readingsEventObject,
  z.object({ type: z.literal("anomaly"), anomaly: anomalySchema }),
  z.object({ type: z.literal("prediction"), prediction: predictionSchema }),
  z.object({ type: z.literal("decision"), decision: decisionSchema }),
]);

/** One SSE message's data as a followed event, or null when it is not JSON or not of a followed shape. */
export function parseTwinEvent(data: string): FollowedEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = followedEventSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The network has no twin service, or it does not answer (the app's /api/twin route says 503/502). */
export class TwinUnavailableError extends Error {
  override name = "TwinUnavailableError";
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") return body.message;
  return undefined;
}

/** GET /api/twin/<path>, parsed with `schema`. */
export async function readTwin<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`/api/twin/${path}`, { signal: signal ?? null, cache: "no-store", headers: { accept: "application/json" } });
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 503 || response.status === 502) throw new TwinUnavailableError(messageOf(body) ?? `the twin service answered HTTP ${response.status}`);
  if (!response.ok) throw new Error(messageOf(body) ?? `the twin API answered HTTP ${response.status} for ${path}`);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`the twin API's answer for ${path} has an unexpected shape: ${z.prettifyError(parsed.error).split("\n").slice(0, 2).join(" ")}`);
  return parsed.data;
}
