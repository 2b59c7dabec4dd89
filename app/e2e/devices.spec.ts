/** A MEMBER connects, registers a device for its organisation, and finds it in the device list. */
import { keccak256, toBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { accounts, connectThroughApp, expect, test, waitForData } from "./fixtures.ts";

test("a MEMBER registers a device and sees it listed", async ({ page, wallet }) => {
  const member = await wallet({ account: accounts.northwindAdmin });
  const device = privateKeyToAccount(generatePrivateKey()).address;
  await page.goto("/devices");
  await waitForData(page);
  await connectThroughApp(page);
  await expect(page.getByTestId("role-MEMBER")).toBeVisible();

  const form = page.getByTestId("register-device-form");
  await form.getByLabel("Device account").fill(device);
  // The form starts on the member's organisation and its first asset; a device may join an existing asset.
  await expect(form.getByLabel("Asset", { exact: true })).not.toHaveValue("");
  await form.getByLabel("Firmware hash").fill(keccak256(toBytes("turbofan-ecu-firmware-1.1.0")));
  await form.getByRole("button", { name: "Register device" }).click();
  await expect(form.getByTestId("tx-confirmed")).toBeVisible({ timeout: 60_000 });
  expect(member.sentTransactions).toHaveLength(1);

  await page.getByLabel("Search devices").fill(device);
  const row = page.getByTestId("device-row").filter({ has: page.getByLabel(`device ${device}`, { exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("device-status")).toHaveText("active");
});
