/**
 * Starts the network the tests run against (a chain, oracles, fleet, gateways, twins and the app's production
 * server: app/e2e/network.ts) with one round run so a version is deployed, and hands it to the test workers
 * through the environment. The function it returns is Playwright's global teardown: it stops every process.
 */
import type { FullConfig } from "@playwright/test";
import { networkEnvVar, startNetwork } from "./network-client.ts";

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  // While developing tests: reuse a network started by hand (`node app/e2e/network.ts`, then its GET /info).
  if (process.env[networkEnvVar]) {
    process.stderr.write(`e2e: using the network in ${networkEnvVar}\n`);
    return async () => {};
  }
  const started = Date.now();
  process.stderr.write("e2e: starting a twinledger network and the web app (production build when the sources changed)…\n");
  const network = await startNetwork({ devices: 6, rounds: 1, roundSeconds: 40, echo: process.env.TWINLEDGER_E2E_QUIET !== "1" });
  process.env[networkEnvVar] = JSON.stringify(network.info);
  process.stderr.write(`e2e: network ready in ${((Date.now() - started) / 1000).toFixed(0)} s; app at ${network.info.appUrl} (log ${network.logPath})\n`);
  return async () => {
    const stopping = Date.now();
    await network.stop();
    process.stderr.write(`e2e: network stopped in ${((Date.now() - stopping) / 1000).toFixed(0)} s\n`);
  };
}
