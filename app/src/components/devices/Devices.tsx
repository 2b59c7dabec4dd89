"use client";
import { useEffect, useMemo, useState } from "react";
import { deviceRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { useCanCall } from "@/lib/use-roles";
import { DataState } from "../DataState";
import { useConnectedAccount, useConsortium } from "@/lib/use-consortium";
import { DeviceActionPanel } from "./DeviceActionPanel";
import { DeviceTable, type DeviceActionKind } from "./DeviceTable";
import { filterDevices } from "./device-filter";
import { registeredStatuses, type DeviceRecord, type RegisteredStatus } from "./device-model";
import { RegisterDeviceForm } from "./RegisterDeviceForm";
import styles from "./Devices.module.css";

const pageSize = 100;

export function Devices() {
  const { addresses } = useAppConfig();
  const consortium = useConsortium();
  const me = useConnectedAccount(consortium.organisations);
  const canUpdateFirmware = useCanCall(me.address, addresses.DeviceRegistry, deviceRegistryAbi, "updateFirmware").allowed;
  const canRevoke = useCanCall(me.address, addresses.DeviceRegistry, deviceRegistryAbi, "revokeDevice").allowed;

  const [query, setQuery] = useState("");
  const [organisationFilter, setOrganisationFilter] = useState("");
  const [statusFilter, setStatusFilter] = useState("");
  const [shown, setShown] = useState(pageSize);
  const [open, setOpen] = useState<{ account: string; kind: DeviceActionKind }>();

  // The Organisations page links here with ?organisation=<id>.
  useEffect(() => {
    const requested = new URLSearchParams(window.location.search).get("organisation");
    if (requested && /^\d+$/.test(requested)) setOrganisationFilter(requested);
  }, []);

  const { devices } = consortium.registry;
  const filtered = useMemo(
    () => filterDevices(devices, {
      query,
      organisationId: organisationFilter === "" ? undefined : Number(organisationFilter),
      status: statusFilter === "" ? undefined : (statusFilter as RegisteredStatus),
    }, consortium.organisationName),
    [devices, query, organisationFilter, statusFilter, consortium.organisationName],
  );

  // The contract lets a MEMBER change only its own organisation's devices (NotController); an ADMIN any.
  const canManage = (device: DeviceRecord) =>
    device.status !== "revoked" && canUpdateFirmware && canRevoke && (me.isAdmin || me.organisation?.id === device.organisationId);

  return (
    <>
      <h1>Devices</h1>
      <p className="muted">
        Every device account registered in the DeviceRegistry, with the firmware it runs and its status. Revocation is final; a device suspended
        for its reputation can only be reactivated by a consortium ADMIN. A MEMBER manages its own organisation&apos;s devices.
      </p>
      <DataState label="devices" loading={consortium.isLoading} error={consortium.error}>
        <section aria-labelledby="device-list-heading">
          <h2 id="device-list-heading">All devices</h2>
          <div className="toolbar" role="search" aria-label="Filter devices">
            <div>
              <label htmlFor="device-search">Search devices</label>
              <input id="device-search" type="search" value={query} onChange={(event) => { setQuery(event.target.value); setShown(pageSize); }} placeholder="address, asset or organisation" />
            </div>
            <div>
              <label htmlFor="device-organisation-filter">Organisation</label>
              <select id="device-organisation-filter" value={organisationFilter} onChange={(event) => { setOrganisationFilter(event.target.value); setShown(pageSize); }}>
                <option value="">All organisations</option>
                {consortium.organisations.map((organisation) => <option key={organisation.id} value={organisation.id}>{organisation.name}</option>)}
              </select>
            </div>
            <div>
              <label htmlFor="device-status-filter">Status</label>
              <select id="device-status-filter" value={statusFilter} onChange={(event) => { setStatusFilter(event.target.value); setShown(pageSize); }}>
                <option value="">Any status</option>
                {registeredStatuses.map((status) => <option key={status} value={status}>{status}</option>)}
              </select>
            </div>
          </div>
          <p className={styles.count} role="status" aria-live="polite" data-testid="device-count">
            {filtered.length} of {devices.length} devices
          </p>
          <DataState label="devices" loading={false} empty={filtered.length === 0} emptyText={devices.length === 0 ? "No device is registered yet." : "No device matches these filters."}>
            <DeviceTable
              devices={filtered.slice(0, shown)}
              organisationName={consortium.organisationName}
              organisationStatus={(id) => consortium.organisationById.get(id)?.status}
              canManage={canManage}
              open={open}
              onOpen={(account, kind) => setOpen(open?.account === account && open.kind === kind ? undefined : { account, kind })}
              renderPanel={(device, kind) => <DeviceActionPanel key={`${device.account}-${kind}`} device={device} kind={kind} registry={addresses.DeviceRegistry} onClose={() => setOpen(undefined)} />}
            />
            {filtered.length > shown ? (
              <button type="button" className={styles.more} onClick={() => setShown(shown + pageSize)}>
                Show {Math.min(pageSize, filtered.length - shown)} more devices
              </button>
            ) : null}
          </DataState>
        </section>
        <RegisterDeviceForm me={me} organisations={consortium.organisations} registry={consortium.registry} />
      </DataState>
    </>
  );
}
