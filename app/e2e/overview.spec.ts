/** Watching a federated round complete on the overview and a new version become deployed. */
import { expect, test, waitForData } from "./fixtures.ts";

test("a round completes and its version becomes the deployed one", async ({ page, runRound }) => {
  await page.goto("/");
  await waitForData(page);
  const deployed = page.getByTestId("deployed-version");
  await expect(deployed).toHaveText(/^v\d+$/);
  const before = Number((await deployed.innerText()).slice(1));
  const latestRound = page.getByRole("link", { name: /^round \d+$/ });
  const roundBefore = Number((await latestRound.innerText()).replace("round ", ""));

  // The browser watches while the network opens a round, the fleet trains and the oracles decide it.
  const round = runRound();
  await expect(page.getByRole("link", { name: `round ${roundBefore + 1}` })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("round-status")).toHaveText("deployed", { timeout: 120_000 });
  await expect(deployed).toHaveText(`v${before + 1}`, { timeout: 30_000 });
  const summary = await round;
  expect(summary.verdict, "the round's proposed version should pass the policy").toBe("deployed");
  expect(summary.deployedVersion).toBe(String(before + 1));
});
