// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {Roles} from "./Roles.sol";

/**
 * @title ManagedByConsortium
 * @notice Base of every twinledger contract: AccessManaged by the consortium's single AccessManager, with a
 * helper for the checks that depend on who the caller is beyond its role (e.g. "the owning organisation, or ADMIN").
 */
abstract contract ManagedByConsortium is AccessManaged {
    constructor(address manager) AccessManaged(manager) {}

    /// @dev True when `account` holds the consortium ADMIN role now (a granted role still in its grant delay is not held).
    function _isConsortiumAdmin(address account) internal view returns (bool isMember) {
        (isMember, ) = IAccessManager(authority()).hasRole(Roles.ADMIN, account);
    }
}
