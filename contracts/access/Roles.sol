// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Roles
 * @notice The AccessManager role ids of a twinledger consortium. One AccessManager governs every contract;
 * these ids are what the deployment wires to function selectors.
 * @dev ADMIN is the AccessManager's own ADMIN_ROLE. The system roles (>= 10) are held only by twinledger
 * contracts, so that one contract may call a restricted function of another (e.g. the reputation contract
 * suspending a device) without any account holding that power.
 */
library Roles {
    /// @dev Consortium governance. Equal to AccessManager.ADMIN_ROLE.
    uint64 internal constant ADMIN = 0;
    /// @dev An organisation's account: manages its own assets and devices.
    uint64 internal constant MEMBER = 1;
    /// @dev An aggregation node: commits updates, proposes and attests model versions, updates reputation.
    uint64 internal constant ORACLE = 2;
    /// @dev A fog gateway: anchors telemetry windows.
    uint64 internal constant GATEWAY = 3;
    /// @dev May read restricted data-sharing records.
    uint64 internal constant AUDITOR = 4;
    /// @dev May open federated rounds; granted to every oracle and every admin account.
    uint64 internal constant ROUND_OPENER = 5;
    /// @dev The homomorphic-encryption key holder: publishes CKKS public keys and records aggregate decryptions.
    uint64 internal constant KEY_HOLDER = 6;

    /// @dev Held by the ConsortiumRegistry contract: the admin of MEMBER, so approval grants the role.
    uint64 internal constant REGISTRAR = 10;
    /// @dev Held by the UpdateLedger contract: records participation in rounds and voids fraudulent ones.
    uint64 internal constant LEDGER = 11;
    /// @dev Held by the Reputation contract: suspends devices whose score fell below the threshold.
    uint64 internal constant REPUTATION = 12;
}
