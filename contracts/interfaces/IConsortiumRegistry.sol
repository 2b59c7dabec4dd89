// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice What other twinledger contracts read from the ConsortiumRegistry.
interface IConsortiumRegistry {
    function organisationOf(address account) external view returns (uint32);
    function isActiveOrganisation(uint32 organisationId) external view returns (bool);
}
