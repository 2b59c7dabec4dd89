import { z } from "zod";
import type { Hex } from "viem";
import type { ModelUpdate } from "../chain/typed-data.ts";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte hex string") as z.ZodType<Hex>;
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte signature") as z.ZodType<Hex>;
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((value) => BigInt(value));
const int = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).transform((value) => BigInt(value));

/** A device's signed update as it travels to the oracles over HTTP (integers as decimal strings). */
export const signedUpdateSchema = z.object({
  update: z.object({
    taskId: hex32,
    roundId: uint,
    baseVersion: uint,
    updateCid: z.string().min(1).max(128),
    weightsHash: hex32,
    sampleCount: uint,
    metrics: z.array(int).max(16),
    nonce: uint,
    deadline: uint,
  }),
  signature,
});

export interface SignedUpdate {
  update: ModelUpdate;
  signature: Hex;
}

/** The JSON form of a signed update: bigints as decimal strings. */
export function envelopeToJson(envelope: SignedUpdate): unknown {
  const { update } = envelope;
  return {
    update: {
      ...update,
      roundId: update.roundId.toString(),
      baseVersion: update.baseVersion.toString(),
      sampleCount: update.sampleCount.toString(),
      metrics: update.metrics.map(String),
      nonce: update.nonce.toString(),
      deadline: update.deadline.toString(),
    },
    signature: envelope.signature,
  };
}

/** Parses untrusted JSON into a signed update, or throws a zod error naming what is wrong. */
export function parseEnvelope(json: unknown): SignedUpdate {
  return signedUpdateSchema.parse(json);
}

/** Metrics travel as 1e6-scaled integers, as on chain. */
export const METRIC_SCALE = 1_000_000;
export const toScaled = (value: number): bigint => BigInt(Math.round(value * METRIC_SCALE));
export const fromScaled = (value: bigint): number => Number(value) / METRIC_SCALE;
