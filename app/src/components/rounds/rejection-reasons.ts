/**
 * Why an oracle refused an update, in words: the reasons of oracle/checks.ts (RejectionReason), which the oracles
 * return from /rounds/<id>. A reason a newer oracle adds still shows, with its code spelled out.
 */
const reasonWords: Record<string, string> = {
  malformed: "the update is not a well-formed signed update",
  bad_signature: "the signature does not recover to a signer",
  unknown_device: "the signer is not a registered device",
  device_inactive: "the device is suspended or revoked, or its organisation is not active",
  unknown_round: "the round does not exist",
  task_mismatch: "the update is for another task",
  round_not_open: "the round no longer accepted updates",
  round_expired: "the round's deadline had passed",
  signature_expired: "the signature had expired",
  base_version_mismatch: "trained from another version than the round's base",
  nonce_used: "the nonce was already used (a replay)",
  duplicate: "the device already had an accepted update in the round",
  weights_unavailable: "the update's weights could not be fetched from IPFS",
  weights_hash_mismatch: "the weights do not hash to what the device signed",
  shape_mismatch: "the weights do not fit the model's shape",
  non_finite: "the weights contain NaN or infinite values",
  norm_out_of_bounds: "the update's norm exceeds the bound (too far from the base model)",
  malformed_ciphertext: "the encrypted update is not a well-formed ciphertext",
  wrong_key: "encrypted under another key than the consortium's active one",
};

export function rejectionWords(reason: string): string {
  return reasonWords[reason] ?? reason.replace(/_/g, " ");
}

/** Reputation reason codes the oracles use (Reputation.REASON_*). */
export type ScoreOutcome = "accepted" | "rejected" | "outlier" | "other";

export function scoreOutcome(reason: number): ScoreOutcome {
  return reason === 1 ? "accepted" : reason === 2 ? "rejected" : reason === 3 ? "outlier" : "other";
}

export const scoreOutcomeWords: Record<ScoreOutcome, string> = {
  accepted: "accepted and aggregated",
  rejected: "rejected by the oracle",
  outlier: "aggregated as an outlier (far from the aggregate)",
  other: "scored with another reason",
};
