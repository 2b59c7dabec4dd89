import { z } from "zod";

/**
 * An oracle's own view of a round (GET <oracle>/rounds/<id>): the devices whose update it accepted, the ones it
 * refused with the reason, and how many updates it sealed (null when it did not seal the round). The chain holds only
 * the sealed set's root, so this is where reasons come from: the main job's summary, a restarted fleet, the web app.
 */
export const oracleRoundViewSchema = z.object({
  roundId: z.string(),
  accepted: z.array(z.string()),
  rejected: z.array(z.object({ device: z.string(), reason: z.string() })),
  sealed: z.number().nullable(),
});
export type OracleRoundView = z.infer<typeof oracleRoundViewSchema>;

/** Reads and checks one oracle's view of a round; throws with the oracle's URL and what was wrong. */
export async function readOracleRoundView(oracleUrl: string, roundId: bigint | string, options: { timeoutMs?: number } = {}): Promise<OracleRoundView> {
  const response = await fetch(`${oracleUrl}/rounds/${roundId}`, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
  if (!response.ok) throw new Error(`oracle ${oracleUrl}: HTTP ${response.status} for round ${roundId}`);
  const parsed = oracleRoundViewSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error(`oracle ${oracleUrl}: unexpected view of round ${roundId}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
