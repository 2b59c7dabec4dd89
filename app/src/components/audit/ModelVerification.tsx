"use client";
import { useEffect, useId, useRef, useState } from "react";
import type { Hex } from "viem";
import { useReadContract, useReadContracts } from "wagmi";
import { modelRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import type { FetchProgress } from "@/lib/ipfs";
import { VersionStatus } from "../../../../lib/chain/status.ts";
import { Address } from "../Address";
import { DataState } from "../DataState";
import { checkReportReachable, verdictText, verifyModelContent, type ModelVerdict } from "./model-verification";
import { StepList } from "./StepList";
import { useModelHistory } from "../tasks/use-model-history";
import styles from "./Audit.module.css";

type Run =
  | { phase: "idle" }
  | { phase: "running"; versionId: bigint; progress: FetchProgress }
  | { phase: "done"; versionId: bigint; verdict: ModelVerdict; report: { ok: boolean; detail: string } };

const statusName = (status: number) => (Object.entries(VersionStatus).find(([, value]) => value === status)?.[0] ?? `status ${status}`).toLowerCase();
const kilobytes = (bytes: number) => (bytes < 10_000 ? `${bytes.toLocaleString("en")} bytes` : `${(bytes / 1024).toFixed(1)} KiB`);

/** Pick a version of a task and check its content on IPFS against its on-chain weights hash, in this browser. */
export function ModelVerification({ requestedVersion }: { requestedVersion: bigint | null }) {
  const { addresses } = useAppConfig();
  const { tasks, isLoading: tasksLoading, error: tasksError } = useModelHistory();
  const [chosenTask, setChosenTask] = useState<Hex | null>(null);
  const [chosenVersion, setChosenVersion] = useState<bigint | null>(null);
  const taskSelect = useId();
  const versionSelect = useId();

  const requestedTask = requestedVersion === null ? undefined : tasks.find((task) => task.versions.some((version) => version.id === requestedVersion));
  const task = tasks.find((candidate) => candidate.taskId === chosenTask) ?? requestedTask ?? tasks[0];
  const deployed = useReadContract({
    address: addresses.ModelRegistry,
    abi: modelRegistryAbi,
    functionName: "deployedVersion",
    args: [task?.taskId ?? "0x0000000000000000000000000000000000000000000000000000000000000000"],
    query: { enabled: task !== undefined, refetchInterval: 5_000 },
  });
  const versionIds = (task?.versions ?? []).map((version) => version.id);
  const records = useReadContracts({
    contracts: versionIds.map((versionId) => ({ address: addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "version", args: [versionId] }) as const),
    query: { enabled: versionIds.length > 0, refetchInterval: 5_000 },
  });
  const fallbackVersion = requestedTask === task && requestedVersion !== null ? requestedVersion : deployed.data;
  const versionId = chosenVersion !== null && versionIds.includes(chosenVersion) ? chosenVersion : fallbackVersion !== undefined && versionIds.includes(fallbackVersion) ? fallbackVersion : versionIds[versionIds.length - 1];
  const recordIndex = versionId === undefined ? -1 : versionIds.indexOf(versionId);
  const record = recordIndex >= 0 ? records.data?.[recordIndex]?.result : undefined;
  const recordError = records.error ?? (recordIndex >= 0 ? records.data?.[recordIndex]?.error : undefined);

  const [run, setRun] = useState<Run>({ phase: "idle" });
  const inFlight = useRef<AbortController | null>(null);
  useEffect(() => () => inFlight.current?.abort(), []);

  const verify = async () => {
    if (!record || versionId === undefined) return;
    // Keep showing this version (and its verdict) even if another is deployed meanwhile.
    setChosenVersion(versionId);
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setRun({ phase: "running", versionId, progress: { blocks: 0, bytes: 0 } });
    const verdict = await verifyModelContent(record.cid, record.weightsHash, {
      signal: controller.signal,
      onProgress: (progress) => {
        if (!controller.signal.aborted) setRun({ phase: "running", versionId, progress });
      },
    });
    const report = await checkReportReachable(record.xaiReportCid, controller.signal);
    if (!controller.signal.aborted) setRun({ phase: "done", versionId, verdict, report });
  };

  const shown = run.phase !== "idle" && run.versionId === versionId ? run : null;
  const versionLabel = (id: bigint, index: number) => {
    const version = records.data?.[index]?.result;
    const words = [id === task?.genesisVersion ? "genesis" : version ? `round ${version.roundId}` : null, version ? statusName(version.status) : null, id === deployed.data ? "deployed" : null].filter(Boolean);
    return `v${id}${words.length ? ` · ${words.join(", ")}` : ""}`;
  };

  return (
    <section aria-labelledby="model-heading" className={styles.section}>
      <h2 id="model-heading">Model verification</h2>
      <p className="muted">
        The model is fetched from the network&apos;s IPFS nodes block by block, each block hashed against its CID here, then its weights are
        hashed the way the chain records them and compared with the version&apos;s weights hash on the ModelRegistry.
      </p>
      <DataState label="tasks" loading={tasksLoading} error={tasksError} empty={tasks.length === 0} emptyText="No federated task has been created yet.">
        <div className={styles.form}>
          <div>
            <label htmlFor={taskSelect}>Task</label>
            <select id={taskSelect} value={task?.taskId ?? ""} onChange={(event) => { setChosenTask(event.target.value as Hex); setChosenVersion(null); }}>
              {tasks.map((candidate) => <option key={candidate.taskId} value={candidate.taskId}>{candidate.name}</option>)}
            </select>
          </div>
          <div>
            <label htmlFor={versionSelect}>Model version</label>
            <select id={versionSelect} value={versionId?.toString() ?? ""} onChange={(event) => setChosenVersion(BigInt(event.target.value))} data-testid="model-version-select">
              {versionIds.map((id, index) => <option key={id.toString()} value={id.toString()}>{versionLabel(id, index)}</option>)}
            </select>
          </div>
        </div>
        <DataState label="the version's record" loading={record === undefined && !recordError} error={recordError}>
          {record && versionId !== undefined ? (
            <>
              <dl className="facts" data-testid="model-record">
                <dt>Status</dt>
                <dd>
                  {statusName(record.status)}
                  {versionId === deployed.data ? <> <span className="badge badge-ok">deployed</span></> : null}
                  {record.roundId === 0n ? " (genesis)" : ` (round ${record.roundId})`}
                </dd>
                <dt>Attestations</dt>
                <dd>{record.attestations} oracle attestation{record.attestations === 1 ? "" : "s"}{record.dissents > 0 ? `, ${record.dissents} dissent${record.dissents === 1 ? "" : "s"}` : ""}</dd>
                <dt>Participants</dt>
                <dd>{record.participants}</dd>
                <dt>Content CID</dt>
                <dd><span className={styles.hash}>{record.cid}</span></dd>
                <dt>On-chain weights hash</dt>
                <dd><span className={styles.hash}>{record.weightsHash}</span></dd>
                <dt>XAI report</dt>
                <dd>{record.xaiReportCid ? <span className={styles.hash}>{record.xaiReportCid}</span> : "none (genesis)"}</dd>
                <dt>Proposer</dt>
                <dd><Address value={record.proposer} label="proposer" /></dd>
              </dl>
              <div className={styles.actions}>
                <button type="button" className="primary" onClick={() => void verify()} disabled={shown?.phase === "running"}>Verify model version</button>
              </div>
              <div aria-live="polite">
                {shown?.phase === "running" ? (
                  <div className={styles.progress} data-testid="model-progress">
                    <progress aria-label={`Fetching v${versionId} from IPFS`} />
                    <span>{shown.progress.blocks} blocks ({kilobytes(shown.progress.bytes)}) fetched and hash-checked…</span>
                  </div>
                ) : null}
                {shown?.phase === "done" ? (
                  <>
                    <StepList steps={shown.verdict.steps} label={`What was checked for v${versionId}`} />
                    <p className="muted">XAI report: {shown.report.detail}</p>
                    <p className={`${styles.verdict} ${shown.verdict.kind === "verified" ? styles.verdictOk : styles.verdictBad}`} data-testid="model-verdict" data-verdict={shown.verdict.kind}>
                      v{versionId.toString()}: {verdictText(shown.verdict)}
                    </p>
                  </>
                ) : null}
              </div>
            </>
          ) : null}
        </DataState>
      </DataState>
    </section>
  );
}
