// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {Roles} from "./access/Roles.sol";

/**
 * @title ConsortiumRegistry
 * @notice The organisations of the consortium. An organisation applies (or is registered directly by ADMIN),
 * joins on ADMIN approval, and can be suspended, reinstated or removed. Approval grants the organisation's
 * admin account the MEMBER role in the AccessManager; suspension and removal revoke it, so the registry and
 * the role never disagree.
 * @dev This contract must hold Roles.REGISTRAR, the role admin of Roles.MEMBER.
 */
contract ConsortiumRegistry is ManagedByConsortium {
    enum OrganisationStatus {
        None,
        Pending,
        Active,
        Suspended,
        Removed
    }

    struct Organisation {
        address admin;
        OrganisationStatus status;
        uint64 joinedAt;
        string name;
        string metadataCid;
    }

    /// @dev The account already administers an organisation (pending, active or suspended).
    error AdminAlreadyRegistered(address account);
    /// @dev The zero address cannot administer an organisation.
    error InvalidAdmin();
    /// @dev Organisation names must be between 1 and 64 bytes.
    error InvalidName();
    /// @dev No organisation has this id.
    error UnknownOrganisation(uint32 organisationId);
    /// @dev The organisation is not in a status that allows the requested change.
    error InvalidOrganisationStatus(uint32 organisationId, OrganisationStatus status);
    /// @dev Only the organisation's admin account, or a consortium ADMIN, may do this.
    error NotOrganisationAdmin(address caller, uint32 organisationId);
    /// @dev Only accounts that hold ADMIN can be enrolled as governance members.
    error NotConsortiumAdmin(address account);

    event MembershipRequested(uint32 indexed organisationId, address indexed admin, string name, string metadataCid);
    event OrganisationApproved(uint32 indexed organisationId, address indexed admin);
    event OrganisationSuspended(uint32 indexed organisationId);
    event OrganisationReinstated(uint32 indexed organisationId);
    event OrganisationRemoved(uint32 indexed organisationId);
    event OrganisationMetadataUpdated(uint32 indexed organisationId, string metadataCid);
    event GovernanceAccountEnrolled(address indexed account);

    uint32 private _organisationCount;
    mapping(uint32 organisationId => Organisation) private _organisations;
    mapping(address account => uint32 organisationId) private _organisationOfAdmin;

    constructor(address manager) ManagedByConsortium(manager) {}

    /**
     * @notice Asks to join the consortium with the caller as the organisation's admin account.
     * @param name The organisation's display name (1 to 64 bytes).
     * @param metadataCid The IPFS CID of the organisation's public profile.
     * @return organisationId The id of the pending organisation.
     */
    function requestMembership(string calldata name, string calldata metadataCid)
        external
        restricted
        returns (uint32 organisationId)
    {
        organisationId = _create(_msgSender(), name, metadataCid);
    }

    /**
     * @notice Approves a pending organisation and grants its admin account the MEMBER role.
     * @param organisationId The pending organisation.
     */
    function approveOrganisation(uint32 organisationId) external restricted {
        Organisation storage record = _requireStatus(organisationId, OrganisationStatus.Pending);
        _activate(organisationId, record);
    }

    /**
     * @notice Registers and approves an organisation in one step.
     * @param admin The organisation's admin account, which receives the MEMBER role.
     * @param name The organisation's display name (1 to 64 bytes).
     * @param metadataCid The IPFS CID of the organisation's public profile.
     * @return organisationId The id of the new, active organisation.
     */
    function registerOrganisation(address admin, string calldata name, string calldata metadataCid)
        external
        restricted
        returns (uint32 organisationId)
    {
        organisationId = _create(admin, name, metadataCid);
        _activate(organisationId, _organisations[organisationId]);
    }

    /**
     * @notice Suspends an active organisation: its admin loses the MEMBER role and its devices count as inactive.
     * @param organisationId The active organisation.
     */
    function suspendOrganisation(uint32 organisationId) external restricted {
        Organisation storage record = _requireStatus(organisationId, OrganisationStatus.Active);
        record.status = OrganisationStatus.Suspended;
        IAccessManager(authority()).revokeRole(Roles.MEMBER, record.admin);
        emit OrganisationSuspended(organisationId);
    }

    /**
     * @notice Reinstates a suspended organisation and gives its admin the MEMBER role back.
     * @param organisationId The suspended organisation.
     */
    function reinstateOrganisation(uint32 organisationId) external restricted {
        Organisation storage record = _requireStatus(organisationId, OrganisationStatus.Suspended);
        record.status = OrganisationStatus.Active;
        IAccessManager(authority()).grantRole(Roles.MEMBER, record.admin, 0);
        emit OrganisationReinstated(organisationId);
    }

    /**
     * @notice Removes an organisation for good (a pending application is thereby declined). Removal is final;
     * the admin account may later found a new organisation.
     * @param organisationId The organisation to remove.
     */
    function removeOrganisation(uint32 organisationId) external restricted {
        Organisation storage record = _requireExisting(organisationId);
        OrganisationStatus status = record.status;
        if (status == OrganisationStatus.Removed) revert InvalidOrganisationStatus(organisationId, status);
        record.status = OrganisationStatus.Removed;
        delete _organisationOfAdmin[record.admin];
        if (status == OrganisationStatus.Active) {
            IAccessManager(authority()).revokeRole(Roles.MEMBER, record.admin);
        }
        emit OrganisationRemoved(organisationId);
    }

    /**
     * @notice Points the organisation's public profile at a new CID. Its own admin or a consortium ADMIN may do this.
     * @param organisationId The organisation.
     * @param metadataCid The new profile CID.
     */
    function updateOrganisationMetadata(uint32 organisationId, string calldata metadataCid) external restricted {
        Organisation storage record = _requireExisting(organisationId);
        address caller = _msgSender();
        if (caller != record.admin && !_isConsortiumAdmin(caller)) {
            revert NotOrganisationAdmin(caller, organisationId);
        }
        if (record.status == OrganisationStatus.Removed) {
            revert InvalidOrganisationStatus(organisationId, record.status);
        }
        record.metadataCid = metadataCid;
        emit OrganisationMetadataUpdated(organisationId, metadataCid);
    }

    /**
     * @notice Grants MEMBER to an account that holds ADMIN, so that governance can act on any organisation's
     * assets and devices (MEMBER's role admin is this registry, so ADMIN cannot grant it directly).
     * @param account An account holding ADMIN.
     */
    function enrolGovernanceAccount(address account) external restricted {
        if (!_isConsortiumAdmin(account)) revert NotConsortiumAdmin(account);
        IAccessManager(authority()).grantRole(Roles.MEMBER, account, 0);
        emit GovernanceAccountEnrolled(account);
    }

    /// @notice The organisation with this id (status None if there is none).
    function organisation(uint32 organisationId) external view returns (Organisation memory) {
        return _organisations[organisationId];
    }

    /// @notice The organisation `account` administers, or 0.
    function organisationOf(address account) external view returns (uint32) {
        return _organisationOfAdmin[account];
    }

    /// @notice True when the organisation exists and is active.
    function isActiveOrganisation(uint32 organisationId) external view returns (bool) {
        return _organisations[organisationId].status == OrganisationStatus.Active;
    }

    /// @notice How many organisations were ever created; ids run from 1 to this number.
    function organisationCount() external view returns (uint32) {
        return _organisationCount;
    }

    /**
     * @notice A page of organisations, by id.
     * @param firstId The first id of the page (ids start at 1).
     * @param limit The most organisations to return.
     */
    function organisations(uint32 firstId, uint32 limit) external view returns (Organisation[] memory page) {
        uint256 count = _organisationCount;
        if (firstId == 0 || firstId > count) return new Organisation[](0);
        uint256 end = firstId + uint256(limit) - 1;
        if (end > count) end = count;
        page = new Organisation[](end - firstId + 1);
        for (uint256 i = 0; i < page.length; ++i) {
            page[i] = _organisations[uint32(firstId + i)];
        }
    }

    function _create(address admin, string calldata name, string calldata metadataCid)
        private
        returns (uint32 organisationId)
    {
        if (admin == address(0)) revert InvalidAdmin();
        if (bytes(name).length == 0 || bytes(name).length > 64) revert InvalidName();
        if (_organisationOfAdmin[admin] != 0) revert AdminAlreadyRegistered(admin);
        organisationId = ++_organisationCount;
        _organisations[organisationId] = Organisation({
            admin: admin,
            status: OrganisationStatus.Pending,
            joinedAt: 0,
            name: name,
            metadataCid: metadataCid
        });
        _organisationOfAdmin[admin] = organisationId;
        emit MembershipRequested(organisationId, admin, name, metadataCid);
    }

    function _activate(uint32 organisationId, Organisation storage record) private {
        record.status = OrganisationStatus.Active;
        record.joinedAt = uint64(block.timestamp);
        IAccessManager(authority()).grantRole(Roles.MEMBER, record.admin, 0);
        emit OrganisationApproved(organisationId, record.admin);
    }

    function _requireExisting(uint32 organisationId) private view returns (Organisation storage record) {
        record = _organisations[organisationId];
        if (record.status == OrganisationStatus.None) revert UnknownOrganisation(organisationId);
    }

    function _requireStatus(uint32 organisationId, OrganisationStatus expected)
        private
        view
        returns (Organisation storage record)
    {
        record = _requireExisting(organisationId);
        if (record.status != expected) revert InvalidOrganisationStatus(organisationId, record.status);
    }
}
