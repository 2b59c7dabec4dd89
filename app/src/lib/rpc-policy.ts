/**
 * Which JSON-RPC methods the app's /api/rpc proxy forwards: reads, and raw transactions already signed by a
 * wallet. Node administration (evm_*, hardhat_*, anvil_*, debug_*, personal_*, unsigned eth_sendTransaction)
 * is refused, so exposing the app does not expose the dev node's control surface.
 */
const allowed = new Set([
  "eth_blockNumber", "eth_call", "eth_chainId", "eth_estimateGas", "eth_feeHistory", "eth_gasPrice", "eth_getBalance",
  "eth_getBlockByHash", "eth_getBlockByNumber", "eth_getCode", "eth_getLogs", "eth_getStorageAt", "eth_getTransactionByHash",
  "eth_getTransactionCount", "eth_getTransactionReceipt", "eth_maxPriorityFeePerGas", "eth_sendRawTransaction",
  "eth_getBlockTransactionCountByNumber", "net_version", "web3_clientVersion", "eth_syncing",
]);

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: number | string | null;
  method: string;
  params?: unknown;
}

export function isJsonRpcRequest(value: unknown): value is JsonRpcRequest {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return candidate.jsonrpc === "2.0" && typeof candidate.method === "string" && (candidate.id === null || typeof candidate.id === "number" || typeof candidate.id === "string");
}

export function isForwardedMethod(method: string): boolean {
  return allowed.has(method);
}

export function refusal(id: JsonRpcRequest["id"], method: string) {
  return { jsonrpc: "2.0" as const, id, error: { code: -32601, message: `method ${method} is not available through the twinledger app (reads and signed transactions only)` } };
}
