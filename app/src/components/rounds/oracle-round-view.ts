/** The app's /api/oracle/rounds/<id> answer: each oracle's own view of a round (accepted devices, refusals with reasons). */
import { z } from "zod";
import { oracleRoundViewSchema as viewSchema } from "../../../../lib/fl/oracle-round-view.ts";

export const oracleRoundsSchema = z.object({
  roundId: z.string(),
  oracles: z.array(z.union([z.object({ oracle: z.number(), view: viewSchema }), z.object({ oracle: z.number(), error: z.string() })])),
});

export type OracleRoundsAnswer = z.infer<typeof oracleRoundsSchema>;
export type OracleEntry = OracleRoundsAnswer["oracles"][number];
export type OracleView = z.infer<typeof viewSchema>;

/** An oracle "has a record" of a round when it sealed it, or accepted or refused anything in it. */
export function hasRecord(view: OracleView): boolean {
  return view.sealed !== null || view.accepted.length > 0 || view.rejected.length > 0;
}

export async function fetchOracleRounds(roundId: bigint, signal?: AbortSignal): Promise<OracleRoundsAnswer> {
  const response = await fetch(`/api/oracle/rounds/${roundId}`, { cache: "no-store", ...(signal ? { signal } : {}) });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = typeof body === "object" && body !== null && "message" in body ? String((body as { message: unknown }).message) : `HTTP ${response.status}`;
    throw new Error(message);
  }
  const parsed = oracleRoundsSchema.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected answer from the oracle route: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  return parsed.data;
}
