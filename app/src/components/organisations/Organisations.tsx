"use client";
import Link from "next/link";
import { useState } from "react";
import { consortiumRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { useCanCall } from "@/lib/use-roles";
import { useTransaction } from "@/lib/use-transaction";
import { Address } from "../Address";
import { DataState } from "../DataState";
import { TransactionStatus } from "../TransactionStatus";
import type { OrganisationInventory } from "../devices/device-model";
import { actionFunction, actionsForStatus, actionVerb, statusBadge, type OrganisationAction, type OrganisationRecord } from "./organisation-model";
import styles from "./Organisations.module.css";
import { useConnectedAccount, useConsortium } from "@/lib/use-consortium";

const noInventory: OrganisationInventory = { assets: [], devices: 0, byStatus: { active: 0, suspended: 0, revoked: 0 } };

export function Organisations() {
  const { addresses } = useAppConfig();
  const consortium = useConsortium();
  const me = useConnectedAccount(consortium.organisations);
  const registry = addresses.ConsortiumRegistry;
  const permitted: Record<OrganisationAction, boolean> = {
    approve: useCanCall(me.address, registry, consortiumRegistryAbi, actionFunction.approve).allowed,
    suspend: useCanCall(me.address, registry, consortiumRegistryAbi, actionFunction.suspend).allowed,
    reinstate: useCanCall(me.address, registry, consortiumRegistryAbi, actionFunction.reinstate).allowed,
    remove: useCanCall(me.address, registry, consortiumRegistryAbi, actionFunction.remove).allowed,
  };
  const [showForbidden, setShowForbidden] = useState(false);
  const transaction = useTransaction();
  const [lastAction, setLastAction] = useState<{ organisationId: number; what: string }>();
  const [confirmingRemoval, setConfirmingRemoval] = useState<number>();

  const act = (organisation: OrganisationRecord, action: OrganisationAction) => {
    setConfirmingRemoval(undefined);
    setLastAction({ organisationId: organisation.id, what: `${actionVerb[action]} ${organisation.name}` });
    void transaction.send({ address: registry, abi: consortiumRegistryAbi, functionName: actionFunction[action], args: [organisation.id] });
  };

  const counts = { pending: 0, active: 0, suspended: 0, removed: 0 };
  for (const organisation of consortium.organisations) counts[organisation.status] += 1;

  return (
    <>
      <h1>Organisations</h1>
      <p className="muted">
        The consortium&apos;s members as the ConsortiumRegistry records them. Approval grants an organisation&apos;s admin account the
        MEMBER role; suspension and removal revoke it. Only a consortium ADMIN may change membership.
      </p>
      <label className={styles.toggle}>
        <input type="checkbox" checked={showForbidden} onChange={(event) => setShowForbidden(event.target.checked)} />
        Show actions your roles do not permit
      </label>
      {showForbidden ? (
        <p className="hint" data-testid="forbidden-note">
          Actions your roles do not permit are shown with a dashed border. The chain will refuse them: each is checked against the chain
          before anything is signed, and the refusal is shown with its reason.
        </p>
      ) : null}
      <DataState label="organisations" loading={consortium.isLoading} error={consortium.error} empty={consortium.organisations.length === 0} emptyText="No organisation has applied to join yet.">
        <p className={styles.summary} data-testid="organisation-summary">
          {consortium.organisations.length} organisations: {counts.active} active, {counts.pending} pending, {counts.suspended} suspended, {counts.removed} removed.
        </p>
        <ul className={styles.list} aria-label="Organisations">
          {consortium.organisations.map((organisation) => {
            const mine = me.organisation?.id === organisation.id;
            const inventory = consortium.inventories.get(organisation.id) ?? noInventory;
            const actions = actionsForStatus(organisation.status).filter((action) => permitted[action] || showForbidden);
            return (
              <li key={organisation.id} className={`${styles.card} ${mine ? styles.mine : ""}`} data-testid="organisation" data-status={organisation.status}>
                <div className={styles.heading}>
                  <h2 className={styles.name}>{organisation.name}</h2>
                  <span className={statusBadge[organisation.status]} data-testid="organisation-status">{organisation.status}</span>
                  {mine ? <span className="badge badge-ok" data-testid="your-organisation">your organisation</span> : null}
                </div>
                <dl className="facts facts-compact">
                  <dt>Id</dt>
                  <dd>{organisation.id}</dd>
                  <dt>Admin account</dt>
                  <dd><Address value={organisation.admin} label="admin account" /></dd>
                  <dt>Membership</dt>
                  <dd>
                    {organisation.approvedBlock === undefined ? `applied in block ${organisation.requestedBlock}` : `approved in block ${organisation.approvedBlock}`}
                    {organisation.changedBlock !== organisation.approvedBlock && organisation.changedBlock !== organisation.requestedBlock ? `, ${organisation.status} since block ${organisation.changedBlock}` : ""}
                  </dd>
                  <dt>Assets</dt>
                  <dd>
                    {inventory.assets.length === 0 ? (
                      <span className="muted">none yet</span>
                    ) : (
                      <ul className={styles.assets} aria-label={`Assets of ${organisation.name}`}>
                        {inventory.assets.map((asset) => (
                          <li key={asset.id.toString()} className="badge" title={`asset ${asset.id}, registered in block ${asset.registeredBlock}`}>
                            {asset.label} · {asset.deviceCount} {asset.deviceCount === 1 ? "device" : "devices"}
                          </li>
                        ))}
                      </ul>
                    )}
                  </dd>
                  <dt>Devices</dt>
                  <dd data-testid="organisation-devices">
                    <Link href={`/devices?organisation=${organisation.id}`}>{inventory.devices} {inventory.devices === 1 ? "device" : "devices"}</Link>
                    {inventory.devices > 0 ? ` (${inventory.byStatus.active} active, ${inventory.byStatus.suspended} suspended, ${inventory.byStatus.revoked} revoked)` : ""}
                  </dd>
                  <dt>Profile</dt>
                  <dd><code className="address" title={organisation.metadataCid}>{organisation.metadataCid || "none"}</code></dd>
                </dl>
                {actions.length > 0 ? (
                  <div className={styles.actions}>
                    {actions.map((action) => (
                      <button
                        key={action}
                        type="button"
                        className={`${action === "remove" ? "danger" : action === "approve" || action === "reinstate" ? "primary" : ""} ${permitted[action] ? "" : styles.forbidden}`}
                        disabled={transaction.busy}
                        aria-expanded={action === "remove" ? confirmingRemoval === organisation.id : undefined}
                        onClick={() => (action === "remove" ? setConfirmingRemoval(organisation.id) : act(organisation, action))}
                        aria-label={`${actionVerb[action]} ${organisation.name}`}
                        title={permitted[action] ? undefined : "Your roles do not permit this; the chain will refuse it"}
                      >
                        {actionVerb[action]}
                      </button>
                    ))}
                    {actions.some((action) => !permitted[action]) ? <span className={styles.forbiddenNote}>not permitted for your roles</span> : null}
                  </div>
                ) : null}
                {confirmingRemoval === organisation.id ? (
                  <div className={styles.confirm} role="group" aria-label={`Confirm removal of ${organisation.name}`}>
                    <p>
                      Removal is final: {organisation.name} leaves the consortium for good and its admin account loses the MEMBER role
                      {organisation.status === "pending" ? " (this declines the application)" : ""}.
                    </p>
                    <div className={styles.actions}>
                      <button type="button" className="danger" disabled={transaction.busy} onClick={() => act(organisation, "remove")}>
                        Confirm removal of {organisation.name}
                      </button>
                      <button type="button" onClick={() => setConfirmingRemoval(undefined)}>Cancel</button>
                    </div>
                  </div>
                ) : null}
                {lastAction?.organisationId === organisation.id ? <TransactionStatus state={transaction.state} what={lastAction.what} /> : null}
              </li>
            );
          })}
        </ul>
      </DataState>
    </>
  );
}
