/**
 * The tests' fixtures: the network global setup started, the app's URL as baseURL, a console watcher that fails
 * any test whose page logged an error (or threw), and an injected wallet holding a dev account's key.
 */
import { test as base, expect, type Page } from "@playwright/test";
import { devPrivateKey } from "../../lib/chain/dev-accounts.ts";
import { networkFromEnvironment, runRound, type NetworkInfo, type RoundSummaryJson } from "./network-client.ts";
import { installWallet, type TestWallet } from "./wallet.ts";

/** Dev accounts by the part they play (lib/chain/dev-accounts.ts `devRoles`). */
export const accounts = {
  /** Governance: ADMIN (and MEMBER of every organisation). */
  governance: 0,
  /** The MEMBER admin of organisation 1, "Northwind Aero". */
  northwindAdmin: 1,
} as const;

export interface ConnectOptions {
  account?: number;
  /** The chain the wallet starts on; another one than the app's exercises the "wrong chain" prompt. */
  initialChainId?: number;
}

interface Fixtures {
  /** Console errors and uncaught page errors seen so far; the test fails at its end unless this is empty. */
  pageErrors: string[];
  /** Installs the injected wallet (before the first navigation) and returns it. */
  wallet: (options?: ConnectOptions) => Promise<TestWallet>;
  /** Runs one federated round on the shared network; resolves when the chain has decided it. */
  runRound: () => Promise<RoundSummaryJson>;
}

interface WorkerFixtures {
  network: NetworkInfo;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  network: [async ({}, use) => use(networkFromEnvironment()), { scope: "worker" }],
  baseURL: async ({ network }, use) => use(network.appUrl),
  pageErrors: [
    async ({ page }, use, testInfo) => {
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console.error at ${page.url()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`uncaught at ${page.url()}: ${error.stack ?? error.message}`));
      await use(errors);
      if (errors.length > 0) await testInfo.attach("page-errors.txt", { body: errors.join("\n\n"), contentType: "text/plain" });
      expect(errors, "the page logged errors").toEqual([]);
    },
    { auto: true },
  ],
  wallet: async ({ page, network }, use) => {
    await use((options = {}) =>
      installWallet(page, {
        privateKey: devPrivateKey(options.account ?? accounts.northwindAdmin),
        rpcUrl: network.rpcUrl,
        chainId: network.chainId,
        ...(options.initialChainId === undefined ? {} : { initialChainId: options.initialChainId }),
      }),
    );
  },
  runRound: async ({ network }, use) => use(() => runRound(network.controlUrl)),
});

export { expect };

/** Every page of the app, as the navigation lists them. */
export const appPages = ["/", "/organisations", "/devices", "/tasks", "/rounds", "/reputation", "/twins", "/audit"] as const;

/** Waits until a page's primary data is there: a `[data-loaded]` element and no loading placeholder left. */
export async function waitForData(page: Page, timeout = 30_000): Promise<void> {
  await expect(page.locator("[data-loaded]").first()).toBeAttached({ timeout });
  await expect(page.locator("[data-state=loading]")).toHaveCount(0, { timeout });
}

/** Connects the injected wallet through the app's own button and waits for the connected panel. */
export async function connectThroughApp(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await expect(page.getByTestId("wallet-connected")).toBeVisible();
}
