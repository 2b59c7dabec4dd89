/** A task's validation and privacy policy in words, for people who do not read 1e6-scaled integers. */
import { bytes32Label } from "@/lib/event-words";
import { privacyOf } from "../../../../lib/chain/policy.ts";
import { fromScaled } from "../../../../lib/fl/envelope.ts";
import type { TaskPolicyRecord } from "./task-history";

export function formatMetric(scaled: bigint | undefined): string {
  if (scaled === undefined) return "—";
  return String(Number(fromScaled(scaled).toPrecision(6)));
}

export function metricName(policy: Pick<TaskPolicyRecord, "metricId"> | undefined): string {
  return policy ? bytes32Label(policy.metricId) || "metric" : "metric";
}

export interface PolicyClause {
  term: string;
  words: string;
}

export function describePolicy(policy: TaskPolicyRecord): PolicyClause[] {
  const metric = metricName(policy);
  const direction = policy.higherIsBetter ? "higher is better" : "lower is better";
  const comparison = policy.higherIsBetter ? "at least" : "at most";
  const improvement = fromScaled(policy.minImprovement);
  const privacy = privacyOf(policy);
  const clauses: PolicyClause[] = [
    { term: "Metric", words: `${metric}, ${direction}` },
    { term: "Threshold", words: `a version's ${metric} must be ${comparison} ${formatMetric(policy.threshold)}` },
    {
      term: "Improvement",
      words: improvement === 0
        ? `it must do no worse than the deployed version`
        : `it must beat the deployed version's ${metric} by at least ${formatMetric(policy.minImprovement)} (${policy.higherIsBetter ? "higher" : "lower"})`,
    },
    { term: "Participants", words: `a round must aggregate at least ${policy.minParticipants} device ${policy.minParticipants === 1 ? "update" : "updates"}` },
    { term: "Quorum", words: `${policy.quorum} distinct ${policy.quorum === 1 ? "oracle" : "oracles"} (the proposer included) must compute the same weights hash` },
    {
      term: "Encrypted aggregation",
      words: privacy.encryptedAggregation
        ? "yes: devices encrypt their updates with the consortium's CKKS key; oracles only add ciphertexts and the key holder decrypts nothing but a committed round's aggregate"
        : "no: oracles see each device's update in the clear",
    },
    {
      term: "Differential privacy",
      words: privacy.dp === undefined
        ? "no differential privacy"
        : privacy.dp.noiseMultiplier === 0
          ? `each device clips its update to L2 norm ${privacy.dp.clipNorm}, without noise (clipping alone gives no (ε, δ) guarantee)`
          : `each device clips its update to L2 norm ${privacy.dp.clipNorm} and adds Gaussian noise, noise multiplier σ = ${privacy.dp.noiseMultiplier} (a round of ${privacy.dp.expectedParticipants} devices carries σ × clip in its sum)`,
    },
  ];
  return clauses;
}
