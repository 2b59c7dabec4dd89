// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ValidationPolicy} from "../libraries/ValidationPolicy.sol";

/// @notice What other twinledger contracts read from, and ask of, the ModelRegistry.
interface IModelRegistry {
    enum RoundStatus {
        None,
        /// @dev Accepting participation (a commitment, or per-device submissions).
        Open,
        /// @dev Participation sealed by a Merkle commitment; awaiting a proposal.
        Committed,
        /// @dev A model version was proposed; awaiting attestations.
        Proposed,
        /// @dev The proposed version met the policy and is deployed.
        Deployed,
        /// @dev The proposed version failed the policy.
        Rejected,
        /// @dev A fraud proof showed an ineligible device in the commitment.
        Voided,
        /// @dev The deadline passed before the round was decided.
        Expired
    }

    struct Round {
        bytes32 taskId;
        uint64 baseVersion;
        uint64 deadline;
        uint64 proposedVersion;
        uint40 openedAt;
        /// @dev The block of the last participation record: the commitment, or the latest submission.
        uint40 participationBlock;
        uint32 participantCount;
        RoundStatus status;
        /// @dev True when participation came as one Merkle commitment rather than per-device submissions.
        bool committed;
        /// @dev The StandardMerkleTree root of the accepted updates, or the submissions' running digest.
        bytes32 participantsRoot;
    }

    function round(uint64 roundId) external view returns (Round memory);
    function policyOf(bytes32 taskId) external view returns (ValidationPolicy.Policy memory);
    function roundStatus(uint64 roundId) external view returns (RoundStatus);
    function recordCommitment(uint64 roundId, bytes32 participantsRoot, uint32 participantCount) external;
    function recordSubmission(uint64 roundId, bytes32 leaf) external;
    function voidRound(uint64 roundId, uint8 reason) external;
}
