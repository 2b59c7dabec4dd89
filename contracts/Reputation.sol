// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/**
 * @title Reputation
 * @notice Scores of devices and organisations, bounded to 0..1000. An oracle applies a round's changes in one
 * batch, once per round, each with a reason code; a device's change also moves its organisation's score. A
 * device whose score falls below the suspension threshold is suspended in the DeviceRegistry in the same
 * transaction. The history is the sequence of ScoreChanged events.
 * @dev Subjects never scored read as the start score. Device scores live in the DeviceRegistry's device records
 * (see applyRoundChanges), organisation scores here. This contract must hold Roles.REPUTATION.
 */
contract Reputation is ManagedByConsortium {
    uint16 public constant MAX_SCORE = 1000;
    uint256 public constant MAX_BATCH = 1024;

    /// @dev Reason codes the oracles use; others are allowed and recorded as given.
    /// An organisation's net change over a round's batch (its devices' changes, clamped after each).
    uint8 public constant REASON_ROUND_NET = 0;
    uint8 public constant REASON_ACCEPTED = 1;
    uint8 public constant REASON_REJECTED = 2;
    uint8 public constant REASON_OUTLIER = 3;

    enum Subject {
        Device,
        Organisation
    }

    struct ScoreChange {
        address deviceAccount;
        int16 delta;
        uint8 reason;
    }

    /// @dev The organisation whose devices' changes are being applied, its score before them and so far.
    struct OrganisationRun {
        uint32 organisationId;
        uint16 previous;
        uint16 score;
    }

    struct Score {
        uint16 value;
        bool initialised;
    }

    error RoundAlreadyScored(uint64 roundId);
    error UnknownRound(uint64 roundId);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);
    error UnknownDevice(address deviceAccount);
    /// @dev Entry `index` does not come after the one before it in (organisationId, deviceAccount) order.
    error UnorderedBatch(uint256 index);
    error ScoreOutOfRange(uint16 score);

    event ScoreChanged(
        Subject indexed subject, bytes32 indexed subjectId, uint64 indexed roundId, uint16 previous, uint16 score, uint8 reason
    );
    event RoundScored(uint64 indexed roundId, uint256 changes);
    event StartScoreSet(uint16 score);
    event SuspendThresholdSet(uint16 score);

    IDeviceRegistry public immutable devices;
    IModelRegistry public immutable models;

    uint16 public startScore;
    uint16 public suspendThreshold;
    mapping(uint32 organisationId => Score) private _organisationScores;
    mapping(uint64 roundId => bool) private _roundScored;

    constructor(
        address manager,
        IDeviceRegistry devices_,
        IModelRegistry models_,
        uint16 startScore_,
        uint16 suspendThreshold_
    ) ManagedByConsortium(manager) {
        devices = devices_;
        models = models_;
        _setStartScore(startScore_);
        _setSuspendThreshold(suspendThreshold_);
    }

    /**
     * @notice Applies a round's reputation changes, once per round. Scores clamp to 0..1000 after every change; a
     * device that ends below the threshold is suspended. Each device's change emits a ScoreChanged; each
     * organisation's net change over the batch emits one, with reason REASON_ROUND_NET.
     * @dev Device scores are stored in the DeviceRegistry's record of each device (read in one call, written in
     * one), and each organisation's score is written once per batch, so a round of 1,000 devices fits within a
     * transaction's gas cap. Entries must be ordered by organisation, then by device address, both ascending: each
     * organisation's changes are then one run, and no device can appear twice.
     * @param roundId The round the changes come from.
     * @param changes One entry per device, ordered by (organisationId, deviceAccount): the signed change and its reason.
     */
    function applyRoundChanges(uint64 roundId, ScoreChange[] calldata changes) external restricted {
        uint256 count = changes.length;
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH) revert BatchTooLarge(count, MAX_BATCH);
        if (_roundScored[roundId]) revert RoundAlreadyScored(roundId);
        if (models.roundStatus(roundId) == IModelRegistry.RoundStatus.None) revert UnknownRound(roundId);
        _roundScored[roundId] = true;

        address[] memory accounts = new address[](count);
        for (uint256 i = 0; i < count; ++i) {
            accounts[i] = changes[i].deviceAccount;
        }
        uint256[] memory records = devices.scoringRecords(accounts);
        uint16[] memory updatedScores = _moveAll(roundId, changes, records);
        devices.recordReputationScores(accounts, updatedScores);
        uint16 threshold = suspendThreshold;
        for (uint256 i = 0; i < count; ++i) {
            if (updatedScores[i] < threshold && _statusOf(records[i]) == IDeviceRegistry.DeviceStatus.Active) {
                devices.suspendForReputation(accounts[i]);
            }
        }
        emit RoundScored(roundId, count);
    }

    /**
     * @notice Sets the score that subjects never scored start from.
     * @param score 0..1000.
     */
    function setStartScore(uint16 score) external restricted {
        _setStartScore(score);
    }

    /**
     * @notice Sets the device score below which a device is suspended.
     * @param score 0..1000.
     */
    function setSuspendThreshold(uint16 score) external restricted {
        _setSuspendThreshold(score);
    }

    /// @notice The device's score (the start score if never scored).
    function deviceScore(address deviceAccount) external view returns (uint16) {
        IDeviceRegistry.Device memory record = devices.device(deviceAccount);
        return record.reputationScored ? record.reputationScore : startScore;
    }

    /// @notice The organisation's score (the start score if never scored).
    function organisationScore(uint32 organisationId) external view returns (uint16) {
        return _read(_organisationScores[organisationId], startScore);
    }

    /// @notice True when the round's changes were applied.
    function isRoundScored(uint64 roundId) external view returns (bool) {
        return _roundScored[roundId];
    }

    /// @dev Each device's new score in batch order, with the events; organisations move run by run.
    function _moveAll(uint64 roundId, ScoreChange[] calldata changes, uint256[] memory records)
        private
        returns (uint16[] memory updatedScores)
    {
        updatedScores = new uint16[](changes.length);
        uint16 start = startScore;
        OrganisationRun memory run;
        for (uint256 i = 0; i < changes.length; ++i) {
            ScoreChange calldata change = changes[i];
            uint256 record = records[i];
            if (_statusOf(record) == IDeviceRegistry.DeviceStatus.None) revert UnknownDevice(change.deviceAccount);
            uint32 organisationId = uint32(record);
            if (i == 0 || organisationId != run.organisationId) {
                if (i > 0 && organisationId < run.organisationId) revert UnorderedBatch(i);
                if (i > 0) _closeRun(run, roundId);
                Score storage organisation = _organisationScores[organisationId];
                uint16 organisationScore = _read(organisation, start);
                run = OrganisationRun(organisationId, organisationScore, organisationScore);
            } else if (change.deviceAccount <= changes[i - 1].deviceAccount) {
                revert UnorderedBatch(i);
            }
            uint16 previous = (record >> 48) & 1 == 1 ? uint16(record >> 32) : start;
            uint16 updated = _moved(previous, change.delta);
            updatedScores[i] = updated;
            run.score = _moved(run.score, change.delta);
            emit ScoreChanged(
                Subject.Device, bytes32(uint256(uint160(change.deviceAccount))), roundId, previous, updated, change.reason
            );
        }
        _closeRun(run, roundId);
    }

    function _closeRun(OrganisationRun memory run, uint64 roundId) private {
        Score storage score = _organisationScores[run.organisationId];
        score.value = run.score;
        score.initialised = true;
        emit ScoreChanged(
            Subject.Organisation, bytes32(uint256(run.organisationId)), roundId, run.previous, run.score, REASON_ROUND_NET
        );
    }

    function _statusOf(uint256 record) private pure returns (IDeviceRegistry.DeviceStatus) {
        return IDeviceRegistry.DeviceStatus(uint8(record >> 49));
    }

    function _moved(uint16 previous, int16 delta) private pure returns (uint16) {
        int256 next = int256(uint256(previous)) + delta;
        if (next < 0) return 0;
        if (next > int256(uint256(MAX_SCORE))) return MAX_SCORE;
        return uint16(uint256(next));
    }

    function _read(Score storage score, uint16 start) private view returns (uint16) {
        return score.initialised ? score.value : start;
    }

    function _setStartScore(uint16 score) private {
        if (score > MAX_SCORE) revert ScoreOutOfRange(score);
        startScore = score;
        emit StartScoreSet(score);
    }

    function _setSuspendThreshold(uint16 score) private {
        if (score > MAX_SCORE) revert ScoreOutOfRange(score);
        suspendThreshold = score;
        emit SuspendThresholdSet(score);
    }
}
