/**
 * End-to-end tests of the web app in a real browser (Debian's chromium, never a downloaded one) against its
 * production build and a real twinledger network, which global setup starts (app/e2e/global-setup.ts).
 * One worker: the tests share that network, and the machine has two cores.
 */
import { defineConfig } from "@playwright/test";

export const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  globalSetup: "./e2e/global-setup.ts",
  // A production build (when the sources changed), the network's start and its first round come first.
  globalTimeout: 25 * 60_000,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  // One retry in CI: the machine there is shared, and every test tolerates running twice on the same network.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: { executablePath: process.env.TWINLEDGER_CHROMIUM ?? "/usr/bin/chromium", args: chromiumArgs },
    viewport: { width: 1280, height: 900 },
    screenshot: { mode: "on", fullPage: true },
    trace: "retain-on-failure",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
});
