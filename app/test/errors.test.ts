import { describe, expect, it } from "vitest";
import { BaseError, ContractFunctionRevertedError, encodeErrorResult, UserRejectedRequestError } from "viem";
import * as generated from "@/generated/contracts";
import { describeError, errorWords } from "@/lib/errors";

const abis = Object.entries(generated).filter(([name]) => name.endsWith("Abi")).map(([, abi]) => abi as readonly { type: string; name?: string }[]);

describe("describeError", () => {
  it("has words for every custom error the contracts can revert with", () => {
    const names = new Set(abis.flatMap((abi) => abi.filter((item) => item.type === "error").map((item) => item.name!)));
    const missing = [...names].filter((name) => !(name in errorWords));
    expect(missing).toEqual([]);
  });

  it("decodes AccessManagedUnauthorized into words naming the caller", () => {
    const caller = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const data = encodeErrorResult({ abi: generated.consortiumRegistryAbi, errorName: "AccessManagedUnauthorized", args: [caller] });
    const error = new ContractFunctionRevertedError({ abi: generated.consortiumRegistryAbi, data, functionName: "approveOrganisation" });
    const described = describeError(new BaseError("reverted", { cause: error }));
    expect(described.errorName).toBe("AccessManagedUnauthorized");
    expect(described.message).toMatch(/^Not permitted: account 0x709979…79C8 does not hold a role/);
  });

  it("says when the person rejected the request in the wallet", () => {
    const described = describeError(new BaseError("failed", { cause: new UserRejectedRequestError(new Error("User rejected")) }));
    expect(described).toEqual({ message: "You rejected the request in your wallet." });
  });
});
