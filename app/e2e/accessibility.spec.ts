/**
 * Every page loads its data, has exactly one h1, no serious or critical axe violations, and logs no errors
 * (the console watcher in fixtures.ts fails any test whose page did). Axe runs its default rule set.
 */
import AxeBuilder from "@axe-core/playwright";
import type { TestInfo } from "@playwright/test";
import { appPages, connectThroughApp, expect, test, waitForData } from "./fixtures.ts";

type AxeResults = Awaited<ReturnType<AxeBuilder["analyze"]>>;

async function expectNoSeriousViolations(results: AxeResults, testInfo: TestInfo): Promise<void> {
  await testInfo.attach("axe-violations.json", { body: JSON.stringify(results.violations, null, 2), contentType: "application/json" });
  const blocking = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(
    blocking.map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`),
    "serious or critical axe violations",
  ).toEqual([]);
}

for (const path of appPages) {
  test(`${path} is accessible and error-free`, async ({ page }, testInfo) => {
    await page.goto(path);
    await waitForData(page);
    await expect(page.locator("h1")).toHaveCount(1);
    await expectNoSeriousViolations(await new AxeBuilder({ page }).analyze(), testInfo);
  });
}

test("the connected wallet panel is accessible", async ({ page, wallet }, testInfo) => {
  await wallet();
  await page.goto("/devices");
  await waitForData(page);
  await connectThroughApp(page);
  await expect(page.getByTestId("role-MEMBER")).toBeVisible();
  await expectNoSeriousViolations(await new AxeBuilder({ page }).include("header").analyze(), testInfo);
});
