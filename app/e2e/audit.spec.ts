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

test("a telemetry reading's proof verifies on the Audit page, device signature included", async ({ page }) => {
  await page.goto("/audit");
  await waitForData(page);
  // The default device and its newest anchored window; telemetry has been flowing since the network started.
  const windows = page.getByLabel("Anchored window");
  await expect(windows.locator("option").first()).toBeAttached({ timeout: 30_000 });
  await page.getByRole("button", { name: "Verify reading" }).click();
  await expect(page.getByTestId("reading-verdict")).toContainText("Verified", { timeout: 60_000 });
  await expect(page.getByText("the window's EIP-712 signature recovers to the device account")).toBeVisible();
});
