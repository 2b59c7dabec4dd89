/** An auditor verifies a model version from public evidence: chain, IPFS content, lineage. */
import { expect, test, waitForData } from "./fixtures.ts";

test("a model version verifies on the Audit page", async ({ page }) => {
  await page.goto("/audit");
  await waitForData(page);
  const versions = page.getByRole("combobox", { name: /version/i }).first();
  await expect(versions).toBeVisible();
  // The newest version: its lineage reaches back through every round to the genesis model.
  const newest = await versions.locator("option").last().getAttribute("value");
  if (newest) await versions.selectOption(newest);
  await page.getByRole("button", { name: "Verify model version" }).click();
  await expect(page.getByTestId("model-verdict")).toContainText("Verified", { timeout: 60_000 });
});
