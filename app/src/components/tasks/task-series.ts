/**
 * The numbers behind the task page's charts: each round's validation metric (what was proposed, and what the task
 * had deployed after the round), failure F1 where reports have it, and the privacy budget spent after each round.
 */
import { fromScaled } from "../../../../lib/fl/envelope.ts";
import type { LineSeries } from "../charts/LineChart";
import type { OracleReport, ReportPrivacy } from "./oracle-report";
import type { TaskVersion } from "./task-history";

type SeriesVersion = Pick<TaskVersion, "id" | "roundId" | "status" | "metric">;

const byRound = (a: { roundId: bigint | undefined }, b: { roundId: bigint | undefined }) => Number((a.roundId ?? 0n) - (b.roundId ?? 0n));

/**
 * "proposed": the metric of the version each round proposed. "deployed": the metric of the version the task had
 * deployed once the round was decided, from the genesis model (round 0) on; a round still undecided adds no point.
 */
export function metricSeries(versions: readonly SeriesVersion[]): LineSeries[] {
  const genesis = versions.find((version) => version.roundId === undefined);
  const proposedVersions = versions.filter((version) => version.roundId !== undefined && version.metric !== undefined).sort(byRound);
  const proposed = proposedVersions.map((version) => ({ x: Number(version.roundId), y: fromScaled(version.metric!) }));
  const deployed: { x: number; y: number }[] = [];
  let current = genesis?.metric;
  if (current !== undefined) deployed.push({ x: 0, y: fromScaled(current) });
  for (const version of proposedVersions) {
    if (version.status === "proposed") continue;
    if (version.status === "deployed" || version.status === "validated") current = version.metric;
    if (current !== undefined) deployed.push({ x: Number(version.roundId), y: fromScaled(current) });
  }
  return [
    { name: "proposed", points: proposed },
    { name: "deployed", points: deployed },
  ].filter((series) => series.points.length > 0);
}

export interface RoundReport {
  versionId: bigint;
  roundId: bigint;
  report: OracleReport;
}

/** Failure F1 per round, for the reports that carry one (classification tasks; null for regression). */
export function failureF1Series(reports: readonly RoundReport[]): LineSeries[] {
  const points = [...reports]
    .sort(byRound)
    .flatMap((entry) => (typeof entry.report.failureF1 === "number" ? [{ x: Number(entry.roundId), y: entry.report.failureF1 }] : []));
  return points.length > 0 ? [{ name: "failure F1", points }] : [];
}

export interface PrivacyPoint {
  roundId: bigint;
  /** Infinity when a round released an update without noise. */
  epsilon: number;
  privacy: ReportPrivacy;
}

/** ε (at the reports' δ) after each round whose report carries the privacy accounting, oldest first. */
export function privacyPoints(reports: readonly RoundReport[]): PrivacyPoint[] {
  return [...reports]
    .sort(byRound)
    .flatMap((entry) => {
      const privacy = entry.report.privacy;
      if (!privacy) return [];
      return [{ roundId: entry.roundId, epsilon: privacy.epsilon === "Infinity" ? Infinity : privacy.epsilon, privacy }];
    });
}

/** The chart series: finite ε only (an unbounded ε is said in words instead). */
export function privacySeries(points: readonly PrivacyPoint[]): LineSeries[] {
  const finite = points.filter((point) => Number.isFinite(point.epsilon)).map((point) => ({ x: Number(point.roundId), y: point.epsilon }));
  return finite.length > 0 ? [{ name: "ε", points: finite }] : [];
}

export function formatEpsilon(epsilon: number): string {
  if (!Number.isFinite(epsilon)) return "∞ (no guarantee)";
  return epsilon >= 100 ? epsilon.toFixed(1) : epsilon.toPrecision(3);
}
