// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {Pagination} from "./libraries/Pagination.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ValidationPolicy} from "./libraries/ValidationPolicy.sol";

/**
 * @title ModelRegistry
 * @notice Federated-learning tasks, their rounds and the lineage of their model versions. Each task has an
 * acceptance policy. A round is opened on the deployed version; the UpdateLedger records which device updates
 * it aggregates; an oracle proposes the aggregate, and other oracles attest to its weights hash. When the
 * policy's quorum of distinct oracles agrees, the version is judged: it is deployed if and only if the policy
 * holds (Deploy(M) iff SC(M)), and rejected with the reason otherwise. Attesting to a different hash is
 * recorded as a dissent.
 * @dev Commitment, proposal and attestation must all happen before the round's deadline. One round per task
 * is live at a time, so at most one version per task is deployed, and lineage is a chain.
 */
contract ModelRegistry is ManagedByConsortium, IModelRegistry {
    using ValidationPolicy for ValidationPolicy.Policy;

    enum VersionStatus {
        None,
        Proposed,
        Validated,
        Rejected
    }

    struct Task {
        ValidationPolicy.Policy policy;
        uint64 deployedVersion;
        uint64 liveRound;
        string name;
    }

    struct Version {
        bytes32 taskId;
        uint64 parent;
        uint64 roundId;
        address proposer;
        uint40 proposedAt;
        uint40 decidedAt;
        VersionStatus status;
        ValidationPolicy.Verdict verdict;
        uint8 attestations;
        uint8 dissents;
        uint32 participants;
        int256 metric;
        bytes32 weightsHash;
        bytes32 participantsRoot;
        string cid;
        string xaiReportCid;
    }

    struct Proposal {
        string cid;
        bytes32 weightsHash;
        int256 metric;
        bytes32 participantsRoot;
        string xaiReportCid;
    }

    error UnknownTask(bytes32 taskId);
    error TaskAlreadyExists(bytes32 taskId);
    error InvalidTaskName();
    error MalformedPolicy();
    error InvalidModel();
    error UnknownRound(uint64 roundId);
    error UnknownVersion(uint64 versionId);
    error DeadlineNotInFuture(uint64 deadline);
    error BaseVersionNotDeployed(uint64 baseVersion, uint64 deployedVersion);
    error RoundStillLive(uint64 roundId);
    /// @dev The round's deadline has passed.
    error RoundExpired(uint64 roundId, uint64 deadline);
    /// @dev The round is not in the status the action needs.
    error InvalidRoundStatus(uint64 roundId, RoundStatus status);
    error NoParticipants(uint64 roundId);
    error ParticipantsRootMismatch(bytes32 expected, bytes32 given);
    error VersionNotProposed(uint64 versionId, VersionStatus status);
    /// @dev The oracle already attested to, dissented from, or proposed this version.
    error DuplicateAttestation(uint64 versionId, address oracle);

    event TaskCreated(bytes32 indexed taskId, string name, uint64 genesisVersion);
    event PolicyUpdated(bytes32 indexed taskId, ValidationPolicy.Policy policy);
    event RoundOpened(bytes32 indexed taskId, uint64 indexed roundId, uint64 baseVersion, uint64 deadline);
    event RoundExpiredRecorded(bytes32 indexed taskId, uint64 indexed roundId);
    event ParticipationRecorded(uint64 indexed roundId, bytes32 participantsRoot, uint32 participantCount, bool committed);
    event RoundVoided(uint64 indexed roundId, uint8 reason);
    event VersionProposed(
        bytes32 indexed taskId,
        uint64 indexed versionId,
        uint64 indexed roundId,
        address proposer,
        string cid,
        bytes32 weightsHash,
        int256 metric,
        bytes32 participantsRoot,
        string xaiReportCid
    );
    event Attested(uint64 indexed versionId, address indexed oracle, uint8 attestations);
    event DissentRecorded(uint64 indexed versionId, address indexed oracle, bytes32 weightsHash);
    event VersionValidated(bytes32 indexed taskId, uint64 indexed versionId);
    event VersionDeployed(bytes32 indexed taskId, uint64 indexed versionId, uint64 previousVersion);
    event VersionRejected(bytes32 indexed taskId, uint64 indexed versionId, ValidationPolicy.Verdict verdict);

    bytes32[] private _taskIds;
    mapping(bytes32 taskId => Task) private _tasks;
    mapping(bytes32 taskId => uint64[]) private _versionsOfTask;
    uint64 private _versionCount;
    mapping(uint64 versionId => Version) private _versions;
    mapping(uint64 versionId => address[]) private _attesters;
    mapping(uint64 versionId => mapping(address oracle => bool)) private _hasVoted;
    uint64 private _roundCount;
    mapping(uint64 roundId => Round) private _rounds;

    constructor(address manager) ManagedByConsortium(manager) {}

    /**
     * @notice Creates a task with its acceptance policy and registers its genesis model as the deployed version.
     * @param name The task's name, e.g. "cmapss-rul"; its id is keccak256(name).
     * @param policy The acceptance policy.
     * @param genesisCid The IPFS CID of the genesis model.
     * @param genesisWeightsHash The keccak256 of the genesis model's canonical float32 weights.
     * @param genesisMetric The genesis model's metric, scaled by 1e6, which the first version must improve on.
     * @return taskId keccak256(name).
     */
    function createTask(
        string calldata name,
        ValidationPolicy.Policy calldata policy,
        string calldata genesisCid,
        bytes32 genesisWeightsHash,
        int256 genesisMetric
    ) external restricted returns (bytes32 taskId) {
        if (bytes(name).length == 0 || bytes(name).length > 64) revert InvalidTaskName();
        if (!policy.isWellFormed()) revert MalformedPolicy();
        if (bytes(genesisCid).length == 0 || genesisWeightsHash == bytes32(0)) revert InvalidModel();
        taskId = keccak256(bytes(name));
        Task storage task_ = _tasks[taskId];
        if (task_.deployedVersion != 0) revert TaskAlreadyExists(taskId);

        uint64 versionId = ++_versionCount;
        Version storage record = _versions[versionId];
        record.taskId = taskId;
        record.proposer = _msgSender();
        record.proposedAt = uint40(block.timestamp);
        record.decidedAt = uint40(block.timestamp);
        record.status = VersionStatus.Validated;
        record.metric = genesisMetric;
        record.weightsHash = genesisWeightsHash;
        record.cid = genesisCid;
        _versionsOfTask[taskId].push(versionId);

        task_.policy = policy;
        task_.deployedVersion = versionId;
        task_.name = name;
        _taskIds.push(taskId);
        emit TaskCreated(taskId, name, versionId);
        emit PolicyUpdated(taskId, policy);
        emit VersionValidated(taskId, versionId);
        emit VersionDeployed(taskId, versionId, 0);
    }

    /**
     * @notice Replaces a task's acceptance policy. It applies to every version judged from now on.
     * @param taskId The task.
     * @param policy The new policy.
     */
    function setPolicy(bytes32 taskId, ValidationPolicy.Policy calldata policy) external restricted {
        Task storage task_ = _requireTask(taskId);
        if (!policy.isWellFormed()) revert MalformedPolicy();
        task_.policy = policy;
        emit PolicyUpdated(taskId, policy);
    }

    /**
     * @notice Opens a federated round on the task's deployed version. The previous round must be decided or expired.
     * @param taskId The task.
     * @param baseVersion The version devices train from; must be the deployed version.
     * @param deadline The unix time by which participation, proposal and attestations must land.
     * @return roundId The new round's id.
     */
    function openRound(bytes32 taskId, uint64 baseVersion, uint64 deadline)
        external
        restricted
        returns (uint64 roundId)
    {
        Task storage task_ = _requireTask(taskId);
        if (baseVersion != task_.deployedVersion) revert BaseVersionNotDeployed(baseVersion, task_.deployedVersion);
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline);
        uint64 previous = task_.liveRound;
        if (previous != 0) {
            Round storage previousRound = _rounds[previous];
            if (!_isPastDeadline(previousRound)) revert RoundStillLive(previous);
            previousRound.status = RoundStatus.Expired;
            emit RoundExpiredRecorded(taskId, previous);
        }
        roundId = ++_roundCount;
        _rounds[roundId] = Round({
            taskId: taskId,
            baseVersion: baseVersion,
            deadline: deadline,
            proposedVersion: 0,
            openedAt: uint40(block.number),
            participationBlock: 0,
            participantCount: 0,
            status: RoundStatus.Open,
            committed: false,
            participantsRoot: bytes32(0)
        });
        task_.liveRound = roundId;
        emit RoundOpened(taskId, roundId, baseVersion, deadline);
    }

    /**
     * @notice Seals a round's participation with the Merkle root of its accepted updates. Called by the UpdateLedger.
     * @param roundId An open round with no per-device submissions.
     * @param participantsRoot The StandardMerkleTree root of the accepted updates.
     * @param participantCount How many updates the tree holds.
     */
    function recordCommitment(uint64 roundId, bytes32 participantsRoot, uint32 participantCount)
        external
        restricted
    {
        Round storage round_ = _requireLiveRound(roundId, RoundStatus.Open);
        if (round_.participantCount != 0) revert InvalidRoundStatus(roundId, round_.status);
        round_.participantsRoot = participantsRoot;
        round_.participantCount = participantCount;
        round_.participationBlock = uint40(block.number);
        round_.committed = true;
        round_.status = RoundStatus.Committed;
        emit ParticipationRecorded(roundId, participantsRoot, participantCount, true);
    }

    /**
     * @notice Adds one per-device submission to a round; the participants root becomes the running digest
     * keccak256(previousRoot ‖ leaf). Called by the UpdateLedger.
     * @param roundId An open round.
     * @param leaf The submission's StandardMerkleTree leaf hash.
     */
    function recordSubmission(uint64 roundId, bytes32 leaf) external restricted {
        Round storage round_ = _requireLiveRound(roundId, RoundStatus.Open);
        bytes32 digest = keccak256(abi.encodePacked(round_.participantsRoot, leaf));
        round_.participantsRoot = digest;
        uint32 count = ++round_.participantCount;
        round_.participationBlock = uint40(block.number);
        emit ParticipationRecorded(roundId, digest, count, false);
    }

    /**
     * @notice Voids an undecided round after a fraud proof. Called by the UpdateLedger.
     * @param roundId A round that is neither decided nor expired.
     * @param reason The UpdateLedger's fraud reason code.
     */
    function voidRound(uint64 roundId, uint8 reason) external restricted {
        Round storage round_ = _requireRound(roundId);
        RoundStatus status = _statusOf(round_);
        if (status != RoundStatus.Committed && status != RoundStatus.Proposed) revert InvalidRoundStatus(roundId, status);
        round_.status = RoundStatus.Voided;
        _tasks[round_.taskId].liveRound = 0;
        if (round_.proposedVersion != 0) {
            Version storage record = _versions[round_.proposedVersion];
            record.status = VersionStatus.Rejected;
            record.decidedAt = uint40(block.timestamp);
        }
        emit RoundVoided(roundId, reason);
    }

    /**
     * @notice Proposes the round's aggregated model. The proposer counts as its first attester.
     * @param roundId A round with recorded participation and no proposal yet.
     * @param proposal The model's CID, weights hash, metric (1e6-scaled), participants root and XAI report CID.
     * @return versionId The proposed version's id.
     */
    function proposeModel(uint64 roundId, Proposal calldata proposal) external restricted returns (uint64 versionId) {
        Round storage round_ = _requireRound(roundId);
        RoundStatus status = _statusOf(round_);
        if (status == RoundStatus.Expired) revert RoundExpired(roundId, round_.deadline);
        if (status != RoundStatus.Open && status != RoundStatus.Committed) revert InvalidRoundStatus(roundId, status);
        if (round_.participantCount == 0) revert NoParticipants(roundId);
        if (proposal.participantsRoot != round_.participantsRoot) {
            revert ParticipantsRootMismatch(round_.participantsRoot, proposal.participantsRoot);
        }
        if (bytes(proposal.cid).length == 0 || proposal.weightsHash == bytes32(0)) revert InvalidModel();

        address proposer = _msgSender();
        versionId = ++_versionCount;
        Version storage record = _versions[versionId];
        record.taskId = round_.taskId;
        record.parent = round_.baseVersion;
        record.roundId = roundId;
        record.proposer = proposer;
        record.proposedAt = uint40(block.timestamp);
        record.status = VersionStatus.Proposed;
        record.attestations = 1;
        record.participants = round_.participantCount;
        record.metric = proposal.metric;
        record.weightsHash = proposal.weightsHash;
        record.participantsRoot = proposal.participantsRoot;
        record.cid = proposal.cid;
        record.xaiReportCid = proposal.xaiReportCid;
        _versionsOfTask[round_.taskId].push(versionId);
        _attesters[versionId].push(proposer);
        _hasVoted[versionId][proposer] = true;
        round_.status = RoundStatus.Proposed;
        round_.proposedVersion = versionId;
        emit VersionProposed(
            round_.taskId,
            versionId,
            roundId,
            proposer,
            proposal.cid,
            proposal.weightsHash,
            proposal.metric,
            proposal.participantsRoot,
            proposal.xaiReportCid
        );
        emit Attested(versionId, proposer, 1);
        if (_tasks[round_.taskId].policy.quorum <= 1) _decide(versionId, record, round_);
    }

    /**
     * @notice Attests that the caller's own aggregation produced `weightsHash`. A matching hash counts toward the
     * quorum, and the attestation that reaches it decides the version; a different hash is recorded as a dissent.
     * @param versionId A proposed version.
     * @param weightsHash The weights hash the attesting oracle computed.
     */
    function attest(uint64 versionId, bytes32 weightsHash) external restricted {
        Version storage record = _versions[versionId];
        if (record.status != VersionStatus.Proposed) revert VersionNotProposed(versionId, record.status);
        Round storage round_ = _rounds[record.roundId];
        if (_isPastDeadline(round_)) revert RoundExpired(record.roundId, round_.deadline);
        address oracle = _msgSender();
        if (_hasVoted[versionId][oracle]) revert DuplicateAttestation(versionId, oracle);
        _hasVoted[versionId][oracle] = true;

        if (weightsHash != record.weightsHash) {
            ++record.dissents;
            emit DissentRecorded(versionId, oracle, weightsHash);
            return;
        }
        uint8 attestations = ++record.attestations;
        _attesters[versionId].push(oracle);
        emit Attested(versionId, oracle, attestations);
        if (attestations >= _tasks[record.taskId].policy.quorum) _decide(versionId, record, round_);
    }

    /// @notice The task: its policy, deployed version, live round and name.
    function task(bytes32 taskId) external view returns (Task memory) {
        return _tasks[taskId];
    }

    /// @notice How many tasks exist.
    function taskCount() external view returns (uint256) {
        return _taskIds.length;
    }

    /**
     * @notice A page of task ids, in creation order.
     * @param offset How many to skip.
     * @param limit The most to return.
     */
    function taskIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory page) {
        uint256 end = Pagination.end(_taskIds.length, offset, limit);
        page = new bytes32[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = _taskIds[i];
    }

    /// @notice The task's acceptance and privacy policy.
    function policyOf(bytes32 taskId) external view returns (ValidationPolicy.Policy memory) {
        return _requireTask(taskId).policy;
    }

    /// @notice The task's deployed version id.
    function deployedVersion(bytes32 taskId) external view returns (uint64) {
        return _requireTask(taskId).deployedVersion;
    }

    /// @notice The version with this id (status None if there is none).
    function version(uint64 versionId) external view returns (Version memory) {
        return _versions[versionId];
    }

    /// @notice How many versions exist across all tasks.
    function versionCount() external view returns (uint64) {
        return _versionCount;
    }

    /// @notice The oracles that attested to the version's weights hash, proposer first.
    function attestersOf(uint64 versionId) external view returns (address[] memory) {
        return _attesters[versionId];
    }

    /// @notice True when the oracle proposed, attested to or dissented from the version.
    function hasVoted(uint64 versionId, address oracle) external view returns (bool) {
        return _hasVoted[versionId][oracle];
    }

    /// @notice How many versions the task has, genesis included.
    function versionCountOfTask(bytes32 taskId) external view returns (uint256) {
        return _versionsOfTask[taskId].length;
    }

    /**
     * @notice A page of the task's version ids, oldest first.
     * @param taskId The task.
     * @param offset How many to skip.
     * @param limit The most to return.
     */
    function versionsOfTask(bytes32 taskId, uint256 offset, uint256 limit)
        external
        view
        returns (uint64[] memory page)
    {
        uint64[] storage all = _versionsOfTask[taskId];
        uint256 end = Pagination.end(all.length, offset, limit);
        page = new uint64[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = all[i];
    }

    /// @notice The round record; its `status` field is as stored (see roundStatus for expiry).
    function round(uint64 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @notice The round's status, with Expired for an undecided round whose deadline has passed.
    function roundStatus(uint64 roundId) external view returns (RoundStatus) {
        return _statusOf(_rounds[roundId]);
    }

    /// @notice How many rounds exist across all tasks.
    function roundCount() external view returns (uint64) {
        return _roundCount;
    }

    function _decide(uint64 versionId, Version storage record, Round storage round_) private {
        bytes32 taskId = record.taskId;
        Task storage task_ = _tasks[taskId];
        uint64 previous = task_.deployedVersion;
        ValidationPolicy.Verdict verdict =
            task_.policy.evaluate(record.metric, _versions[previous].metric, record.participants);
        record.decidedAt = uint40(block.timestamp);
        task_.liveRound = 0;
        if (verdict == ValidationPolicy.Verdict.Accepted) {
            record.status = VersionStatus.Validated;
            task_.deployedVersion = versionId;
            round_.status = RoundStatus.Deployed;
            emit VersionValidated(taskId, versionId);
            emit VersionDeployed(taskId, versionId, previous);
        } else {
            record.status = VersionStatus.Rejected;
            record.verdict = verdict;
            round_.status = RoundStatus.Rejected;
            emit VersionRejected(taskId, versionId, verdict);
        }
    }

    function _requireTask(bytes32 taskId) private view returns (Task storage task_) {
        task_ = _tasks[taskId];
        if (task_.deployedVersion == 0) revert UnknownTask(taskId);
    }

    function _requireRound(uint64 roundId) private view returns (Round storage round_) {
        round_ = _rounds[roundId];
        if (round_.status == RoundStatus.None) revert UnknownRound(roundId);
    }

    function _requireLiveRound(uint64 roundId, RoundStatus expected) private view returns (Round storage round_) {
        round_ = _requireRound(roundId);
        RoundStatus status = _statusOf(round_);
        if (status == RoundStatus.Expired) revert RoundExpired(roundId, round_.deadline);
        if (status != expected) revert InvalidRoundStatus(roundId, status);
    }

    function _isPastDeadline(Round storage round_) private view returns (bool) {
        return block.timestamp > round_.deadline;
    }

    function _statusOf(Round storage round_) private view returns (RoundStatus status) {
        status = round_.status;
        if (
            (status == RoundStatus.Open || status == RoundStatus.Committed || status == RoundStatus.Proposed)
                && _isPastDeadline(round_)
        ) return RoundStatus.Expired;
    }

}
