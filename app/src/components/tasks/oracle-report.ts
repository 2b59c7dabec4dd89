/**
 * The report an oracle publishes with each proposed version (oracle/node.ts: the XAI report of oracle/xai/report.ts
 * plus the round, validation metric, failure F1, participants, whether aggregation was encrypted and, under
 * differential privacy, the privacy accounting). Reports are untrusted input and older versions of the oracle wrote
 * fewer fields, so each field is checked on its own: what is missing or malformed is named, the rest is used.
 */
import { z } from "zod";

const privacySchema = z.object({
  /** ε at δ for every round released so far; "Infinity" when a round had no noise. */
  epsilon: z.union([z.number().nonnegative(), z.literal("Infinity")]),
  delta: z.number().positive(),
  effectiveNoiseMultiplier: z.number().nonnegative().optional(),
  rounds: z.number().int().nonnegative().optional(),
  clipNorm: z.number().nonnegative().optional(),
  noiseMultiplier: z.number().nonnegative().optional(),
  expectedParticipants: z.number().int().nonnegative().optional(),
  participants: z.number().int().nonnegative().optional(),
  encrypted: z.boolean().optional(),
  accountant: z.string().optional(),
});

export type ReportPrivacy = z.infer<typeof privacySchema>;

const fieldSchemas = {
  featureNames: z.array(z.string()),
  permutationImportance: z.array(z.number()),
  gradientTimesInput: z.array(z.number()),
  metric: z.object({ name: z.string(), value: z.number() }),
  roundId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((value) => BigInt(value)),
  validationMetric: z.number(),
  failureF1: z.number().nullable(),
  participants: z.array(z.string()),
  encryptedAggregation: z.boolean(),
  privacy: privacySchema,
};

type Fields = { [key in keyof typeof fieldSchemas]: z.output<(typeof fieldSchemas)[key]> };

/** Every field the current oracle writes; `privacy` only under differential privacy, so its absence is not a defect. */
export type OracleReport = Partial<Fields>;

export interface ParsedReport {
  report: OracleReport;
  /** Fields the current oracle writes that this report lacks (an older oracle) — `privacy` excepted. */
  missing: string[];
  /** Fields present but not of the expected shape, with why. */
  invalid: string[];
}

export class ReportFormatError extends Error {
  override name = "ReportFormatError";
}

export function parseOracleReport(raw: unknown): ParsedReport {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ReportFormatError("the report is not a JSON object");
  const record = raw as Record<string, unknown>;
  const report: Record<string, unknown> = {};
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const [key, schema] of Object.entries(fieldSchemas)) {
    if (!(key in record) || record[key] === undefined) {
      if (key !== "privacy") missing.push(key);
      continue;
    }
    const parsed = schema.safeParse(record[key]);
    if (parsed.success) report[key] = parsed.data;
    else invalid.push(`${key}: ${parsed.error.issues[0]?.message ?? "unexpected shape"}`);
  }
  const typed = report as OracleReport;
  const features = typed.featureNames?.length;
  for (const key of ["permutationImportance", "gradientTimesInput"] as const) {
    const values = typed[key];
    if (values && features !== undefined && values.length !== features) {
      invalid.push(`${key}: ${values.length} values for ${features} features`);
      delete typed[key];
    }
  }
  return { report: typed, missing, invalid };
}

/** Feature importance as bars, when the report has both the names and the values. */
export function importanceBars(report: OracleReport, kind: "permutationImportance" | "gradientTimesInput"): { label: string; value: number }[] {
  const names = report.featureNames;
  const values = report[kind];
  if (!names || !values) return [];
  return names.map((label, index) => ({ label, value: values[index] ?? 0 }));
}

/** The largest `count` bars by magnitude, so a model with many features stays readable. */
export function topBars(bars: readonly { label: string; value: number }[], count: number): { label: string; value: number }[] {
  return [...bars].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, count);
}
