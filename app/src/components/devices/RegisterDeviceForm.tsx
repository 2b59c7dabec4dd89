"use client";
/**
 * Registers a device: owner organisation, asset (or a new asset, registered first), device account, firmware
 * hash and the bounds metadata whose CIDv0 digest the chain stores. Each field shows its problem once it has been
 * left (or on submit), next to the input and linked to it with aria-describedby.
 */
import { useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useMemo, useState, type FormEvent } from "react";
import { parseEventLogs, type Address as AccountAddress } from "viem";
import { deviceRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { useCanCall } from "@/lib/use-roles";
import { useTransaction } from "@/lib/use-transaction";
import { Address } from "../Address";
import { TransactionStatus } from "../TransactionStatus";
import type { OrganisationRecord } from "../organisations/organisation-model";
import type { ConnectedAccount } from "@/lib/use-consortium";
import type { Registry } from "./device-model";
import { labelToBytes32 } from "../../../../lib/chain/labels.ts";
import { FirmwareField } from "./FirmwareField";
import { fetchDeviceMetadata } from "./metadata-fetch";
import { metadataAddressOf, type DeviceMetadata } from "./metadata-document";
import { newAssetChoice, validateRegisterDevice, type RegisterDeviceContext, type RegisterDeviceInput, type SensorRowInput } from "./register-device-schema";
import styles from "./Devices.module.css";

const sensorFields = ["name", "unit", "min", "max"] as const;

/** Shown when no existing device's metadata can be copied: valid, but plainly a placeholder to replace. */
const starterMetadata = { deviceType: "sensor-node", sensors: [{ name: "temperature", unit: "degC", min: "-40", max: "125" }] };

/** The form's fields in the order they appear, to focus the first invalid one on submit. */
function fieldOrder(sensorCount: number): string[] {
  const sensors = Array.from({ length: sensorCount }, (_, index) => ["name", "unit", "min", "max"].map((field) => `sensors.${index}.${field}`)).flat();
  return ["organisationId", "asset", "newAssetLabel", "deviceAccount", "firmwareVersion", "firmwareHash", "deviceType", ...sensors];
}

const firmwareFieldIds: Partial<Record<string, string>> = { firmwareHash: "register-firmware-hash", firmwareVersion: "register-firmware-version" };
const fieldId = (key: string) => firmwareFieldIds[key] ?? `register-${key.replace(/\./g, "-")}`;

function rowsOf(metadata: DeviceMetadata): SensorRowInput[] {
  return metadata.sensors.map((sensor) => ({ name: sensor.name, unit: sensor.unit, min: String(sensor.min), max: String(sensor.max) }));
}

export function RegisterDeviceForm({ me, organisations, registry }: { me: ConnectedAccount; organisations: readonly OrganisationRecord[]; registry: Registry }) {
  const { addresses, services } = useAppConfig();
  const canRegister = useCanCall(me.address, addresses.DeviceRegistry, deviceRegistryAbi, "registerDevice");
  const canRegisterAsset = useCanCall(me.address, addresses.DeviceRegistry, deviceRegistryAbi, "registerAsset");
  const assetTransaction = useTransaction();
  const deviceTransaction = useTransaction();

  // A MEMBER registers for its own organisation; an ADMIN (and a visitor trying the form) may pick any active one.
  const choices = useMemo(() => {
    if (!me.isAdmin && me.organisation) return [me.organisation];
    return organisations.filter((organisation) => organisation.status === "active");
  }, [me.isAdmin, me.organisation, organisations]);
  const context: RegisterDeviceContext = useMemo(() => ({
    registeredAccounts: new Set(registry.devices.map((device) => device.account.toLowerCase())),
    organisationIds: choices.map((organisation) => organisation.id),
    assetsOf: (id) => registry.assets.filter((asset) => asset.organisationId === id),
  }), [choices, registry]);

  const [input, setInput] = useState<RegisterDeviceInput>({
    organisationId: "",
    asset: "",
    newAssetLabel: "",
    deviceAccount: "",
    firmwareSource: "hash",
    firmwareHash: "",
    firmwareVersion: "",
    ...starterMetadata,
  });
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [metadataEdited, setMetadataEdited] = useState(false);
  const [registered, setRegistered] = useState<AccountAddress>();

  const organisationId = Number(input.organisationId);
  const assets = useMemo(() => registry.assets.filter((asset) => asset.organisationId === organisationId), [registry.assets, organisationId]);

  // Defaults once the chain log is in (and when the connected account changes what may be chosen).
  useEffect(() => {
    if (choices.length === 0 || context.organisationIds.includes(Number(input.organisationId))) return;
    const first = choices[0]!;
    const firstAsset = context.assetsOf(first.id)[0];
    setInput((previous) => ({ ...previous, organisationId: String(first.id), asset: firstAsset ? firstAsset.id.toString() : newAssetChoice }));
  }, [choices, context, input.organisationId]);

  // Devices of one organisation are usually of one kind: start from the bounds of its newest unrevoked device on the
  // chosen asset (or elsewhere in the organisation), read from IPFS and checked against the on-chain digest.
  const template = useMemo(() => {
    const ofOrganisation = registry.devices.filter((device) => device.organisationId === organisationId && device.status !== "revoked");
    return ofOrganisation.findLast((device) => device.assetId.toString() === input.asset) ?? ofOrganisation.at(-1);
  }, [registry.devices, organisationId, input.asset]);
  const templateMetadata = useQuery({
    queryKey: ["device-metadata", template?.metadataDigest],
    queryFn: () => fetchDeviceMetadata(template!.metadataDigest),
    enabled: template !== undefined && services.ipfs && !metadataEdited,
    staleTime: Infinity,
    retry: false,
  });
  useEffect(() => {
    if (metadataEdited) return;
    const metadata = templateMetadata.data;
    setInput((previous) => ({ ...previous, ...(metadata ? { deviceType: metadata.deviceType, sensors: rowsOf(metadata) } : starterMetadata) }));
  }, [templateMetadata.data, metadataEdited]);

  const validation = useMemo(() => validateRegisterDevice(input, context), [input, context]);
  const errors = validation.ok ? {} : validation.errors;
  const shown = (key: string) => (submitted || touched.has(key) ? errors[key] : undefined);
  const touch = (key: string) => setTouched((previous) => (previous.has(key) ? previous : new Set(previous).add(key)));
  const metadataValid = !Object.keys(errors).some((key) => key === "deviceType" || key.startsWith("sensors"));
  const metadata: DeviceMetadata = useMemo(
    () => ({ deviceType: input.deviceType.trim(), sensors: input.sensors.map((row) => ({ name: row.name.trim(), unit: row.unit.trim(), min: Number(row.min), max: Number(row.max) })) }),
    [input.deviceType, input.sensors],
  );
  const metadataAddress = useQuery({
    queryKey: ["metadata-address", JSON.stringify(metadata)],
    queryFn: () => metadataAddressOf(metadata),
    enabled: metadataValid,
    staleTime: Infinity,
  });

  const editMetadata = (change: Partial<Pick<RegisterDeviceInput, "deviceType" | "sensors">>) => {
    setMetadataEdited(true);
    setInput((previous) => ({ ...previous, ...change }));
  };
  const editSensor = (index: number, change: Partial<SensorRowInput>) =>
    editMetadata({ sensors: input.sensors.map((row, position) => (position === index ? { ...row, ...change } : row)) });

  const busy = assetTransaction.busy || deviceTransaction.busy;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    setRegistered(undefined);
    assetTransaction.reset();
    deviceTransaction.reset();
    if (!validation.ok) {
      const first = fieldOrder(input.sensors.length).find((key) => validation.errors[key] !== undefined);
      if (first) document.getElementById(fieldId(first))?.focus();
      return;
    }
    const values = validation.values;
    const address = await metadataAddressOf(values.metadata);
    let assetId: bigint;
    if (values.asset.kind === "new") {
      const receipt = await assetTransaction.send({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, functionName: "registerAsset", args: [values.organisationId, labelToBytes32(values.asset.label)] });
      if (!receipt) return;
      const [created] = parseEventLogs({ abi: deviceRegistryAbi, eventName: "AssetRegistered", logs: receipt.logs });
      if (!created) return;
      assetId = created.args.assetId;
      // A retry after a failed device registration must not register the asset twice.
      setInput((previous) => ({ ...previous, asset: assetId.toString(), newAssetLabel: "" }));
    } else {
      assetId = values.asset.assetId;
    }
    const receipt = await deviceTransaction.send({ address: addresses.DeviceRegistry, abi: deviceRegistryAbi, functionName: "registerDevice", args: [values.deviceAccount, assetId, values.firmwareHash, address.digest] });
    if (!receipt) return;
    setRegistered(values.deviceAccount);
    setInput((previous) => ({ ...previous, deviceAccount: "" }));
    setTouched(new Set());
    setSubmitted(false);
  };

  const describedBy = (key: string, hint?: boolean) => [hint ? `${fieldId(key)}-hint` : "", shown(key) ? `${fieldId(key)}-error` : ""].filter(Boolean).join(" ") || undefined;
  const errorText = (key: string) => (shown(key) ? <p className="field-error" id={`${fieldId(key)}-error`}>{shown(key)}</p> : null);
  const invalid = (key: string) => (shown(key) ? true : undefined);

  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} noValidate aria-labelledby="register-heading" data-testid="register-device-form">
      <h2 id="register-heading">Register a device</h2>
      {!me.address ? (
        <p className="hint" data-testid="register-readonly">
          Connect an organisation&apos;s admin account (MEMBER) to register devices. Until then the form only checks what you type.
        </p>
      ) : !canRegister.isLoading && !canRegister.allowed ? (
        <p className="hint" data-testid="register-forbidden">
          Your account does not hold a role that may register devices (an organisation&apos;s admin account, MEMBER, does): the chain would refuse it.
        </p>
      ) : !me.isAdmin && me.organisation ? (
        <p className="hint">You register devices for your own organisation, {me.organisation.name}.</p>
      ) : null}

      <div className={styles.formGrid}>
        <div>
          <label htmlFor={fieldId("organisationId")}>Owner organisation</label>
          <select
            id={fieldId("organisationId")}
            value={input.organisationId}
            onChange={(event) => {
              const id = Number(event.target.value);
              const firstAsset = context.assetsOf(id)[0];
              setInput((previous) => ({ ...previous, organisationId: event.target.value, asset: firstAsset ? firstAsset.id.toString() : newAssetChoice }));
              touch("organisationId");
            }}
            aria-invalid={invalid("organisationId")}
            aria-describedby={describedBy("organisationId")}
          >
            {choices.length === 0 ? <option value="">no active organisation</option> : null}
            {choices.map((organisation) => <option key={organisation.id} value={organisation.id}>{organisation.name}</option>)}
          </select>
          {errorText("organisationId")}

          <label htmlFor={fieldId("asset")}>Asset</label>
          <select
            id={fieldId("asset")}
            value={input.asset}
            onChange={(event) => {
              setInput((previous) => ({ ...previous, asset: event.target.value }));
              touch("asset");
            }}
            aria-invalid={invalid("asset")}
            aria-describedby={describedBy("asset", true)}
          >
            {assets.map((asset) => (
              <option key={asset.id.toString()} value={asset.id.toString()}>
                {asset.label} (asset {asset.id.toString()}, {asset.deviceCount} {asset.deviceCount === 1 ? "device" : "devices"})
              </option>
            ))}
            <option value={newAssetChoice}>Register a new asset…</option>
          </select>
          <p className="hint" id={`${fieldId("asset")}-hint`}>The machine the device is fitted to; the twin service mirrors each asset.</p>
          {errorText("asset")}

          {input.asset === newAssetChoice ? (
            <>
              <label htmlFor={fieldId("newAssetLabel")}>New asset label</label>
              <input
                id={fieldId("newAssetLabel")}
                value={input.newAssetLabel}
                onChange={(event) => setInput((previous) => ({ ...previous, newAssetLabel: event.target.value }))}
                onBlur={() => touch("newAssetLabel")}
                aria-invalid={invalid("newAssetLabel")}
                aria-describedby={describedBy("newAssetLabel", true)}
                placeholder="pump-12"
                autoComplete="off"
              />
              <p className="hint" id={`${fieldId("newAssetLabel")}-hint`}>
                Registered first (its own transaction{me.address && !canRegisterAsset.isLoading && !canRegisterAsset.allowed ? ", which your roles do not permit" : ""}), then the device is bound to it. At most 32 bytes.
              </p>
              {errorText("newAssetLabel")}
            </>
          ) : null}

          <label htmlFor={fieldId("deviceAccount")}>Device account</label>
          <input
            id={fieldId("deviceAccount")}
            className={styles.mono}
            value={input.deviceAccount}
            onChange={(event) => setInput((previous) => ({ ...previous, deviceAccount: event.target.value }))}
            onBlur={() => touch("deviceAccount")}
            aria-invalid={invalid("deviceAccount")}
            aria-describedby={describedBy("deviceAccount", true)}
            placeholder="0x…"
            autoComplete="off"
            spellCheck={false}
          />
          <p className="hint" id={`${fieldId("deviceAccount")}-hint`}>The address of the key the device signs its telemetry and model updates with. Each account is registered once.</p>
          {errorText("deviceAccount")}

          <FirmwareField
            id="register-firmware"
            legend="Firmware"
            hashLabel="Firmware hash"
            value={{ source: input.firmwareSource, hash: input.firmwareHash, version: input.firmwareVersion }}
            onChange={(value) => setInput((previous) => ({ ...previous, firmwareSource: value.source, firmwareHash: value.hash, firmwareVersion: value.version }))}
            onBlur={touch}
            errors={{ hash: shown("firmwareHash"), version: shown("firmwareVersion") }}
          />
        </div>

        <div>
          <fieldset className={styles.fieldset}>
            <legend>Bounds metadata</legend>
            <p className="hint" data-testid="metadata-source">
              {metadataEdited
                ? "Edited by you."
                : templateMetadata.data && template
                  ? <>Copied from the metadata of device <Address value={template.account} /> (checked against its on-chain digest). Change it if this device differs.</>
                  : template && templateMetadata.isFetching
                    ? "Reading the bounds of this organisation's devices…"
                    : "Starter values: replace them with the device's real sensors and operating bounds."}
            </p>
            <label htmlFor={fieldId("deviceType")}>Device type</label>
            <input
              id={fieldId("deviceType")}
              value={input.deviceType}
              onChange={(event) => editMetadata({ deviceType: event.target.value })}
              onBlur={() => touch("deviceType")}
              aria-invalid={invalid("deviceType")}
              aria-describedby={describedBy("deviceType")}
              autoComplete="off"
            />
            {errorText("deviceType")}
            {input.sensors.length > 0 ? (
              <div className={`${styles.sensorRow} ${styles.sensorHeader}`} aria-hidden="true">
                <span>name</span><span>unit</span><span>min</span><span>max</span><span />
              </div>
            ) : null}
            {input.sensors.map((sensor, index) => {
              const key = (field: keyof SensorRowInput) => `sensors.${index}.${field}`;
              const number = index + 1;
              return (
                <div key={index} className={styles.sensorRow} role="group" aria-label={`Sensor ${number}`}>
                  {sensorFields.map((field) => (
                    <div key={field} className={styles.sensorField}>
                      <span className={styles.fieldCaption} aria-hidden="true">{field}</span>
                      <input
                        id={fieldId(key(field))}
                        aria-label={`Sensor ${number} ${field}`}
                        value={sensor[field]}
                        inputMode={field === "min" || field === "max" ? "decimal" : undefined}
                        onChange={(event) => editSensor(index, { [field]: event.target.value })}
                        onBlur={() => touch(key(field))}
                        aria-invalid={invalid(key(field))}
                        aria-describedby={describedBy(key(field))}
                        autoComplete="off"
                      />
                    </div>
                  ))}
                  <button type="button" className={styles.removeSensor} aria-label={`Remove sensor ${number}`} onClick={() => editMetadata({ sensors: input.sensors.filter((_, position) => position !== index) })}>
                    Remove
                  </button>
                  <div className={styles.rowErrors}>{sensorFields.map((field) => <Fragment key={field}>{errorText(key(field))}</Fragment>)}</div>
                </div>
              );
            })}
            {shown("sensors") ? <p className="field-error" id={`${fieldId("sensors")}-error`} role="alert">{shown("sensors")}</p> : null}
            <button type="button" onClick={() => editMetadata({ sensors: [...input.sensors, { name: "", unit: "", min: "", max: "" }] })}>Add sensor</button>
          </fieldset>
          <details className={styles.preview}>
            <summary>Metadata document and its digest</summary>
            <p className="hint">
              The app has no IPFS upload: the device&apos;s owner pins this JSON (<code>ipfs add</code> gives the CID below), and the chain stores only
              the sha2-256 digest of that CID.
            </p>
            {metadataValid && metadataAddress.data ? (
              <dl className="facts facts-compact">
                <dt>JSON</dt>
                <dd><pre className={styles.json}>{metadataAddress.data.json}</pre></dd>
                <dt>CID</dt>
                <dd><code data-testid="metadata-cid">{metadataAddress.data.cid}</code></dd>
                <dt>digest</dt>
                <dd><code data-testid="metadata-digest">{metadataAddress.data.digest}</code></dd>
              </dl>
            ) : (
              <p className="muted">{metadataValid ? "Computing…" : "Complete the bounds to see the document."}</p>
            )}
          </details>
        </div>
      </div>

      <button type="submit" className="primary" disabled={busy}>Register device</button>
      {assetTransaction.state.phase !== "idle" ? <TransactionStatus state={assetTransaction.state} what="Asset registration" /> : null}
      <TransactionStatus state={deviceTransaction.state} what="Device registration" />
      {registered ? (
        <p className="hint" data-testid="registered-device">
          <Address value={registered} /> is registered; it appears in the list above within a second. Pin its metadata JSON so the twin service can read its bounds.
        </p>
      ) : null}
    </form>
  );
}
