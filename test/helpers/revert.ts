import { expect } from "chai";
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from "viem";
import * as abis from "../../lib/chain/abis.generated.ts";

/** Every error of every twinledger contract, so an error bubbling up from a called contract is still named. */
const allErrors: Abi = Object.values(abis).flat().filter((item) => item.type === "error");

function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.raw) return reverted.raw;
  const withData = error.walk((cause) => typeof (cause as { data?: unknown }).data === "string");
  const data = (withData as { data?: unknown } | null)?.data;
  return typeof data === "string" && data.startsWith("0x") ? (data as Hex) : undefined;
}

/** Asserts that `action` reverts with the named custom error and, if given, these arguments. */
export async function expectRevert(action: Promise<unknown>, errorName: string, args?: readonly unknown[]): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${errorName}, but the call succeeded`).to.not.equal(undefined);
  const data = revertData(caught);
  expect(data, `expected ${errorName}, got an error without revert data: ${String(caught)}`).to.be.a("string");
  const decoded = decodeErrorResult({ abi: allErrors, data: data! });
  expect(decoded.errorName).to.equal(errorName);
  if (args) expect(decoded.args).to.deep.equal(args);
}
