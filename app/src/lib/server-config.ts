/**
 * What the app server is connected to: the chain, the deployment record, IPFS gateways or node, the twin API and the
 * oracles. Written by the process that starts the app (the main job, the end-to-end tests, bench:web) as a JSON
 * file named by TWINLEDGER_APP_CONFIG, read on every request so a restarted network needs no rebuild.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { deploymentSchema } from "../../../lib/chain/deployment.ts";

const httpUrl = z.string().url().refine((url) => url.startsWith("http://") || url.startsWith("https://"), "an http(s) URL");

export const appConfigSchema = z.object({
  rpcUrl: httpUrl,
  deployment: deploymentSchema,
  /** Trustless gateways (raw blocks) of the network's IPFS nodes; the browser verifies every block it gets. */
  ipfsGateways: z.array(httpUrl).default([]),
  /** The Kubo RPC API of the network's external IPFS node (IPFS_API_URL), when it uses one. */
  ipfsApiUrl: httpUrl.optional(),
  /** The digital-twin API (twin/http.ts), if one runs. */
  twinUrl: httpUrl.optional(),
  /** Oracle APIs, for per-round acceptance and rejection reasons (not on chain). */
  oracleUrls: z.array(httpUrl).default([]),
});

export type AppConfig = z.infer<typeof appConfigSchema>;

/** What the browser may know: addresses and which services exist, never service URLs it cannot reach itself. */
export interface PublicAppConfig {
  chainId: number;
  addresses: AppConfig["deployment"]["addresses"];
  deploymentId: string;
  deployedAt: string;
  services: { ipfs: boolean; twin: boolean; oracles: boolean };
}

export type AppConfigResult = { ok: true; config: AppConfig } | { ok: false; reason: string };

export function appConfigPath(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.TWINLEDGER_APP_CONFIG ?? resolve(/*turbopackIgnore: true*/ process.cwd(), "..", ".twinledger", "app.json"));
}

export function readAppConfig(): AppConfigResult {
  const path = appConfigPath();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return { ok: false, reason: `no network configuration at ${path}: start a network with \`npm start\` (it serves this app), or set TWINLEDGER_APP_CONFIG` };
  }
  const parsed = appConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `invalid network configuration ${path}: ${z.prettifyError(parsed.error)}` };
  return { ok: true, config: parsed.data };
}

export function publicConfig(config: AppConfig): PublicAppConfig {
  return {
    chainId: config.deployment.chainId,
    addresses: config.deployment.addresses,
    deploymentId: config.deployment.deploymentId,
    deployedAt: config.deployment.deployedAt,
    services: { ipfs: config.ipfsGateways.length > 0 || config.ipfsApiUrl !== undefined, twin: config.twinUrl !== undefined, oracles: config.oracleUrls.length > 0 },
  };
}
