"use client";
/** The device list: one row per device, with its actions when the connected account may take them. */
import { Fragment, type ReactNode } from "react";
import { Address } from "../Address";
import type { OrganisationStatusName } from "../organisations/organisation-model";
import { deviceStatusBadge, type DeviceRecord } from "./device-model";
import styles from "./Devices.module.css";

export type DeviceActionKind = "firmware" | "revoke";

export function DeviceTable({ devices, organisationName, organisationStatus, canManage, open, onOpen, renderPanel }: {
  devices: readonly DeviceRecord[];
  organisationName: (id: number) => string | undefined;
  organisationStatus: (id: number) => OrganisationStatusName | undefined;
  canManage: (device: DeviceRecord) => boolean;
  open?: { account: string; kind: DeviceActionKind } | undefined;
  onOpen: (account: string, kind: DeviceActionKind) => void;
  renderPanel: (device: DeviceRecord, kind: DeviceActionKind) => ReactNode;
}) {
  const withActions = devices.some(canManage);
  const columns = withActions ? 7 : 6;
  return (
    // Focusable so keyboard users can scroll it sideways on narrow screens.
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Devices table">
      <table className={styles.table}>
        <caption className="sr-only">Registered devices</caption>
        <thead>
          <tr>
            <th scope="col">device account</th>
            <th scope="col">organisation</th>
            <th scope="col">asset</th>
            <th scope="col">firmware hash</th>
            <th scope="col">status</th>
            <th scope="col">registered</th>
            {withActions ? <th scope="col">actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {devices.map((device) => {
            const organisation = organisationStatus(device.organisationId);
            const isOpen = open?.account === device.account;
            return (
              <Fragment key={device.account}>
                <tr data-testid="device-row" data-device={device.account} data-status={device.status}>
                  <th scope="row"><Address value={device.account} label="device" /></th>
                  <td>{organisationName(device.organisationId) ?? `organisation ${device.organisationId}`}</td>
                  <td>{device.assetLabel}</td>
                  <td>
                    <Address value={device.firmwareHash} label="firmware hash" />
                    {device.firmwareUpdates > 0 ? <span className="muted"> · updated {device.firmwareUpdates}×</span> : null}
                  </td>
                  <td>
                    <span className={deviceStatusBadge[device.status]} data-testid="device-status">{device.status}</span>
                    {device.status === "suspended" && device.byReputation ? <span className={styles.note}> by reputation</span> : null}
                    {device.status !== "revoked" && organisation !== undefined && organisation !== "active" ? (
                      <span className={styles.note}> organisation {organisation}: counts as inactive</span>
                    ) : null}
                  </td>
                  <td>block {device.registeredBlock.toString()}</td>
                  {withActions ? (
                    <td>
                      {canManage(device) ? (
                        <div className={styles.rowActions}>
                          <button type="button" aria-label={`Update firmware of device ${device.account}`} aria-expanded={isOpen && open?.kind === "firmware"} onClick={() => onOpen(device.account, "firmware")}>
                            Update firmware
                          </button>
                          <button type="button" className="danger" aria-label={`Revoke device ${device.account}`} aria-expanded={isOpen && open?.kind === "revoke"} onClick={() => onOpen(device.account, "revoke")}>
                            Revoke
                          </button>
                        </div>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  ) : null}
                </tr>
                {isOpen && open ? (
                  <tr className={styles.panelRow}>
                    <td colSpan={columns}>{renderPanel(device, open.kind)}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
