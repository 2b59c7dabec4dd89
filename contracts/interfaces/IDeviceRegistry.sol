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
        bytes32 firmwareHash;
        /// @dev The sha2-256 digest of the CIDv0 of the device's metadata (type, sensors, operating bounds).
        bytes32 metadataDigest;
    }

    function device(address deviceAccount) external view returns (Device memory);
    function isActive(address deviceAccount) external view returns (bool);
    function statusOf(address deviceAccount) external view returns (DeviceStatus);
    function suspendForReputation(address deviceAccount) external returns (bool suspended);
}
