"use client";
/**
 * A firmware hash, typed as 32 bytes or derived as keccak256 of a version string. The hash input is always
 * there (read-only when derived), so the value the chain will record is visible either way.
 */
import { firmwareHashOfVersion, type FirmwareValue } from "./firmware";
import styles from "./Devices.module.css";

export function FirmwareField({ id, legend, hashLabel, value, onChange, onBlur, errors }: {
  id: string;
  legend: string;
  hashLabel: string;
  value: FirmwareValue;
  onChange: (value: FirmwareValue) => void;
  onBlur: (field: "firmwareHash" | "firmwareVersion") => void;
  errors: { hash?: string | undefined; version?: string | undefined };
}) {
  const version = value.version.trim();
  const derived = value.source === "version" && version !== "" ? firmwareHashOfVersion(version) : "";
  const describedBy = (field: string, error: string | undefined) => [`${id}-${field}-hint`, error ? `${id}-${field}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset className={styles.fieldset}>
      <legend>{legend}</legend>
      <div className={styles.radios}>
        <label className={styles.inline}>
          <input type="radio" name={`${id}-source`} value="hash" checked={value.source === "hash"} onChange={() => onChange({ ...value, source: "hash" })} />
          Type the hash
        </label>
        <label className={styles.inline}>
          <input type="radio" name={`${id}-source`} value="version" checked={value.source === "version"} onChange={() => onChange({ ...value, source: "version" })} />
          Derive it from a version string
        </label>
      </div>
      {value.source === "version" ? (
        <>
          <label htmlFor={`${id}-version`}>Firmware version</label>
          <input
            id={`${id}-version`}
            value={value.version}
            onChange={(event) => onChange({ ...value, version: event.target.value })}
            onBlur={() => onBlur("firmwareVersion")}
            aria-invalid={errors.version ? true : undefined}
            aria-describedby={describedBy("version", errors.version)}
            placeholder="pump-monitor-firmware-1.1.0"
            autoComplete="off"
            spellCheck={false}
          />
          <p className="hint" id={`${id}-version-hint`}>The hash is keccak256 of this string&apos;s UTF-8 bytes.</p>
          {errors.version ? <p className="field-error" id={`${id}-version-error`}>{errors.version}</p> : null}
        </>
      ) : null}
      <label htmlFor={`${id}-hash`}>{hashLabel}</label>
      <input
        id={`${id}-hash`}
        className={styles.mono}
        value={value.source === "hash" ? value.hash : derived}
        readOnly={value.source === "version"}
        onChange={(event) => onChange({ ...value, hash: event.target.value })}
        onBlur={() => onBlur("firmwareHash")}
        aria-invalid={errors.hash ? true : undefined}
        aria-describedby={describedBy("hash", errors.hash)}
        placeholder={value.source === "hash" ? "0x…(64 hexadecimal digits)" : "derived from the version"}
        autoComplete="off"
        spellCheck={false}
      />
      <p className="hint" id={`${id}-hash-hint`} data-testid={`${id}-hash-source`}>
        {value.source === "hash"
          ? "Typed: 0x and 64 hexadecimal digits, the hash of the firmware image the device runs."
          : derived
            ? `Derived: keccak256("${version}").`
            : "Derived from the version string once you type one."}
      </p>
      {errors.hash ? <p className="field-error" id={`${id}-hash-error`}>{errors.hash}</p> : null}
    </fieldset>
  );
}
