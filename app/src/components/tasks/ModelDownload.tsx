"use client";
import { useEffect, useRef, useState } from "react";
import type { Hex } from "viem";
import type { FetchProgress } from "@/lib/ipfs";
import { Address } from "../Address";
import { fetchVerifiedModel, objectUrls, startDownload, type SavedFile } from "./download-model";
import { formatBytes } from "./model-files";
import styles from "./Tasks.module.css";

type DownloadState =
  | { step: "idle" }
  | { step: "fetching"; progress: FetchProgress }
  | { step: "saved"; files: SavedFile[]; progress: FetchProgress }
  | { step: "failed"; message: string };

/** The version's model by CID: fetched block by block with every block verified, then checked against the chain. */
export function ModelDownload({ versionId, cid, weightsHash }: { versionId: bigint; cid: string; weightsHash: Hex }) {
  const [state, setState] = useState<DownloadState>({ step: "idle" });
  const abort = useRef<AbortController | null>(null);
  const urls = useRef<SavedFile[]>([]);

  useEffect(
    () => () => {
      abort.current?.abort();
      for (const file of urls.current) URL.revokeObjectURL(file.url);
    },
    [],
  );

  const download = async () => {
    abort.current?.abort();
    for (const file of urls.current) URL.revokeObjectURL(file.url);
    urls.current = [];
    const controller = new AbortController();
    abort.current = controller;
    let progress: FetchProgress = { blocks: 0, bytes: 0 };
    setState({ step: "fetching", progress });
    try {
      const files = await fetchVerifiedModel(cid, weightsHash, {
        versionId,
        signal: controller.signal,
        onProgress: (next) => {
          progress = next;
          setState({ step: "fetching", progress: next });
        },
      });
      const saved = objectUrls(files);
      urls.current = saved;
      for (const file of saved) startDownload(file);
      setState({ step: "saved", files: saved, progress });
    } catch (error) {
      if (controller.signal.aborted) return;
      setState({ step: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  };

  const command = `ipfs get ${cid} -o twinledger-model-v${versionId}`;
  return (
    <div className="panel" data-testid="model-download">
      <h3>Model download</h3>
      <dl className="facts">
        <dt>Model CID</dt>
        <dd><code className={styles.cid} data-testid="model-cid">{cid}</code></dd>
        <dt>Weights hash on chain</dt>
        <dd><Address value={weightsHash} label="weights hash" /></dd>
      </dl>
      <p className="hint">
        The download reads every block through the app and checks it against its CID, then checks keccak256 of the float32 weights
        against the hash the chain records; the files are saved only if both hold.
      </p>
      <button type="button" className="primary" onClick={() => void download()} disabled={state.step === "fetching"}>
        {state.step === "fetching" ? "Downloading…" : `Download model v${versionId}`}
      </button>
      <div className={styles.progress} role="status" aria-live="polite" data-testid="download-status">
        {state.step === "fetching" ? (
          <>
            <span className="spinner" aria-hidden="true" /> Verified {state.progress.blocks} {state.progress.blocks === 1 ? "block" : "blocks"}, {formatBytes(state.progress.bytes)}…
          </>
        ) : state.step === "saved" ? (
          <span className="tx-confirmed" data-testid="download-verified">
            Verified {state.progress.blocks} blocks ({formatBytes(state.progress.bytes)}); the weights match the chain&apos;s hash. Saved:
          </span>
        ) : state.step === "failed" ? (
          <span className="state-error" role="alert" data-testid="download-failed">Not saved: {state.message}</span>
        ) : null}
      </div>
      {state.step === "saved" ? (
        <ul className={styles.saved} aria-label="Verified model files">
          {state.files.map((file) => (
            <li key={file.name}>
              <a href={file.url} download={file.name}>{file.name}</a> <span className="muted">({formatBytes(file.size)})</span>
            </li>
          ))}
        </ul>
      ) : null}
      <p className="hint">With your own IPFS node:</p>
      <code className={styles.command} data-testid="ipfs-get">{command}</code>
    </div>
  );
}
