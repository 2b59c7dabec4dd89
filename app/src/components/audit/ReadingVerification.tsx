"use client";
import { useEffect, useId, useRef, useState } from "react";
import type { Address as AddressType } from "viem";
import { usePublicClient } from "wagmi";
import { provenanceAnchorAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { describeError } from "@/lib/errors";
import { catVerified, verifiedBlockstore, type FetchProgress } from "@/lib/ipfs";
import { Address } from "../Address";
import { DataState } from "../DataState";
import type { VerificationStep } from "./model-verification";
import { checkReadingProof, type ReadingProofResult, type WindowAnchorRecord } from "./reading-proof";
import { StepList } from "./StepList";
import { useConsortium } from "@/lib/use-consortium";
import { useAnchoredWindows } from "./use-audit-data";
import styles from "./Audit.module.css";

/** Windows offered in the picker: the newest ones (a device anchors one every few seconds). */
const WINDOW_CHOICES = 200;

interface ReadingRun {
  key: string;
  phase: "running" | "done";
  progress: FetchProgress;
  result?: ReadingProofResult;
  steps?: VerificationStep[];
  ok?: boolean;
  reason?: string | null;
}

const timeOfMs = (ms: bigint) => new Date(Number(ms)).toLocaleTimeString("en-GB", { hour12: false });
const cellText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** Pick a device, one of its anchored windows and a reading, and prove the reading against the anchored root. */
export function ReadingVerification() {
  const { addresses, chainId } = useAppConfig();
  const client = usePublicClient();
  const { registry, isLoading: devicesLoading, error: devicesError } = useConsortium();
  const devices = registry.devices;
  const [chosenDevice, setChosenDevice] = useState<AddressType | null>(null);
  const device = devices.find((candidate) => candidate.account === chosenDevice) ?? devices[0];
  const windows = useAnchoredWindows(device?.account);
  const offered = (windows.data?.windows ?? []).slice(0, WINDOW_CHOICES);
  const [chosenWindow, setChosenWindow] = useState<bigint | null>(null);
  // Pin the newest window once the list arrives, so the picker does not move while new windows are anchored.
  const newestWindow = offered[0]?.windowId;
  useEffect(() => {
    if (chosenWindow === null && newestWindow !== undefined) setChosenWindow(newestWindow);
  }, [chosenWindow, newestWindow]);
  // Stay on the chosen window even when newer ones push it out of the picker.
  const anchor: WindowAnchorRecord | undefined = windows.data?.windows.find((candidate) => candidate.windowId === chosenWindow) ?? offered[0];
  const [indexText, setIndexText] = useState("0");
  const deviceSelect = useId();
  const windowSelect = useId();
  const indexInput = useId();
  const indexHint = useId();

  const index = /^\d+$/.test(indexText.trim()) ? Number(indexText.trim()) : Number.NaN;
  const indexProblem = anchor === undefined ? null : Number.isNaN(index) ? "Enter a whole number." : index >= anchor.header.readingCount ? `The window has readings 0 to ${anchor.header.readingCount - 1}.` : null;

  const [run, setRun] = useState<ReadingRun | null>(null);
  const inFlight = useRef<AbortController | null>(null);
  useEffect(() => () => inFlight.current?.abort(), []);
  const runKey = anchor ? `${anchor.windowId}#${index}` : "";

  const verify = async () => {
    if (!anchor || !client || indexProblem !== null) return;
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const key = runKey;
    const update = (next: ReadingRun) => {
      if (!controller.signal.aborted) setRun(next);
    };
    update({ key, phase: "running", progress: { blocks: 0, bytes: 0 } });
    const blockstore = verifiedBlockstore((progress) => update({ key, phase: "running", progress }));
    let document: unknown;
    try {
      const bytes = await catVerified(anchor.header.dataCid, undefined, { blockstore, signal: controller.signal });
      document = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      const reason = `the window document ${anchor.header.dataCid} could not be read from IPFS: ${error instanceof Error ? error.message : String(error)}`;
      update({ key, phase: "done", progress: { ...blockstore.progress }, steps: [{ name: "IPFS", ok: false, detail: reason }], ok: false, reason });
      return;
    }
    const fetchStep: VerificationStep = { name: "IPFS", ok: true, detail: `window document fetched by its anchored CID: ${blockstore.progress.blocks} block${blockstore.progress.blocks === 1 ? "" : "s"} (${blockstore.progress.bytes.toLocaleString("en")} bytes), each hash-checked against its CID` };
    const result = await checkReadingProof(document, anchor, index, { chainId, provenanceAnchor: addresses.ProvenanceAnchor });
    const steps = [fetchStep, ...result.steps];
    if (result.leaf && result.proof) {
      // The contract's own verdict on the same leaf and proof, for the header and gateway of the event.
      try {
        const accepted = await client.readContract({
          address: addresses.ProvenanceAnchor,
          abi: provenanceAnchorAbi,
          functionName: "verifyReading",
          args: [anchor.windowId, anchor.header, anchor.gateway, result.leaf, result.proof],
        });
        steps.push(
          accepted
            ? { name: "on chain", ok: true, detail: "ProvenanceAnchor.verifyReading accepts the leaf and proof for the anchored header and gateway" }
            : { name: "on chain", ok: false, detail: "ProvenanceAnchor.verifyReading rejects the leaf and proof for the anchored header and gateway" },
        );
      } catch (error) {
        steps.push({ name: "on chain", ok: false, detail: `ProvenanceAnchor.verifyReading could not be called: ${describeError(error).message}` });
      }
    }
    const failure = steps.find((step) => !step.ok);
    update({ key, phase: "done", progress: { ...blockstore.progress }, result, steps, ok: failure === undefined, reason: failure?.detail ?? null });
  };

  const shown = run && run.key === runKey ? run : null;
  const result = shown?.result;

  return (
    <section aria-labelledby="reading-heading" className={styles.section}>
      <h2 id="reading-heading">Telemetry reading verification</h2>
      <p className="muted">
        A gateway anchors each window of a device&apos;s readings as a Merkle root on the ProvenanceAnchor and stores the window on IPFS.
        Here the window is fetched by its anchored CID, the reading&apos;s leaf and proof are recomputed in this browser and checked against
        the anchored root, and the contract is asked for its own verdict.
      </p>
      <DataState label="devices" loading={devicesLoading} error={devicesError} empty={devices.length === 0} emptyText="No device has been registered yet.">
        <div className={styles.form}>
          <div>
            <label htmlFor={deviceSelect}>Device</label>
            <select id={deviceSelect} value={device?.account ?? ""} onChange={(event) => { setChosenDevice(event.target.value as AddressType); setChosenWindow(null); }}>
              {devices.map((candidate) => (
                <option key={candidate.account} value={candidate.account}>{candidate.assetLabel} · {candidate.account.slice(0, 8)}…{candidate.account.slice(-4)}</option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={windowSelect}>Anchored window</label>
            <select id={windowSelect} value={anchor?.windowId.toString() ?? ""} onChange={(event) => setChosenWindow(BigInt(event.target.value))} disabled={offered.length === 0}>
              {anchor && !offered.includes(anchor) ? <option value={anchor.windowId.toString()}>window {anchor.windowId.toString()}</option> : null}
              {offered.map((candidate) => (
                <option key={candidate.windowId.toString()} value={candidate.windowId.toString()}>
                  window {candidate.windowId.toString()} · {candidate.header.readingCount} readings · {timeOfMs(candidate.header.startTime)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={indexInput}>Reading index</label>
            <input id={indexInput} inputMode="numeric" value={indexText} onChange={(event) => setIndexText(event.target.value)} aria-describedby={indexHint} aria-invalid={indexProblem !== null} />
            <p id={indexHint} className={indexProblem ? "field-error" : "hint"}>{indexProblem ?? (anchor ? `0 to ${anchor.header.readingCount - 1}` : "choose a window first")}</p>
          </div>
        </div>
        <DataState label="the device's anchored windows" loading={windows.isLoading} error={windows.error} empty={offered.length === 0} emptyText="No window of this device has been anchored yet.">
          {anchor ? (
            <dl className="facts" data-testid="window-anchor">
              <dt>Anchored root</dt>
              <dd><span className={styles.hash}>{anchor.header.root}</span></dd>
              <dt>Data CID</dt>
              <dd><span className={styles.hash}>{anchor.header.dataCid}</span></dd>
              <dt>Gateway</dt>
              <dd><Address value={anchor.gateway} label="gateway" /></dd>
              <dt>Anchored in</dt>
              <dd>block {anchor.blockNumber.toString()}, transaction <Address value={anchor.transactionHash} label="transaction" /></dd>
              <dt>Span</dt>
              <dd>{timeOfMs(anchor.header.startTime)} – {timeOfMs(anchor.header.endTime)}, {anchor.header.readingCount} readings ({windows.data?.windows.length ?? 0} windows of this device anchored)</dd>
            </dl>
          ) : null}
          <div className={styles.actions}>
            <button type="button" className="primary" onClick={() => void verify()} disabled={!anchor || indexProblem !== null || shown?.phase === "running"}>Verify reading</button>
          </div>
        </DataState>
        <div aria-live="polite">
          {shown?.phase === "running" ? (
            <div className={styles.progress}>
              <progress aria-label="Fetching the window document from IPFS" />
              <span>{shown.progress.blocks} blocks fetched and hash-checked…</span>
            </div>
          ) : null}
          {shown?.phase === "done" ? (
            <>
              {result?.reading ? (
                <div className="grid-2">
                  <div className="table-wrap" tabIndex={0} role="region" aria-label="Reading as sent">
                    <table>
                      <caption className="sr-only">Reading {result.reading.index} as the device sent it</caption>
                      <thead><tr><th scope="col">channel, as sent</th><th scope="col">value</th></tr></thead>
                      <tbody>
                        {result.reading.raw.map((cell, position) => (
                          <tr key={`${cell.name}-${position}`}><th scope="row">{cell.name}{cell.unit ? ` (${cell.unit})` : ""}</th><td>{cellText(cell.value)}</td></tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <div className="table-wrap" tabIndex={0} role="region" aria-label="Reading as normalised">
                    <table>
                      <caption className="sr-only">Reading {result.reading.index} as the gateway normalised it</caption>
                      <thead><tr><th scope="col">sensor, normalised</th><th scope="col">value</th></tr></thead>
                      <tbody>
                        {result.reading.normalised.map((cell) => (
                          <tr key={cell.name}><th scope="row">{cell.name}{cell.unit && cell.unit !== "1" ? ` (${cell.unit})` : ""}</th><td>{cell.value ?? "—"}</td></tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </div>
              ) : null}
              {result?.leaf ? (
                <>
                  <p>Leaf of reading {index}: <span className={styles.hash} data-testid="reading-leaf">{result.leaf}</span></p>
                  <p>Proof path, from the leaf up ({result.proof?.length ?? 0} sibling hashes), folding to <span className={styles.hash}>{result.provenRoot}</span>:</p>
                  <ol className={styles.proof} data-testid="reading-proof">
                    {(result.proof ?? []).map((sibling, level) => <li key={`${level}-${sibling}`}>{sibling}</li>)}
                  </ol>
                </>
              ) : null}
              <StepList steps={shown.steps ?? []} label={`What was checked for reading ${index}`} />
              <p className={`${styles.verdict} ${shown.ok ? styles.verdictOk : styles.verdictBad}`} data-testid="reading-verdict" data-verdict={shown.ok ? "verified" : "failed"}>
                {shown.ok ? `Verified: reading ${index} of window ${anchor?.windowId.toString() ?? ""} is the one the gateway anchored.` : `Failed: ${shown.reason ?? "unknown reason"}`}
              </p>
            </>
          ) : null}
        </div>
      </DataState>
    </section>
  );
}
