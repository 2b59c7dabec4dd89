"use client";
/**
 * One contract transaction through the connected wallet, with the states a person needs to see: checking
 * (simulated against the chain first, so a revert is caught with its decoded reason before anything is signed),
 * waiting for the wallet, pending (sent, not yet mined), confirmed, or failed with the reason in words.
 */
import { useCallback, useState } from "react";
import type { Abi, Address, ContractFunctionArgs, ContractFunctionName, Hash, TransactionReceipt } from "viem";
import { useConfig, useConnection } from "wagmi";
import { simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { describeError, type DescribedError } from "./errors";

export type TransactionState =
  | { phase: "idle" }
  | { phase: "checking" }
  | { phase: "wallet" }
  | { phase: "pending"; hash: Hash }
  | { phase: "confirmed"; hash: Hash; receipt: TransactionReceipt }
  | { phase: "failed"; error: DescribedError; hash?: Hash };

export interface ContractCall<abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable" | "payable">> {
  address: Address;
  abi: abi;
  functionName: functionName;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
}

export function useTransaction() {
  const config = useConfig();
  const { address } = useConnection();
  const [state, setState] = useState<TransactionState>({ phase: "idle" });

  const send = useCallback(
    async <abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable" | "payable">>(call: ContractCall<abi, functionName>): Promise<TransactionReceipt | undefined> => {
      if (!address) {
        setState({ phase: "failed", error: { message: "Connect a wallet first." } });
        return undefined;
      }
      let hash: Hash | undefined;
      try {
        setState({ phase: "checking" });
        // The generic parameters are the caller's; wagmi's action types cannot follow them through, hence the casts.
        const simulation = await simulateContract(config, { ...call, account: address } as unknown as Parameters<typeof simulateContract>[1]);
        setState({ phase: "wallet" });
        hash = await writeContract(config, simulation.request as unknown as Parameters<typeof writeContract>[1]);
        setState({ phase: "pending", hash });
        const receipt = await waitForTransactionReceipt(config, { hash });
        if (receipt.status !== "success") {
          setState({ phase: "failed", hash, error: { message: "The transaction was mined but reverted." } });
          return undefined;
        }
        setState({ phase: "confirmed", hash, receipt });
        return receipt;
      } catch (error) {
        setState({ phase: "failed", error: describeError(error), ...(hash ? { hash } : {}) });
        return undefined;
      }
    },
    [address, config],
  );

  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { state, send, reset, busy: state.phase === "checking" || state.phase === "wallet" || state.phase === "pending" };
}
