// @vitest-environment node
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isForwardedMethod, isJsonRpcRequest, refusal } from "@/lib/rpc-policy";
import { publicConfig, readAppConfig } from "@/lib/server-config";
import { deployment } from "./fixtures/deployment";

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "twinledger-app-")), "app.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  process.env.TWINLEDGER_APP_CONFIG = path;
  return path;
}

afterEach(() => {
  delete process.env.TWINLEDGER_APP_CONFIG;
});

describe("the RPC proxy's policy", () => {
  it("forwards reads and signed transactions, and refuses node administration and unsigned sends", () => {
    for (const method of ["eth_call", "eth_getLogs", "eth_chainId", "eth_sendRawTransaction", "eth_getTransactionReceipt"]) expect(isForwardedMethod(method)).toBe(true);
    for (const method of ["evm_mine", "hardhat_setBalance", "anvil_setCode", "eth_sendTransaction", "debug_traceTransaction", "personal_sign"]) expect(isForwardedMethod(method)).toBe(false);
    expect(refusal(7, "evm_mine")).toMatchObject({ id: 7, error: { code: -32601, message: expect.stringContaining("evm_mine") } });
  });

  it("accepts only JSON-RPC 2.0 request objects", () => {
    expect(isJsonRpcRequest({ jsonrpc: "2.0", id: 1, method: "eth_chainId" })).toBe(true);
    expect(isJsonRpcRequest({ jsonrpc: "1.0", id: 1, method: "eth_chainId" })).toBe(false);
    expect(isJsonRpcRequest({ jsonrpc: "2.0", id: {}, method: "eth_chainId" })).toBe(false);
    expect(isJsonRpcRequest("eth_chainId")).toBe(false);
  });
});

describe("the app's network configuration", () => {
  it("reads a valid file and exposes only what the browser may know", () => {
    configFile({ rpcUrl: "http://127.0.0.1:8545", deployment, ipfsGateways: ["http://127.0.0.1:9001"], oracleUrls: [] });
    const result = readAppConfig();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const exposed = publicConfig(result.config);
    expect(exposed).toEqual({ chainId: 31337, addresses: deployment.addresses, deploymentId: deployment.deploymentId, deployedAt: deployment.deployedAt, services: { ipfs: true, twin: false, oracles: false } });
    expect(JSON.stringify(exposed)).not.toContain("9001");
  });

  it("says how to fix a missing or invalid file", () => {
    process.env.TWINLEDGER_APP_CONFIG = "/nonexistent/app.json";
    const missing = readAppConfig();
    expect(missing).toMatchObject({ ok: false, reason: expect.stringContaining("npm start") });
    configFile({ rpcUrl: "ftp://x", deployment });
    const invalid = readAppConfig();
    expect(invalid).toMatchObject({ ok: false, reason: expect.stringContaining("rpcUrl") });
  });
});
