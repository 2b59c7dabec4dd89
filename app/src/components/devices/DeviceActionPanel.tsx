"use client";
/** Updating a device's firmware hash, or revoking it for good after a confirmation: one open row at a time. */
import { useState, type FormEvent } from "react";
import type { Address as AccountAddress, Hex } from "viem";
import { deviceRegistryAbi } from "@/generated/contracts";
import { useTransaction } from "@/lib/use-transaction";
import { TransactionStatus } from "../TransactionStatus";
import type { DeviceActionKind } from "./DeviceTable";
import type { DeviceRecord } from "./device-model";
import { firmwareHashOfVersion, firmwareUpdateProblems, type FirmwareValue } from "./firmware";
import { FirmwareField } from "./FirmwareField";
import styles from "./Devices.module.css";

export function DeviceActionPanel({ device, kind, registry, onClose }: { device: DeviceRecord; kind: DeviceActionKind; registry: AccountAddress; onClose: () => void }) {
  const transaction = useTransaction();
  const [firmware, setFirmware] = useState<FirmwareValue>({ source: "hash", hash: "", version: "" });
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const problems = firmwareUpdateProblems(firmware, device.firmwareHash);
  const shown = (field: "hash" | "version") => (checked.has(field) ? problems[field] : undefined);
  const id = `firmware-${device.account}`;

  const updateFirmware = (event: FormEvent) => {
    event.preventDefault();
    setChecked(new Set(["hash", "version"]));
    if (problems.hash || problems.version) return;
    const hash = firmware.source === "hash" ? (firmware.hash.trim().toLowerCase() as Hex) : firmwareHashOfVersion(firmware.version.trim());
    void transaction.send({ address: registry, abi: deviceRegistryAbi, functionName: "updateFirmware", args: [device.account, hash] });
  };

  if (kind === "revoke") {
    return (
      <div className={styles.panel} role="group" aria-label={`Revoke device ${device.account}`}>
        <p>
          <strong>Revocation is final.</strong> Device <code className="address">{device.account}</code> ({device.assetLabel}) will never be active
          again, and its account can never be registered again.
        </p>
        <div className={styles.rowActions}>
          <button
            type="button"
            className="danger"
            aria-label={`Confirm revocation of device ${device.account}`}
            disabled={transaction.busy || transaction.state.phase === "confirmed"}
            onClick={() => void transaction.send({ address: registry, abi: deviceRegistryAbi, functionName: "revokeDevice", args: [device.account] })}
          >
            Confirm revocation
          </button>
          <button type="button" onClick={onClose}>{transaction.state.phase === "confirmed" ? "Close" : "Cancel"}</button>
        </div>
        <TransactionStatus state={transaction.state} what={`Revocation of ${device.assetLabel}'s device`} />
      </div>
    );
  }
  return (
    <form className={styles.panel} onSubmit={updateFirmware} noValidate aria-label={`Update firmware of device ${device.account}`}>
      <p className="muted">
        Current firmware hash <code className="address">{device.firmwareHash}</code>. The history stays on chain (one FirmwareUpdated event per change).
      </p>
      <FirmwareField
        id={id}
        legend={`New firmware of ${device.assetLabel}'s device`}
        hashLabel="New hash"
        value={firmware}
        onChange={setFirmware}
        onBlur={(field) => setChecked((previous) => new Set(previous).add(field === "firmwareHash" ? "hash" : "version"))}
        errors={{ hash: shown("hash"), version: shown("version") }}
      />
      <div className={styles.rowActions}>
        <button type="submit" className="primary" disabled={transaction.busy}>Record firmware update</button>
        <button type="button" onClick={onClose}>{transaction.state.phase === "confirmed" ? "Close" : "Cancel"}</button>
      </div>
      <TransactionStatus state={transaction.state} what={`Firmware update of ${device.assetLabel}'s device`} />
    </form>
  );
}
