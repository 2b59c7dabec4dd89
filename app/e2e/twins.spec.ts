/** Opening a digital twin shows its telemetry arriving live (server-sent events through the app). */
import { expect, test, waitForData } from "./fixtures.ts";

const readingCount = (text: string) => Number(text.replace(/[^0-9]/g, ""));

test("an open twin shows live telemetry arriving", async ({ page }) => {
  await page.goto("/twins");
  await waitForData(page);
  const asset = page.getByTestId("twin-asset").first().getByRole("link");
  const label = await asset.innerText();
  await asset.click();
  await expect(page).toHaveURL(/[?&]asset=/);
  const count = page.getByTestId("telemetry-count");
  await expect(count).toBeVisible();
  const first = readingCount(await count.innerText());
  await expect.poll(async () => readingCount(await count.innerText()), { message: `readings of ${label} should keep arriving`, timeout: 15_000 }).toBeGreaterThan(first);
  const later = readingCount(await count.innerText());
  await expect.poll(async () => readingCount(await count.innerText()), { timeout: 15_000 }).toBeGreaterThan(later);
});
