// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice What other twinledger contracts read from, and ask of, the DeviceRegistry.
interface IDeviceRegistry {
    enum DeviceStatus {
        None,
        Active,
        Suspended,
        Revoked
    }

    struct Device {
        uint32 organisationId;
        uint64 assetId;
        DeviceStatus status;
        /// @dev Set when the reputation contract suspended the device: only ADMIN may reactivate it.
        bool reputationHold;
        uint40 registeredAt;
        /// @dev The block of the last status change; a device's status is constant since this block.
        uint40 statusChangedAt;
        /// @dev Kept here for the Reputation contract, which alone writes it: the device's record slot is never zero,
        /// so a round's scores cost one warm write per device instead of a fresh storage slot each.
        uint16 reputationScore;
        /// @dev False until the first score is recorded (the device then reads as Reputation's start score).
        bool reputationScored;
        bytes32 firmwareHash;
        /// @dev The sha2-256 digest of the CIDv0 of the device's metadata (type, sensors, operating bounds).
        bytes32 metadataDigest;
    }

    function device(address deviceAccount) external view returns (Device memory);
    function isActive(address deviceAccount) external view returns (bool);
    function statusOf(address deviceAccount) external view returns (DeviceStatus);
    function activeStatuses(address[] calldata deviceAccounts) external view returns (bool[] memory active);
    function scoringRecords(address[] calldata deviceAccounts) external view returns (uint256[] memory records);
    function recordReputationScores(address[] calldata deviceAccounts, uint16[] calldata scores) external;
    function suspendForReputation(address deviceAccount) external returns (bool suspended);
}
