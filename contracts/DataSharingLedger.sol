// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {ManagedByConsortium} from "./access/ManagedByConsortium.sol";
import {Roles} from "./access/Roles.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/**
 * @title DataSharingLedger
 * @notice Records of data shared between member organisations (outside federated learning, e.g. a failure
 * dataset lent for an investigation): who shared what with whom, and why. The record's details are readable
 * only by AUDITORs, ADMINs and the two organisations' admin accounts.
 * @dev The read restriction is an interface guarantee, not confidentiality: contract storage and calldata are
 * public on any chain. Store only CIDs of encrypted content here; the event carries no CID.
 */
contract DataSharingLedger is ManagedByConsortium {
    struct SharingRecord {
        uint32 fromOrganisation;
        uint32 toOrganisation;
        uint40 recordedAt;
        bytes32 purpose;
        string datasetCid;
    }

    error NotAMember(address caller);
    error InactiveRecipient(uint32 organisationId);
    error InvalidRecord();
    error UnknownRecord(uint256 recordId);
    /// @dev Only AUDITORs, ADMINs and the two parties may read a record's details.
    error NotAuthorisedReader(address reader);

    event SharingRecorded(uint256 indexed recordId, uint32 indexed fromOrganisation, uint32 indexed toOrganisation, bytes32 purpose);

    IConsortiumRegistry public immutable consortium;

    uint256 private _recordCount;
    mapping(uint256 recordId => SharingRecord) private _records;

    constructor(address manager, IConsortiumRegistry consortium_) ManagedByConsortium(manager) {
        consortium = consortium_;
    }

    /**
     * @notice Records that the caller's organisation shared a dataset with another member.
     * @param toOrganisation The recipient organisation (active).
     * @param datasetCid The CID of the (encrypted) dataset.
     * @param purpose A short purpose code, e.g. bytes32("failure-investigation").
     * @return recordId The record's id.
     */
    function recordSharing(uint32 toOrganisation, string calldata datasetCid, bytes32 purpose)
        external
        restricted
        returns (uint256 recordId)
    {
        address caller = _msgSender();
        uint32 fromOrganisation = consortium.organisationOf(caller);
        if (fromOrganisation == 0) revert NotAMember(caller);
        if (!consortium.isActiveOrganisation(toOrganisation)) revert InactiveRecipient(toOrganisation);
        if (bytes(datasetCid).length == 0 || purpose == bytes32(0)) revert InvalidRecord();
        recordId = ++_recordCount;
        _records[recordId] = SharingRecord({
            fromOrganisation: fromOrganisation,
            toOrganisation: toOrganisation,
            recordedAt: uint40(block.timestamp),
            purpose: purpose,
            datasetCid: datasetCid
        });
        emit SharingRecorded(recordId, fromOrganisation, toOrganisation, purpose);
    }

    /**
     * @notice A sharing record's details, for an AUDITOR, an ADMIN or either party (pass the reader as `from` of the call).
     * @param recordId The record.
     */
    function sharingRecord(uint256 recordId) external view returns (SharingRecord memory record) {
        record = _records[recordId];
        if (record.fromOrganisation == 0) revert UnknownRecord(recordId);
        address reader = msg.sender;
        uint32 readerOrganisation = consortium.organisationOf(reader);
        bool isParty = readerOrganisation != 0
            && (readerOrganisation == record.fromOrganisation || readerOrganisation == record.toOrganisation);
        if (!isParty && !_holds(Roles.AUDITOR, reader) && !_holds(Roles.ADMIN, reader)) {
            revert NotAuthorisedReader(reader);
        }
    }

    /// @notice How many sharing records exist.
    function recordCount() external view returns (uint256) {
        return _recordCount;
    }

    function _holds(uint64 roleId, address account) private view returns (bool isMember) {
        (isMember, ) = IAccessManager(authority()).hasRole(roleId, account);
    }
}
