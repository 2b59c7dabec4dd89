import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { WagmiProvider } from "wagmi";
import type { Address } from "viem";
import { DeviceTable } from "@/components/devices/DeviceTable";
import type { DeviceRecord, Registry } from "@/components/devices/device-model";
import { RegisterDeviceForm } from "@/components/devices/RegisterDeviceForm";
import type { OrganisationRecord } from "@/components/organisations/organisation-model";
import { AppConfigProvider } from "@/lib/app-config";
import type { PublicAppConfig } from "@/lib/server-config";
import { getConfig } from "@/lib/wagmi";

const device = (account: Address, organisationId: number, assetLabel: string, status: DeviceRecord["status"], byReputation = false): DeviceRecord => ({
  account,
  organisationId,
  assetId: BigInt(organisationId),
  assetLabel,
  firmwareHash: `0x${"12".repeat(32)}`,
  firmwareUpdates: 0,
  metadataDigest: `0x${"ab".repeat(32)}`,
  status,
  byReputation,
  registeredBlock: 55n,
  statusChangedBlock: 55n,
});

const engine = device("0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7", 1, "engine-001", "active");
const pump = device("0xf972F432A44E70f161B75bCA087528a17b19B2C0", 2, "pump-07", "suspended", true);
const names = new Map([[1, "Northwind Aero"], [2, "Delta Pumps"]]);

describe("DeviceTable", () => {
  it("lists each device with organisation, asset, status and block, and offers actions only where allowed", () => {
    const onOpen = vi.fn();
    render(
      <DeviceTable
        devices={[engine, pump]}
        organisationName={(id) => names.get(id)}
        organisationStatus={(id) => (id === 2 ? "suspended" : "active")}
        canManage={(candidate) => candidate.organisationId === 1}
        onOpen={onOpen}
        renderPanel={() => <p>panel</p>}
      />,
    );
    const rows = screen.getAllByTestId("device-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText("Northwind Aero")).toBeTruthy();
    expect(within(rows[0]!).getByText("engine-001")).toBeTruthy();
    expect(within(rows[0]!).getByText("block 55")).toBeTruthy();
    expect(within(rows[1]!).getByTestId("device-status").textContent).toBe("suspended");
    expect(rows[1]!.textContent).toContain("by reputation");
    expect(rows[1]!.textContent).toContain("organisation suspended: counts as inactive");

    const update = screen.getByRole("button", { name: `Update firmware of device ${engine.account}` });
    expect(screen.queryByRole("button", { name: `Revoke device ${pump.account}` })).toBeNull();
    fireEvent.click(update);
    expect(onOpen).toHaveBeenCalledWith(engine.account, "firmware");
  });

  it("shows no actions column when the account may manage none of the devices", () => {
    render(<DeviceTable devices={[engine]} organisationName={(id) => names.get(id)} organisationStatus={() => "active"} canManage={() => false} onOpen={() => {}} renderPanel={() => null} />);
    expect(screen.queryByRole("columnheader", { name: "actions" })).toBeNull();
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });
});

const publicConfig: PublicAppConfig = {
  chainId: 31337,
  addresses: {
    AccessManager: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    ConsortiumRegistry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    DeviceRegistry: "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE",
    ModelRegistry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    UpdateLedger: "0xE6E340D132b5f46d1e472DebcD681B2aBc16e57E",
    Reputation: "0x67d269191c92Caf3cD7723F116c85e6E9bf55933",
    ProvenanceAnchor: "0xc5a5C42992dECbae36851359345FE25997F5C42d",
    DataSharingLedger: "0x959922bE3CAee4b8Cd9a407cc3ac1C251C2007B1",
    EncryptionKeyRegistry: "0x68B1D87F95878fE05B998F19b66F4baba5De1aed",
  },
  deploymentId: "test",
  deployedAt: "2026-01-01T00:00:00.000Z",
  services: { ipfs: false, twin: false, oracles: false },
};

function Providers({ children }: { children: ReactNode }) {
  // No account is connected, so nothing is read from this (unreachable) node.
  const wagmi = getConfig({ chainId: 31337, rpcUrl: "http://127.0.0.1:9/api/rpc", connectors: [] });
  return (
    <WagmiProvider config={wagmi}>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <AppConfigProvider config={publicConfig}>{children}</AppConfigProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}

const organisations: OrganisationRecord[] = [
  { id: 1, name: "Northwind Aero", admin: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", status: "active", metadataCid: "", requestedBlock: 5n, approvedBlock: 5n, changedBlock: 5n },
];
const registry: Registry = { assets: [{ id: 1n, organisationId: 1, label: "engine-001", registeredBlock: 6n, deviceCount: 1 }], devices: [engine] };

describe("RegisterDeviceForm", () => {
  const renderForm = () => render(<RegisterDeviceForm me={{ isAdmin: false }} organisations={organisations} registry={registry} />, { wrapper: Providers });

  it("shows each field's problem next to it once the field is left, linked with aria-describedby", () => {
    renderForm();
    expect(screen.getByTestId("register-readonly")).toBeTruthy();
    expect((screen.getByLabelText("Asset", { exact: true }) as HTMLSelectElement).value).toBe("1");

    const account = screen.getByLabelText("Device account");
    fireEvent.change(account, { target: { value: "0x1234" } });
    expect(document.querySelector(".field-error")).toBeNull();
    fireEvent.blur(account);
    const error = document.getElementById(account.getAttribute("aria-describedby")!.split(" ").find((id) => id.endsWith("-error"))!);
    expect(error?.className).toBe("field-error");
    expect(error?.textContent).toMatch(/40 hexadecimal digits/);
    expect(account.getAttribute("aria-invalid")).toBe("true");

    fireEvent.change(account, { target: { value: engine.account } });
    expect(screen.getByText(/already registered as a device/)).toBeTruthy();

    const max = screen.getByLabelText("Sensor 1 max");
    fireEvent.change(max, { target: { value: "-50" } });
    fireEvent.blur(max);
    expect(screen.getByText("The maximum must not be below the minimum.")).toBeTruthy();
  });

  it("derives the firmware hash from a version string and says so", () => {
    renderForm();
    fireEvent.click(screen.getByLabelText("Derive it from a version string"));
    fireEvent.change(screen.getByLabelText("Firmware version"), { target: { value: "turbofan-ecu-firmware-1.0.0" } });
    const hash = screen.getByLabelText("Firmware hash") as HTMLInputElement;
    expect(hash.readOnly).toBe(true);
    // lib/chain/seed.ts registers keccak256 of this string for Northwind Aero's devices.
    expect(hash.value).toBe("0x1a9a8e8e6fbd123b79cd5687de4aa56741e2d250a546c4612f7f2d5bc6944cd2");
    expect(screen.getByTestId("register-firmware-hash-source").textContent).toBe('Derived: keccak256("turbofan-ecu-firmware-1.0.0").');
  });

  it("marks every invalid field on submit, and asks for a new asset's label", () => {
    renderForm();
    fireEvent.change(screen.getByLabelText("Asset", { exact: true }), { target: { value: "new" } });
    fireEvent.click(screen.getByRole("button", { name: "Register device" }));
    const messages = [...document.querySelectorAll(".field-error")].map((node) => node.textContent);
    expect(messages).toEqual([
      "Give the new asset a label, e.g. pump-12.",
      "Enter the device's account (the address of the key it signs with).",
      "Enter the firmware image's 32-byte hash.",
    ]);
    expect(document.activeElement).toBe(screen.getByLabelText("New asset label"));
  });
});
