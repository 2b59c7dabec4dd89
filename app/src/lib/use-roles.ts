"use client";
/** The connected account's roles and permissions, read from the one AccessManager. */
import type { Abi, Address } from "viem";
import { toFunctionSelector, type AbiFunction } from "viem";
import { useReadContract, useReadContracts } from "wagmi";
import { accessManagerAbi } from "@/generated/contracts";
import { useAppConfig } from "./app-config";
import { accountRoles, Role, type RoleName } from "./roles";

export function useAccountRoles(account: Address | undefined) {
  const { addresses } = useAppConfig();
  const query = useReadContracts({
    contracts: accountRoles.map((name) => ({ address: addresses.AccessManager, abi: accessManagerAbi, functionName: "hasRole", args: [Role[name], account ?? "0x0000000000000000000000000000000000000000"] }) as const),
    query: { enabled: account !== undefined, refetchInterval: 5_000 },
  });
  const roles: RoleName[] = [];
  query.data?.forEach((entry, index) => {
    if (entry.status === "success" && (entry.result as readonly [boolean, number])[0]) roles.push(accountRoles[index]!);
  });
  return { roles, isLoading: query.isLoading, error: query.error };
}

/**
 * Whether `account` may call `functionName` on `target` right now, as the AccessManager decides it. The app
 * offers an action only when this is true, instead of guessing from role names.
 */
export function useCanCall(account: Address | undefined, target: Address, abi: Abi, functionName: string) {
  const { addresses } = useAppConfig();
  const item = abi.find((entry): entry is AbiFunction => entry.type === "function" && entry.name === functionName);
  if (!item) throw new Error(`${functionName} is not in the contract's ABI`);
  const query = useReadContract({
    address: addresses.AccessManager,
    abi: accessManagerAbi,
    functionName: "canCall",
    args: [account ?? "0x0000000000000000000000000000000000000000", target, toFunctionSelector(item)],
    query: { enabled: account !== undefined, refetchInterval: 5_000 },
  });
  return { allowed: account !== undefined && query.data?.[0] === true, isLoading: query.isLoading };
}
