import type { Address } from "viem";

/**
 * Ascending order of addresses as uint160, the order contracts compare them in (hex of fixed length compares as
 * the number when the case is the same): for sort().
 */
export function compareAddresses(a: Address, b: Address): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}
