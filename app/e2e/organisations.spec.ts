/** A MEMBER tries an ADMIN-only action and is refused, with the chain's reason decoded, before signing anything. */
import { accounts, connectThroughApp, expect, test, waitForData } from "./fixtures.ts";

test("an ADMIN-only action is refused for a MEMBER with the decoded reason", async ({ page, wallet }) => {
  const member = await wallet({ account: accounts.northwindAdmin });
  await page.goto("/organisations");
  await waitForData(page);
  await connectThroughApp(page);
  await expect(page.getByTestId("role-MEMBER")).toBeVisible();
  // A MEMBER is not offered membership actions until it asks to see what its roles do not permit.
  await expect(page.getByRole("button", { name: "Suspend Delta Pumps" })).toHaveCount(0);
  await page.getByRole("checkbox", { name: "Show actions your roles do not permit" }).check();
  await page.getByRole("button", { name: "Suspend Delta Pumps" }).click();

  const failure = page.getByTestId("tx-failed");
  await expect(failure).toBeVisible();
  await expect(failure).toContainText("Not permitted");
  await expect(failure).toContainText("AccessManagedUnauthorized");
  // The refusal came from simulating the call: nothing was signed or sent.
  expect(member.sentTransactions).toHaveLength(0);
  expect(member.requests).not.toContain("eth_sendTransaction");
  await expect(page.getByTestId("organisation").filter({ hasText: "Delta Pumps" }).getByTestId("organisation-status")).toHaveText("active");
});
