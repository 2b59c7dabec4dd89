// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/**
 * @title UpdateLedger
 * @notice Which device updates a federated round aggregates. Two paths:
 * - commitUpdates: an oracle records the StandardMerkleTree root of all accepted updates in ONE transaction,
 *   whatever their number. Anyone can check a device's inclusion with a proof, and anyone can void the round
 *   with a fraud proof that the tree holds a device that was unregistered, revoked or suspended at commitment.
 * - submitUpdate: an oracle submits each update with the device's EIP-712 signature, verified on chain.
 *   Meant for small deployments; it costs one transaction per device.
 * @dev Leaves use OpenZeppelin's StandardMerkleTree layout over
 * (address device, bytes32 contentHash, string cid, uint256 sampleCount, uint256 nonce):
 * keccak256(bytes.concat(keccak256(abi.encode(...)))). Updates are signed as the EIP-712 struct ModelUpdate
 * under the domain ("twinledger", "1", chainId, this contract), with a per-device nonce and a deadline.
 */
contract UpdateLedger is ManagedByConsortium, EIP712 {
    struct ModelUpdate {
        bytes32 taskId;
        uint64 roundId;
        uint64 baseVersion;
        string updateCid;
        bytes32 weightsHash;
        uint64 sampleCount;
        int256[] metrics;
        uint256 nonce;
        uint64 deadline;
    }

    /// @dev Fraud reasons, passed to ModelRegistry.voidRound and emitted.
    uint8 public constant FRAUD_UNREGISTERED_DEVICE = 1;
    uint8 public constant FRAUD_REVOKED_DEVICE = 2;
    uint8 public constant FRAUD_SUSPENDED_DEVICE = 3;

    bytes32 public constant MODEL_UPDATE_TYPEHASH = keccak256(
        "ModelUpdate(bytes32 taskId,uint64 roundId,uint64 baseVersion,string updateCid,bytes32 weightsHash,uint64 sampleCount,int256[] metrics,uint256 nonce,uint64 deadline)"
    );

    error EmptyCommitment();
    error SignatureExpired(uint64 deadline);
    error DeviceNotActive(address deviceAccount);
    error NonceAlreadyUsed(address deviceAccount, uint256 nonce);
    error DuplicateSubmission(uint64 roundId, address deviceAccount);
    error TaskMismatch(bytes32 expected, bytes32 given);
    error BaseVersionMismatch(uint64 expected, uint64 given);
    error InvalidUpdate();
    error NotACommittedRound(uint64 roundId);
    error InvalidProof();
    /// @dev The challenged device was registered and not shown inactive at commitment.
    error DeviceWasEligible(address deviceAccount);

    event UpdatesCommitted(uint64 indexed roundId, address indexed oracle, bytes32 participantsRoot, uint32 count, string updatesCid);
    event UpdateSubmitted(
        uint64 indexed roundId,
        address indexed deviceAccount,
        address indexed oracle,
        bytes32 weightsHash,
        string updateCid,
        uint64 sampleCount,
        uint256 nonce,
        bytes32 leaf
    );
    event CommitmentChallenged(
        uint64 indexed roundId, address indexed challenger, address indexed deviceAccount, uint8 reason
    );

    IDeviceRegistry public immutable devices;
    IModelRegistry public immutable models;

    mapping(address deviceAccount => mapping(uint256 nonce => bool)) private _nonceUsed;
    mapping(uint64 roundId => mapping(address deviceAccount => bytes32 leaf)) private _submissions;

    constructor(address manager, IDeviceRegistry devices_, IModelRegistry models_)
        ManagedByConsortium(manager)
        EIP712("twinledger", "1")
    {
        devices = devices_;
        models = models_;
    }

    /**
     * @notice Seals a round's participation with the Merkle root of the updates the oracle accepted.
     * @dev `updatesCid` is only emitted, not stored: it names the document of the signed updates, so anyone can
     * recompute the root and check each device's signature without trusting the oracle.
     * @param roundId An open round without submissions.
     * @param participantsRoot The StandardMerkleTree root of the accepted updates.
     * @param count How many updates (leaves) the tree holds.
     * @param updatesCid The IPFS CID of the accepted updates as the devices signed them.
     */
    function commitUpdates(uint64 roundId, bytes32 participantsRoot, uint32 count, string calldata updatesCid) external restricted {
        if (participantsRoot == bytes32(0) || count == 0 || bytes(updatesCid).length == 0) revert EmptyCommitment();
        models.recordCommitment(roundId, participantsRoot, count);
        emit UpdatesCommitted(roundId, _msgSender(), participantsRoot, count, updatesCid);
    }

    /**
     * @notice Submits one device's signed update to an open round.
     * @param update The update, as the device signed it.
     * @param signature The device's EIP-712 signature over `update`.
     */
    function submitUpdate(ModelUpdate calldata update, bytes calldata signature) external restricted {
        if (block.timestamp > update.deadline) revert SignatureExpired(update.deadline);
        if (update.weightsHash == bytes32(0) || update.sampleCount == 0 || bytes(update.updateCid).length == 0) {
            revert InvalidUpdate();
        }
        address deviceAccount = ECDSA.recover(_hashTypedDataV4(hashModelUpdate(update)), signature);
        if (!devices.isActive(deviceAccount)) revert DeviceNotActive(deviceAccount);
        if (_nonceUsed[deviceAccount][update.nonce]) revert NonceAlreadyUsed(deviceAccount, update.nonce);
        if (_submissions[update.roundId][deviceAccount] != bytes32(0)) {
            revert DuplicateSubmission(update.roundId, deviceAccount);
        }
        IModelRegistry.Round memory round_ = models.round(update.roundId);
        if (round_.taskId != update.taskId) revert TaskMismatch(round_.taskId, update.taskId);
        if (round_.baseVersion != update.baseVersion) revert BaseVersionMismatch(round_.baseVersion, update.baseVersion);

        bytes32 leaf =
            updateLeaf(deviceAccount, update.weightsHash, update.updateCid, update.sampleCount, update.nonce);
        _nonceUsed[deviceAccount][update.nonce] = true;
        _submissions[update.roundId][deviceAccount] = leaf;
        models.recordSubmission(update.roundId, leaf);
        emit UpdateSubmitted(
            update.roundId,
            deviceAccount,
            _msgSender(),
            update.weightsHash,
            update.updateCid,
            update.sampleCount,
            update.nonce,
            leaf
        );
    }

    /**
     * @notice Voids a committed, undecided round by proving its tree holds a device that was not eligible at
     * commitment: unregistered, or revoked or suspended since a block no later than the commitment's.
     * @param roundId The committed round.
     * @param deviceAccount The leaf's device.
     * @param contentHash The leaf's update content (weights) hash.
     * @param cid The leaf's update CID.
     * @param sampleCount The leaf's sample count.
     * @param nonce The leaf's nonce.
     * @param proof The leaf's Merkle proof against the round's participants root.
     */
    function challengeCommitment(
        uint64 roundId,
        address deviceAccount,
        bytes32 contentHash,
        string calldata cid,
        uint256 sampleCount,
        uint256 nonce,
        bytes32[] calldata proof
    ) external restricted {
        IModelRegistry.Round memory round_ = models.round(roundId);
        if (!round_.committed) revert NotACommittedRound(roundId);
        bytes32 leaf = updateLeaf(deviceAccount, contentHash, cid, sampleCount, nonce);
        if (!MerkleProof.verifyCalldata(proof, round_.participantsRoot, leaf)) revert InvalidProof();

        IDeviceRegistry.Device memory record = devices.device(deviceAccount);
        uint8 reason;
        if (record.status == IDeviceRegistry.DeviceStatus.None) {
            reason = FRAUD_UNREGISTERED_DEVICE;
        } else if (record.statusChangedAt <= round_.participationBlock) {
            if (record.status == IDeviceRegistry.DeviceStatus.Revoked) reason = FRAUD_REVOKED_DEVICE;
            else if (record.status == IDeviceRegistry.DeviceStatus.Suspended) reason = FRAUD_SUSPENDED_DEVICE;
        }
        if (reason == 0) revert DeviceWasEligible(deviceAccount);
        models.voidRound(roundId, reason);
        emit CommitmentChallenged(roundId, _msgSender(), deviceAccount, reason);
    }

    /**
     * @notice True when the update is a leaf of the round's committed participants tree.
     * @param roundId A round whose participation was committed.
     * @param deviceAccount The leaf's device.
     * @param contentHash The leaf's update content (weights) hash.
     * @param cid The leaf's update CID.
     * @param sampleCount The leaf's sample count.
     * @param nonce The leaf's nonce.
     * @param proof The leaf's Merkle proof.
     */
    function verifyInclusion(
        uint64 roundId,
        address deviceAccount,
        bytes32 contentHash,
        string calldata cid,
        uint256 sampleCount,
        uint256 nonce,
        bytes32[] calldata proof
    ) external view returns (bool) {
        IModelRegistry.Round memory round_ = models.round(roundId);
        if (!round_.committed) return false;
        return MerkleProof.verifyCalldata(
            proof, round_.participantsRoot, updateLeaf(deviceAccount, contentHash, cid, sampleCount, nonce)
        );
    }

    /// @notice True when the device's nonce was consumed by a submission.
    function isNonceUsed(address deviceAccount, uint256 nonce) external view returns (bool) {
        return _nonceUsed[deviceAccount][nonce];
    }

    /// @notice The leaf of the device's submission to the round, or zero.
    function submissionOf(uint64 roundId, address deviceAccount) external view returns (bytes32) {
        return _submissions[roundId][deviceAccount];
    }

    /// @notice The EIP-712 digest a device signs for `update` (domain included).
    function updateDigest(ModelUpdate calldata update) external view returns (bytes32) {
        return _hashTypedDataV4(hashModelUpdate(update));
    }

    /// @notice The EIP-712 struct hash of a ModelUpdate.
    function hashModelUpdate(ModelUpdate calldata update) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                MODEL_UPDATE_TYPEHASH,
                update.taskId,
                update.roundId,
                update.baseVersion,
                keccak256(bytes(update.updateCid)),
                update.weightsHash,
                update.sampleCount,
                keccak256(abi.encodePacked(update.metrics)),
                update.nonce,
                update.deadline
            )
        );
    }

    /// @notice The StandardMerkleTree leaf of an update.
    function updateLeaf(address deviceAccount, bytes32 contentHash, string calldata cid, uint256 sampleCount, uint256 nonce)
        public
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(deviceAccount, contentHash, cid, sampleCount, nonce))));
    }
}
