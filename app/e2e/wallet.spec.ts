/** The injected wallet: connecting shows the account's roles, and a wallet on another chain is asked to switch. */
import { accounts, connectThroughApp, expect, test, waitForData } from "./fixtures.ts";

test("connecting as an organisation admin shows the MEMBER role", async ({ page, wallet }) => {
  const member = await wallet({ account: accounts.northwindAdmin });
  await page.goto("/");
  await waitForData(page);
  await connectThroughApp(page);
  await expect(page.getByTestId("role-MEMBER")).toBeVisible();
  await expect(page.getByTestId("role-ADMIN")).toHaveCount(0);
  expect(member.requests).toContain("eth_requestAccounts");
});

test("a wallet on another chain is asked to switch, and then connects", async ({ page, wallet }) => {
  const governance = await wallet({ account: accounts.governance, initialChainId: 1 });
  await page.goto("/");
  await waitForData(page);
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await expect(page.getByTestId("wrong-chain")).toContainText("chain 1");
  await page.getByRole("button", { name: /^Switch to chain \d+$/ }).click();
  await expect(page.getByTestId("wallet-connected")).toBeVisible();
  await expect(page.getByTestId("role-ADMIN")).toBeVisible();
  expect(governance.chainId()).not.toBe(1);
});
