// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ValidationPolicy
 * @notice The on-chain acceptance policy of a federated-learning task, and its pure evaluation.
 * A model version is deployed if and only if `evaluate` returns `Verdict.Accepted` (Deploy(M) iff SC(M)).
 * @dev Metrics are fixed-point integers scaled by 1e6 (an RMSE of 15.25 is 15_250_000).
 */
library ValidationPolicy {
    struct Policy {
        /// @dev What the metric is, e.g. bytes32("rmse") or bytes32("f1").
        bytes32 metricId;
        /// @dev True when larger metric values are better (accuracy, F1), false for losses (RMSE).
        bool higherIsBetter;
        /// @dev The metric a version must reach: >= threshold when higher is better, <= otherwise.
        int256 threshold;
        /// @dev The improvement a version must make over the deployed version, in the metric's better direction.
        int256 minImprovement;
        /// @dev The fewest device updates a round must aggregate.
        uint32 minParticipants;
        /// @dev The number of distinct oracles (the proposer included) that must agree on the weights hash.
        uint8 quorum;
        /// @dev Devices encrypt their updates with the consortium's CKKS key (EncryptionKeyRegistry); oracles only
        /// weight and add ciphertexts, and the key holder decrypts nothing but a committed round's aggregate.
        bool encryptedAggregation;
        /// @dev Differential privacy: the L2 norm each device clips its update delta to, scaled by 1e6 (0 = off).
        uint32 dpClipNorm;
        /// @dev Differential privacy: the Gaussian noise multiplier sigma, scaled by 1e6 (0 = off). Each device adds
        /// N(0, (sigma * clip)^2 / minParticipants) per coordinate, so a round of minParticipants carries sigma * clip.
        uint32 dpNoiseMultiplier;
    }

    /// @dev Why a version was or was not accepted. Stored on rejected versions and emitted in events.
    enum Verdict {
        Accepted,
        ThresholdNotMet,
        InsufficientImprovement,
        TooFewParticipants
    }

    /**
     * @dev A policy is usable when it asks for at least one oracle and one participant and no negative improvement,
     * and noise is only asked for with a clip norm (noise is calibrated to it).
     */
    function isWellFormed(Policy memory policy) internal pure returns (bool) {
        return policy.quorum > 0 && policy.minParticipants > 0 && policy.minImprovement >= 0
            && (policy.dpNoiseMultiplier == 0 || policy.dpClipNorm > 0);
    }

    /**
     * @dev Judges a candidate against the policy. Participants are checked first, then the absolute threshold,
     * then the improvement over the deployed metric, so the reason names the most basic failure.
     */
    function evaluate(Policy memory policy, int256 candidateMetric, int256 deployedMetric, uint256 participants)
        internal
        pure
        returns (Verdict)
    {
        if (participants < policy.minParticipants) return Verdict.TooFewParticipants;
        if (policy.higherIsBetter) {
            if (candidateMetric < policy.threshold) return Verdict.ThresholdNotMet;
            if (candidateMetric - deployedMetric < policy.minImprovement) return Verdict.InsufficientImprovement;
        } else {
            if (candidateMetric > policy.threshold) return Verdict.ThresholdNotMet;
            if (deployedMetric - candidateMetric < policy.minImprovement) return Verdict.InsufficientImprovement;
        }
        return Verdict.Accepted;
    }
}
