// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {Pagination} from "./libraries/Pagination.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";

/**
 * @title DeviceRegistry
 * @notice Assets (the machines the digital twins mirror) and the devices bound to them. A device is an account:
 * the secp256k1 key it signs telemetry and model updates with. It carries a firmware hash, a metadata document
 * (device type, sensors, static operating bounds per sensor) and a status: active, suspended or revoked.
 * Revocation is final. Every change emits an event, so "was device D active at block B" and "which firmware
 * did D run at block B" are answered from logs alone.
 * @dev Only the organisation owning an asset or device (through its admin account), or a consortium ADMIN,
 * may change it. Metadata is addressed by the sha2-256 digest of its CIDv0 (the CID `ipfs add` gives):
 * `Qm…` is base58btc(0x12 0x20 ‖ digest), which keeps registration within one storage slot per field.
 */
contract DeviceRegistry is ManagedByConsortium, IDeviceRegistry {
    struct Asset {
        uint32 organisationId;
        uint32 deviceCount;
        uint40 registeredAt;
        /// @dev A short human label, e.g. "pump-07", left-aligned in 32 bytes.
        bytes32 label;
    }

    error UnknownAsset(uint64 assetId);
    error UnknownDevice(address deviceAccount);
    error DeviceAlreadyRegistered(address deviceAccount);
    error InvalidDeviceAccount();
    error InvalidFirmwareHash();
    error InvalidMetadataDigest();
    error InvalidAssetLabel();
    /// @dev The organisation is not active, so it cannot register assets or devices.
    error OrganisationNotActive(uint32 organisationId);
    /// @dev The caller neither administers the owning organisation nor holds ADMIN.
    error NotController(address caller, uint32 organisationId);
    /// @dev The device's status does not allow the requested change (revoked is final).
    error InvalidStatusTransition(address deviceAccount, DeviceStatus from, DeviceStatus to);
    /// @dev The device was suspended for its reputation; only a consortium ADMIN may reactivate it.
    error ReputationHold(address deviceAccount);
    /// @dev Two arrays that must pair up element by element differ in length.
    error LengthMismatch(uint256 accounts, uint256 values);

    event AssetRegistered(uint64 indexed assetId, uint32 indexed organisationId, bytes32 label);
    event DeviceRegistered(
        address indexed deviceAccount,
        uint32 indexed organisationId,
        uint64 indexed assetId,
        bytes32 firmwareHash,
        bytes32 metadataDigest
    );
    event FirmwareUpdated(address indexed deviceAccount, bytes32 previousFirmwareHash, bytes32 firmwareHash);
    event DeviceMetadataUpdated(address indexed deviceAccount, bytes32 metadataDigest);
    event DeviceStatusChanged(
        address indexed deviceAccount, DeviceStatus previousStatus, DeviceStatus status, bool byReputation
    );
    /// @dev Reputation's ScoreChanged events carry each device's previous and new score; this marks the write.
    event ReputationScoresRecorded(uint256 count);

    IConsortiumRegistry public immutable consortium;

    uint64 private _assetCount;
    mapping(uint64 assetId => Asset) private _assets;
    mapping(uint32 organisationId => uint64[]) private _assetsOfOrganisation;
    mapping(uint64 assetId => mapping(uint256 index => address)) private _devicesOfAsset;
    mapping(address deviceAccount => Device) private _devices;

    constructor(address manager, IConsortiumRegistry consortium_) ManagedByConsortium(manager) {
        consortium = consortium_;
    }

    /**
     * @notice Registers an asset (a machine with a digital twin) owned by an organisation.
     * @param organisationId The owner; a MEMBER may only name its own organisation.
     * @param label A short label, e.g. "pump-07", left-aligned in 32 bytes.
     * @return assetId The new asset's id.
     */
    function registerAsset(uint32 organisationId, bytes32 label) external restricted returns (uint64 assetId) {
        if (label == bytes32(0)) revert InvalidAssetLabel();
        _requireController(organisationId);
        assetId = ++_assetCount;
        _assets[assetId] = Asset({
            organisationId: organisationId,
            deviceCount: 0,
            registeredAt: uint40(block.number),
            label: label
        });
        _assetsOfOrganisation[organisationId].push(assetId);
        emit AssetRegistered(assetId, organisationId, label);
    }

    /**
     * @notice Registers a device account on an asset, active from this block.
     * @param deviceAccount The device's signing account.
     * @param assetId The asset it is bound to; its organisation becomes the device's owner.
     * @param firmwareHash The hash of the firmware image the device runs.
     * @param metadataDigest The sha2-256 digest of the metadata document's CIDv0.
     */
    function registerDevice(address deviceAccount, uint64 assetId, bytes32 firmwareHash, bytes32 metadataDigest)
        external
        restricted
    {
        if (deviceAccount == address(0)) revert InvalidDeviceAccount();
        if (firmwareHash == bytes32(0)) revert InvalidFirmwareHash();
        if (metadataDigest == bytes32(0)) revert InvalidMetadataDigest();
        Asset storage assetRecord = _assets[assetId];
        uint32 organisationId = assetRecord.organisationId;
        if (organisationId == 0) revert UnknownAsset(assetId);
        _requireController(organisationId);
        Device storage record = _devices[deviceAccount];
        if (record.status != DeviceStatus.None) revert DeviceAlreadyRegistered(deviceAccount);

        record.organisationId = organisationId;
        record.assetId = assetId;
        record.status = DeviceStatus.Active;
        record.registeredAt = uint40(block.number);
        record.statusChangedAt = uint40(block.number);
        record.firmwareHash = firmwareHash;
        record.metadataDigest = metadataDigest;
        _devicesOfAsset[assetId][assetRecord.deviceCount++] = deviceAccount;
        emit DeviceRegistered(deviceAccount, organisationId, assetId, firmwareHash, metadataDigest);
    }

    /**
     * @notice Records that the device now runs new firmware. The history is the sequence of FirmwareUpdated events.
     * @param deviceAccount A device that is not revoked.
     * @param firmwareHash The new firmware image's hash.
     */
    function updateFirmware(address deviceAccount, bytes32 firmwareHash) external restricted {
        if (firmwareHash == bytes32(0)) revert InvalidFirmwareHash();
        Device storage record = _requireChangeable(deviceAccount);
        bytes32 previous = record.firmwareHash;
        record.firmwareHash = firmwareHash;
        emit FirmwareUpdated(deviceAccount, previous, firmwareHash);
    }

    /**
     * @notice Points the device at a new metadata document (e.g. revised operating bounds).
     * @param deviceAccount A device that is not revoked.
     * @param metadataDigest The sha2-256 digest of the new document's CIDv0.
     */
    function updateDeviceMetadata(address deviceAccount, bytes32 metadataDigest) external restricted {
        if (metadataDigest == bytes32(0)) revert InvalidMetadataDigest();
        Device storage record = _requireChangeable(deviceAccount);
        record.metadataDigest = metadataDigest;
        emit DeviceMetadataUpdated(deviceAccount, metadataDigest);
    }

    /**
     * @notice Suspends an active device. It may be reactivated later.
     * @param deviceAccount An active device.
     */
    function suspendDevice(address deviceAccount) external restricted {
        Device storage record = _requireChangeable(deviceAccount);
        _setStatus(deviceAccount, record, DeviceStatus.Active, DeviceStatus.Suspended, false);
    }

    /**
     * @notice Reactivates a suspended device. A device suspended for its reputation needs a consortium ADMIN.
     * @param deviceAccount A suspended device.
     */
    function reactivateDevice(address deviceAccount) external restricted {
        Device storage record = _requireChangeable(deviceAccount);
        if (record.reputationHold) {
            if (!_isConsortiumAdmin(_msgSender())) revert ReputationHold(deviceAccount);
            record.reputationHold = false;
        }
        _setStatus(deviceAccount, record, DeviceStatus.Suspended, DeviceStatus.Active, false);
    }

    /**
     * @notice Revokes a device for good: it never becomes active again.
     * @param deviceAccount A device that is not yet revoked.
     */
    function revokeDevice(address deviceAccount) external restricted {
        Device storage record = _requireChangeable(deviceAccount);
        DeviceStatus previous = record.status;
        record.status = DeviceStatus.Revoked;
        record.statusChangedAt = uint40(block.number);
        emit DeviceStatusChanged(deviceAccount, previous, DeviceStatus.Revoked, false);
    }

    /**
     * @notice Suspends an active device whose reputation fell below the threshold. Called by the Reputation contract.
     * @param deviceAccount The device.
     * @return suspended True when the device was active and is now suspended.
     */
    function suspendForReputation(address deviceAccount) external restricted returns (bool suspended) {
        Device storage record = _devices[deviceAccount];
        if (record.status != DeviceStatus.Active) return false;
        record.reputationHold = true;
        _setStatus(deviceAccount, record, DeviceStatus.Active, DeviceStatus.Suspended, true);
        return true;
    }

    /**
     * @notice Stores the scores the Reputation contract computed for a round, one per device.
     * @dev Restricted to Roles.REPUTATION. Reputation emits the per-device history; the scores live here so that
     * the write lands in each device's existing record slot.
     * @param deviceAccounts Registered devices.
     * @param scores Their new scores, element by element.
     */
    function recordReputationScores(address[] calldata deviceAccounts, uint16[] calldata scores) external restricted {
        if (deviceAccounts.length != scores.length) revert LengthMismatch(deviceAccounts.length, scores.length);
        for (uint256 i = 0; i < deviceAccounts.length; ++i) {
            Device storage record = _devices[deviceAccounts[i]];
            if (record.status == DeviceStatus.None) revert UnknownDevice(deviceAccounts[i]);
            record.reputationScore = scores[i];
            record.reputationScored = true;
        }
        emit ReputationScoresRecorded(deviceAccounts.length);
    }

    /// @notice The device record (status None when unregistered).
    function device(address deviceAccount) external view returns (Device memory) {
        return _devices[deviceAccount];
    }

    /// @notice True when the device is active and its organisation is active.
    function isActive(address deviceAccount) external view returns (bool) {
        Device storage record = _devices[deviceAccount];
        return record.status == DeviceStatus.Active && consortium.isActiveOrganisation(record.organisationId);
    }

    /// @notice isActive for many devices in one call: one storage read per device, one lookup per organisation run.
    function activeStatuses(address[] calldata deviceAccounts) external view returns (bool[] memory active) {
        active = new bool[](deviceAccounts.length);
        uint32 lastOrganisation;
        bool lastOrganisationActive;
        for (uint256 i = 0; i < deviceAccounts.length; ++i) {
            Device storage record = _devices[deviceAccounts[i]];
            if (record.status != DeviceStatus.Active) continue;
            uint32 organisationId = record.organisationId;
            if (organisationId != lastOrganisation) {
                lastOrganisation = organisationId;
                lastOrganisationActive = consortium.isActiveOrganisation(organisationId);
            }
            active[i] = lastOrganisationActive;
        }
    }

    /**
     * @notice What Reputation needs of each device to apply a round's changes, one word per device (status None
     * when unregistered): bits 0-31 the organisation id, 32-47 the reputation score, 48 whether it was ever
     * scored, 49-56 the status.
     * @dev Packed because a round's batch decodes 1,000 of these within one transaction.
     */
    function scoringRecords(address[] calldata deviceAccounts) external view returns (uint256[] memory records) {
        records = new uint256[](deviceAccounts.length);
        for (uint256 i = 0; i < deviceAccounts.length; ++i) {
            Device storage record = _devices[deviceAccounts[i]];
            records[i] = uint256(record.organisationId) | (uint256(record.reputationScore) << 32)
                | (record.reputationScored ? uint256(1) << 48 : 0) | (uint256(uint8(record.status)) << 49);
        }
    }

    /// @notice The device's own status, regardless of its organisation's (one storage read).
    function statusOf(address deviceAccount) external view returns (DeviceStatus) {
        return _devices[deviceAccount].status;
    }

    /// @notice The asset record (organisation 0 when there is none).
    function asset(uint64 assetId) external view returns (Asset memory) {
        return _assets[assetId];
    }

    /// @notice How many assets exist; ids run from 1 to this number.
    function assetCount() external view returns (uint64) {
        return _assetCount;
    }

    /// @notice How many assets the organisation has registered.
    function assetCountOfOrganisation(uint32 organisationId) external view returns (uint256) {
        return _assetsOfOrganisation[organisationId].length;
    }

    /**
     * @notice A page of the organisation's asset ids, in registration order.
     * @param organisationId The organisation.
     * @param offset How many to skip.
     * @param limit The most to return.
     */
    function assetsOfOrganisation(uint32 organisationId, uint256 offset, uint256 limit)
        external
        view
        returns (uint64[] memory page)
    {
        uint64[] storage all = _assetsOfOrganisation[organisationId];
        uint256 end = Pagination.end(all.length, offset, limit);
        page = new uint64[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = all[i];
    }

    /**
     * @notice A page of the devices bound to an asset, in registration order.
     * @param assetId The asset.
     * @param offset How many to skip.
     * @param limit The most to return.
     */
    function devicesOfAsset(uint64 assetId, uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory page)
    {
        uint256 end = Pagination.end(_assets[assetId].deviceCount, offset, limit);
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = _devicesOfAsset[assetId][i];
    }

    /**
     * @notice A page of the organisation's devices, asset by asset. Start with cursor 0 and pass back `nextCursor`
     * until it is 0. A page may be shorter than `limit` where assets have no devices.
     * @param organisationId The organisation.
     * @param cursor Where to continue: (asset position << 32) | device position within that asset.
     * @param limit The most devices to return; also bounds the assets scanned.
     */
    function devicesOfOrganisation(uint32 organisationId, uint256 cursor, uint256 limit)
        external
        view
        returns (address[] memory page, uint256 nextCursor)
    {
        uint64[] storage assetIds = _assetsOfOrganisation[organisationId];
        address[] memory buffer = new address[](limit);
        uint256 found;
        uint256 assetPosition = cursor >> 32;
        uint256 devicePosition = cursor & type(uint32).max;
        uint256 assetsScanned;
        while (found < limit && assetPosition < assetIds.length && assetsScanned <= limit) {
            uint64 assetId = assetIds[assetPosition];
            uint256 deviceCount = _assets[assetId].deviceCount;
            while (found < limit && devicePosition < deviceCount) {
                buffer[found++] = _devicesOfAsset[assetId][devicePosition++];
            }
            if (devicePosition >= deviceCount) {
                ++assetPosition;
                devicePosition = 0;
                ++assetsScanned;
            }
        }
        nextCursor = assetPosition < assetIds.length ? (assetPosition << 32) | devicePosition : 0;
        page = new address[](found);
        for (uint256 i = 0; i < found; ++i) page[i] = buffer[i];
    }

    function _requireController(uint32 organisationId) private view {
        address caller = _msgSender();
        if (_isConsortiumAdmin(caller)) return;
        if (consortium.organisationOf(caller) != organisationId) revert NotController(caller, organisationId);
        if (!consortium.isActiveOrganisation(organisationId)) revert OrganisationNotActive(organisationId);
    }

    function _requireChangeable(address deviceAccount) private view returns (Device storage record) {
        record = _devices[deviceAccount];
        if (record.status == DeviceStatus.None) revert UnknownDevice(deviceAccount);
        if (record.status == DeviceStatus.Revoked) {
            revert InvalidStatusTransition(deviceAccount, DeviceStatus.Revoked, DeviceStatus.Revoked);
        }
        _requireController(record.organisationId);
    }

    function _setStatus(
        address deviceAccount,
        Device storage record,
        DeviceStatus from,
        DeviceStatus to,
        bool byReputation
    ) private {
        if (record.status != from) revert InvalidStatusTransition(deviceAccount, record.status, to);
        record.status = to;
        record.statusChangedAt = uint40(block.number);
        emit DeviceStatusChanged(deviceAccount, from, to, byReputation);
    }

}
