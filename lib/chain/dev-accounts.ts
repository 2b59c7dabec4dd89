import { keccak256, toHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** The mnemonic both Hardhat's node and Anvil fund by default ("test test … junk"). */
export const devMnemonic = "test test test test test test test test test test test junk";

/** The private key of dev account `index` (0..19 are funded on both Hardhat and Anvil). */
export function devPrivateKey(index: number): Hex {
  const key = mnemonicToAccount(devMnemonic, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for dev account ${index}`);
  return toHex(key);
}

/**
 * The signing key of simulated device `index`, derived from a consortium seed. Devices hold keys but no ether:
 * they only sign; oracles and gateways send the transactions.
 */
export function deviceKey(seed: string, index: number): Hex {
  return keccak256(toHex(`twinledger-device:${seed}:${index}`));
}

/** Which dev account plays which part in the demo consortium. */
export const devRoles = {
  governance: 0,
  organisations: [1, 2, 3],
  oracles: [4, 5, 6],
  gateways: [7, 8],
  auditor: 9,
  /** The homomorphic-encryption key holder (10–13 are test-only accounts). */
  keyHolder: 14,
} as const;
