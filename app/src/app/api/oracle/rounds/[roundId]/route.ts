import { NextResponse, type NextRequest } from "next/server";
import { readAppConfig } from "@/lib/server-config";
import { oracleRoundViewSchema } from "../../../../../../../lib/fl/oracle-round-view.ts";

export const dynamic = "force-dynamic";

/**
 * A round as the oracles saw it: which updates each accepted and which it rejected, with the reason. The chain
 * holds only the accepted set's Merkle root and the reputation outcome, so reasons come from the oracles; the
 * view of every oracle that answers is returned, so the page can show where they disagree.
 */
export async function GET(_request: NextRequest, context: { params: Promise<{ roundId: string }> }) {
  const { roundId } = await context.params;
  if (!/^[1-9][0-9]{0,18}$/.test(roundId)) return NextResponse.json({ error: "invalid_round", message: `${roundId} is not a round id` }, { status: 400 });
  const result = readAppConfig();
  if (!result.ok) return NextResponse.json({ error: "not_configured", message: result.reason }, { status: 503 });
  const views = await Promise.all(
    result.config.oracleUrls.map(async (oracleUrl, index) => {
      try {
        const response = await fetch(`${oracleUrl}/rounds/${roundId}`, { cache: "no-store", signal: AbortSignal.timeout(3_000) });
        if (!response.ok) return { oracle: index, error: `HTTP ${response.status}` };
        const parsed = oracleRoundViewSchema.safeParse(await response.json());
        return parsed.success ? { oracle: index, view: parsed.data } : { oracle: index, error: "unexpected answer" };
      } catch (error) {
        return { oracle: index, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return NextResponse.json({ roundId, oracles: views });
}
