// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Pagination
/// @notice Bounds of an offset/limit page over a list of `length` items.
library Pagination {
    /// @dev The exclusive end of the page; equal to `offset` (an empty page) when the offset is past the end.
    function end(uint256 length, uint256 offset, uint256 limit) internal pure returns (uint256) {
        if (offset >= length) return offset;
        return length - offset < limit ? length : offset + limit;
    }
}
