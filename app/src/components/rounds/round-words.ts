/** A round's status as a badge and its outcome in words. */
import type { RoundOutcome, RoundRecord } from "../tasks/task-history";

export const outcomeBadge: Record<RoundOutcome, string> = {
  open: "badge badge-warn",
  committed: "badge badge-warn",
  proposed: "badge badge-warn",
  deployed: "badge badge-ok",
  rejected: "badge badge-bad",
  voided: "badge badge-bad",
  expired: "badge",
};

export function outcomeWords(round: RoundRecord, status: RoundOutcome): string {
  switch (status) {
    case "deployed": return `v${round.proposedVersion} deployed`;
    case "rejected": return `v${round.proposedVersion} rejected${round.rejection ? `: ${round.rejection}` : ""}`;
    case "voided": return round.rejection ?? "voided by a fraud proof";
    case "expired": return round.proposedVersion === undefined ? "expired without a proposal" : `expired before v${round.proposedVersion} reached the quorum`;
    case "proposed": return "awaiting attestations";
    case "committed": return "updates committed, awaiting the proposal";
    case "open": return "collecting updates";
  }
}
