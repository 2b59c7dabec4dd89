// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ValidationPolicy} from "./libraries/ValidationPolicy.sol";

/**
 * @title EncryptionKeyRegistry
 * @notice The consortium's homomorphic-encryption (CKKS) public keys, and every decryption made with them.
 * Devices of a task with encrypted aggregation encrypt their updates under the active key; oracles weight and add
 * the ciphertexts without the secret key; the key holder (KEY_HOLDER) decrypts only a committed round's aggregate
 * and records here what it decrypted (the aggregate's hash) and into what (the result's hash and CID), so oracles
 * and auditors can check the decryption against the commitment without ever seeing a single update.
 * @dev Rotation publishes a new key, which becomes active; older keys stay readable by id, so rounds aggregated
 * under them remain verifiable. A decryption is refused unless the round is committed with at least the task
 * policy's minimum number of updates, once per round.
 */
contract EncryptionKeyRegistry is ManagedByConsortium {
    struct EncryptionKey {
        address holder;
        /// @dev The block the key was published in.
        uint40 publishedAt;
        /// @dev keccak256 of the serialized public key, the bytes at `publicKeyCid`.
        bytes32 publicKeyHash;
        /// @dev keccak256 of the canonical CKKS parameters (ring degree, coefficient moduli, scale).
        bytes32 parametersHash;
        string publicKeyCid;
    }

    struct Decryption {
        uint64 keyId;
        address holder;
        /// @dev The block the decryption was recorded in.
        uint40 recordedAt;
        /// @dev keccak256 of the aggregate ciphertext container that was decrypted.
        bytes32 aggregateHash;
        /// @dev keccak256 of the decrypted aggregate's canonical float32 bytes (the weights-hash convention).
        bytes32 resultHash;
        string resultCid;
    }

    error InvalidKey();
    error UnknownKey(uint64 keyId);
    error InvalidDecryption();
    error NotEncryptedTask(bytes32 taskId);
    error RoundNotCommitted(uint64 roundId, IModelRegistry.RoundStatus status);
    error TooFewCommittedUpdates(uint64 roundId, uint32 committed, uint32 minimum);
    error DecryptionAlreadyRecorded(uint64 roundId);

    event KeyPublished(uint64 indexed keyId, address indexed holder, string publicKeyCid, bytes32 publicKeyHash, bytes32 parametersHash);
    event AggregateDecrypted(uint64 indexed roundId, uint64 indexed keyId, address indexed holder, bytes32 aggregateHash, bytes32 resultHash, string resultCid);

    IModelRegistry public immutable models;

    uint64 private _keyCount;
    mapping(uint64 keyId => EncryptionKey) private _keys;
    mapping(uint64 roundId => Decryption) private _decryptions;

    constructor(address manager, IModelRegistry models_) ManagedByConsortium(manager) {
        models = models_;
    }

    /**
     * @notice Publishes a CKKS public key, which becomes the active key (rotation: the previous key stays readable).
     * @param publicKeyCid The IPFS CID of the serialized public key.
     * @param publicKeyHash keccak256 of the serialized public key.
     * @param parametersHash keccak256 of the canonical CKKS parameters the key was generated for.
     * @return keyId The new key's id (the first is 1).
     */
    function publishKey(string calldata publicKeyCid, bytes32 publicKeyHash, bytes32 parametersHash)
        external
        restricted
        returns (uint64 keyId)
    {
        if (bytes(publicKeyCid).length == 0 || publicKeyHash == bytes32(0) || parametersHash == bytes32(0)) revert InvalidKey();
        keyId = ++_keyCount;
        address holder = _msgSender();
        _keys[keyId] = EncryptionKey({
            holder: holder,
            publishedAt: uint40(block.number),
            publicKeyHash: publicKeyHash,
            parametersHash: parametersHash,
            publicKeyCid: publicKeyCid
        });
        emit KeyPublished(keyId, holder, publicKeyCid, publicKeyHash, parametersHash);
    }

    /**
     * @notice Records the decryption of a round's aggregate. Refused unless the round's task uses encrypted
     * aggregation and the round is committed with at least the policy's minimum number of updates; once per round.
     * @param roundId The round whose committed updates were aggregated.
     * @param keyId The key the updates were encrypted under.
     * @param aggregateHash keccak256 of the aggregate ciphertext container.
     * @param resultHash keccak256 of the decrypted aggregate's canonical float32 bytes.
     * @param resultCid The IPFS CID of the decrypted aggregate.
     */
    function recordDecryption(uint64 roundId, uint64 keyId, bytes32 aggregateHash, bytes32 resultHash, string calldata resultCid)
        external
        restricted
    {
        if (keyId == 0 || keyId > _keyCount) revert UnknownKey(keyId);
        if (aggregateHash == bytes32(0) || resultHash == bytes32(0) || bytes(resultCid).length == 0) revert InvalidDecryption();
        if (_decryptions[roundId].keyId != 0) revert DecryptionAlreadyRecorded(roundId);
        // roundStatus, not the stored status: a committed round past its deadline reads as Expired.
        IModelRegistry.RoundStatus status = models.roundStatus(roundId);
        if (status != IModelRegistry.RoundStatus.Committed) revert RoundNotCommitted(roundId, status);
        IModelRegistry.Round memory round_ = models.round(roundId);
        ValidationPolicy.Policy memory policy = models.policyOf(round_.taskId);
        if (!policy.encryptedAggregation) revert NotEncryptedTask(round_.taskId);
        if (round_.participantCount < policy.minParticipants) {
            revert TooFewCommittedUpdates(roundId, round_.participantCount, policy.minParticipants);
        }
        address holder = _msgSender();
        _decryptions[roundId] = Decryption({
            keyId: keyId,
            holder: holder,
            recordedAt: uint40(block.number),
            aggregateHash: aggregateHash,
            resultHash: resultHash,
            resultCid: resultCid
        });
        emit AggregateDecrypted(roundId, keyId, holder, aggregateHash, resultHash, resultCid);
    }

    /// @notice The active key's id: the latest published (0 before any).
    function activeKeyId() external view returns (uint64) {
        return _keyCount;
    }

    /// @notice A published key by id; reverts with UnknownKey for an id never published.
    function key(uint64 keyId) external view returns (EncryptionKey memory) {
        if (keyId == 0 || keyId > _keyCount) revert UnknownKey(keyId);
        return _keys[keyId];
    }

    /// @notice The decryption recorded for a round (keyId 0 when there is none).
    function decryptionOf(uint64 roundId) external view returns (Decryption memory) {
        return _decryptions[roundId];
    }
}
