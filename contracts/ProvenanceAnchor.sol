// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";

/**
 * @title ProvenanceAnchor
 * @notice Anchors of telemetry windows. A fog gateway anchors the Merkle root of one device's window of
 * readings (with its time span, reading count and the IPFS CID of the window's data) in one transaction, or
 * many windows in one batch, so on-chain cost grows with windows, not readings. A view verifies a reading's inclusion proof.
 * @dev Only a 32-byte digest of the window header is stored (one slot); the full header is in the
 * WindowAnchored event. Verifying a reading takes the header back, checks it against the digest (so device,
 * gateway, time span and data CID are bound to the root) and then checks the proof against the header's root.
 * Anchoring checks the device's own status (not its organisation's), to stay within one window's gas budget.
 */
contract ProvenanceAnchor is ManagedByConsortium {
    struct WindowHeader {
        address deviceAccount;
        uint64 startTime;
        uint64 endTime;
        uint32 readingCount;
        bytes32 root;
        string dataCid;
    }

    error InvalidWindow();
    error DeviceNotActive(address deviceAccount);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 maxSize);

    /// @notice Most windows one `anchorWindows` call takes, so a batch always fits in a block.
    uint256 public constant MAX_BATCH = 256;

    event WindowAnchored(
        uint256 indexed windowId,
        address indexed deviceAccount,
        address indexed gateway,
        bytes32 root,
        uint64 startTime,
        uint64 endTime,
        uint32 readingCount,
        string dataCid
    );

    IDeviceRegistry public immutable devices;

    uint256 private _windowCount;
    mapping(uint256 windowId => bytes32 headerDigest) private _windows;

    constructor(address manager, IDeviceRegistry devices_) ManagedByConsortium(manager) {
        devices = devices_;
    }

    /**
     * @notice Anchors a telemetry window of an active device, with the caller as its gateway.
     * @param header The device, time span, reading count, Merkle root and data CID of the window.
     * @return windowId The window's id.
     */
    function anchorWindow(WindowHeader calldata header) external restricted returns (uint256 windowId) {
        windowId = ++_windowCount;
        _anchor(windowId, header, _msgSender());
    }

    /**
     * @notice Anchors up to MAX_BATCH windows in one transaction, with the caller as their gateway; their ids are
     * consecutive. The whole batch reverts if one window is invalid or its device is not active.
     * @param headers The windows' headers.
     * @return firstWindowId The id of `headers[0]`; header i gets `firstWindowId + i`.
     */
    function anchorWindows(WindowHeader[] calldata headers) external restricted returns (uint256 firstWindowId) {
        uint256 count = headers.length;
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH) revert BatchTooLarge(count, MAX_BATCH);
        address gateway = _msgSender();
        firstWindowId = _windowCount + 1;
        for (uint256 i; i < count; ++i) {
            _anchor(firstWindowId + i, headers[i], gateway);
        }
        _windowCount += count;
    }

    /**
     * @notice True when `header` is the anchored window `windowId` (anchored by `gateway`) and `leaf` is in its tree.
     * @param windowId The anchored window.
     * @param header The window's header, as in its WindowAnchored event.
     * @param gateway The gateway that anchored it.
     * @param leaf The reading's leaf hash (StandardMerkleTree layout).
     * @param proof The reading's Merkle proof.
     */
    function verifyReading(
        uint256 windowId,
        WindowHeader calldata header,
        address gateway,
        bytes32 leaf,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 stored = _windows[windowId];
        if (stored == bytes32(0) || stored != headerDigest(header, gateway)) return false;
        return MerkleProof.verifyCalldata(proof, header.root, leaf);
    }

    /// @notice The stored digest of window `windowId`'s header (zero when there is no such window).
    function windowDigest(uint256 windowId) external view returns (bytes32) {
        return _windows[windowId];
    }

    /// @notice How many windows were anchored; ids run from 1 to this number.
    function windowCount() external view returns (uint256) {
        return _windowCount;
    }

    /// @notice The digest that binds a window header to the gateway that anchored it.
    function headerDigest(WindowHeader calldata header, address gateway) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                header.deviceAccount,
                gateway,
                header.startTime,
                header.endTime,
                header.readingCount,
                header.root,
                keccak256(bytes(header.dataCid))
            )
        );
    }

    function _anchor(uint256 windowId, WindowHeader calldata header, address gateway) private {
        if (header.root == bytes32(0) || header.readingCount == 0 || header.startTime > header.endTime) {
            revert InvalidWindow();
        }
        // The device's own status only: the gateway checks the organisation off-chain, and auditors check both from events.
        if (devices.statusOf(header.deviceAccount) != IDeviceRegistry.DeviceStatus.Active) {
            revert DeviceNotActive(header.deviceAccount);
        }
        _windows[windowId] = headerDigest(header, gateway);
        emit WindowAnchored(
            windowId,
            header.deviceAccount,
            gateway,
            header.root,
            header.startTime,
            header.endTime,
            header.readingCount,
            header.dataCid
        );
    }
}
