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
 * @dev Subjects never scored read as the start score. This contract must hold Roles.REPUTATION.
 */
contract Reputation is ManagedByConsortium {
    uint16 public constant MAX_SCORE = 1000;
    uint256 public constant MAX_BATCH = 1024;

    /// @dev Reason codes the oracles use; others are allowed and recorded as given.
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

    struct Score {
        uint16 value;
        bool initialised;
    }

    error RoundAlreadyScored(uint64 roundId);
    error UnknownRound(uint64 roundId);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);
    error UnknownDevice(address deviceAccount);
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
    mapping(address deviceAccount => Score) private _deviceScores;
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
     * @notice Applies a round's reputation changes, once per round. Scores clamp to 0..1000; a device that ends
     * below the threshold is suspended.
     * @param roundId The round the changes come from.
     * @param changes One entry per device: the signed change and its reason code.
     */
    function applyRoundChanges(uint64 roundId, ScoreChange[] calldata changes) external restricted {
        if (changes.length == 0) revert EmptyBatch();
        if (changes.length > MAX_BATCH) revert BatchTooLarge(changes.length, MAX_BATCH);
        if (_roundScored[roundId]) revert RoundAlreadyScored(roundId);
        if (models.roundStatus(roundId) == IModelRegistry.RoundStatus.None) revert UnknownRound(roundId);
        _roundScored[roundId] = true;

        uint16 threshold = suspendThreshold;
        for (uint256 i = 0; i < changes.length; ++i) {
            ScoreChange calldata change = changes[i];
            IDeviceRegistry.Device memory record = devices.device(change.deviceAccount);
            if (record.status == IDeviceRegistry.DeviceStatus.None) revert UnknownDevice(change.deviceAccount);
            uint16 updatedScore = _apply(
                _deviceScores[change.deviceAccount],
                Subject.Device,
                bytes32(uint256(uint160(change.deviceAccount))),
                roundId,
                change
            );
            _apply(
                _organisationScores[record.organisationId],
                Subject.Organisation,
                bytes32(uint256(record.organisationId)),
                roundId,
                change
            );
            if (updatedScore < threshold && record.status == IDeviceRegistry.DeviceStatus.Active) {
                devices.suspendForReputation(change.deviceAccount);
            }
        }
        emit RoundScored(roundId, changes.length);
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
        return _read(_deviceScores[deviceAccount]);
    }

    /// @notice The organisation's score (the start score if never scored).
    function organisationScore(uint32 organisationId) external view returns (uint16) {
        return _read(_organisationScores[organisationId]);
    }

    /// @notice True when the round's changes were applied.
    function isRoundScored(uint64 roundId) external view returns (bool) {
        return _roundScored[roundId];
    }

    function _apply(Score storage score, Subject subject, bytes32 subjectId, uint64 roundId, ScoreChange calldata change)
        private
        returns (uint16 updated)
    {
        uint16 previous = _read(score);
        int256 next = int256(uint256(previous)) + change.delta;
        if (next < 0) next = 0;
        if (next > int256(uint256(MAX_SCORE))) next = int256(uint256(MAX_SCORE));
        updated = uint16(uint256(next));
        score.value = updated;
        score.initialised = true;
        emit ScoreChanged(subject, subjectId, roundId, previous, updated, change.reason);
    }

    function _read(Score storage score) private view returns (uint16) {
        return score.initialised ? score.value : startScore;
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
