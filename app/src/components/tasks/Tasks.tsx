"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { Address } from "../Address";
import { DataState } from "../DataState";
import { LineChart } from "../charts/LineChart";
import { privacyOf } from "../../../../lib/chain/policy.ts";
import { LineageGraph } from "./LineageGraph";
import { ModelDownload } from "./ModelDownload";
import { PolicySummary } from "./PolicySummary";
import { PrivacyBudget } from "./PrivacyBudget";
import { XaiChart } from "./XaiChart";
import { formatMetric, metricName } from "./policy-words";
import { withVersionReads, type TaskHistory, type TaskVersion } from "./task-history";
import { failureF1Series, metricSeries, privacyPoints, type RoundReport } from "./task-series";
import { formatTime, useBlockTimes, useModelHistory, useOracleReports, useVersionReads, type ReportState } from "./use-model-history";
import styles from "./Tasks.module.css";

export const statusBadge: Record<TaskVersion["status"], string> = {
  deployed: "badge badge-ok",
  validated: "badge",
  rejected: "badge badge-bad",
  proposed: "badge badge-warn",
};

export function Tasks() {
  const params = useSearchParams();
  const history = useModelHistory();
  const requested = params.get("task");
  const matching = requested ? history.tasks.find((task) => task.taskId.toLowerCase() === requested.toLowerCase() || task.name === requested) : undefined;
  const task = matching ?? history.tasks[0];
  const requestedVersion = params.get("version");
  return (
    <>
      <h1>Tasks &amp; models</h1>
      <p className="muted">
        Each federated task&apos;s model versions as the ModelRegistry records them: which round trained which version from which, how the
        oracles voted, how the policy judged it, what its report explains, and the model itself by CID.
      </p>
      <DataState label="tasks" loading={history.isLoading} error={history.error} empty={history.tasks.length === 0} emptyText="No federated task has been created yet.">
        {history.tasks.length > 1 ? (
          <nav aria-label="Tasks">
            <ul className={styles.taskNav}>
              {history.tasks.map((entry) => (
                <li key={entry.taskId}>
                  <Link href={`/tasks?task=${entry.taskId}`} aria-current={entry.taskId === task?.taskId ? "page" : undefined}>{entry.name}</Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {requested && !matching ? <p className="hint" role="status">No task {requested} on this chain; showing {task?.name}.</p> : null}
        {task ? <TaskDetail key={task.taskId} task={task} initialVersion={requestedVersion && /^\d+$/.test(requestedVersion) ? BigInt(requestedVersion) : undefined} /> : null}
      </DataState>
    </>
  );
}

function TaskDetail({ task, initialVersion }: { task: TaskHistory; initialVersion: bigint | undefined }) {
  const versionIds = useMemo(() => task.versions.map((version) => version.id), [task.versions]);
  const reads = useVersionReads(versionIds);
  const versions = withVersionReads(task.versions, reads.reads);
  const metric = metricName(task.policy);
  const reportCids = versions.flatMap((version) => (version.xaiReportCid ? [version.xaiReportCid] : []));
  const reports = useOracleReports(reportCids);
  const blockTimes = useBlockTimes(versions.flatMap((version) => version.votes.map((vote) => vote.blockNumber)));
  const [chosen, setChosen] = useState<bigint | undefined>(initialVersion);
  const selected = versions.find((version) => version.id === chosen) ?? versions.find((version) => version.id === task.deployedVersion) ?? versions[0];

  const roundReports: RoundReport[] = versions.flatMap((version) => {
    const state = version.xaiReportCid ? reports.get(version.xaiReportCid) : undefined;
    return state?.state === "ready" && version.roundId !== undefined ? [{ versionId: version.id, roundId: version.roundId, report: state.parsed.report }] : [];
  });
  const privacy = task.policy ? privacyOf(task.policy) : undefined;
  const points = privacyPoints(roundReports);
  const withoutAccounting = privacy?.dp ? roundReports.filter((entry) => entry.report.privacy === undefined).map((entry) => entry.roundId) : [];
  const reportsLoading = [...reports.values()].some((state) => state.state === "loading");
  const deployed = versions.find((version) => version.id === task.deployedVersion);
  const rejected = versions.filter((version) => version.status === "rejected").length;
  const metrics = metricSeries(versions);
  const f1 = failureF1Series(roundReports);
  const selectedReport = selected?.xaiReportCid ? reports.get(selected.xaiReportCid) : undefined;

  return (
    <div data-testid="task-detail" data-task={task.name}>
      <h2>Task {task.name}</h2>
      <div className="cards">
        <div className="card"><div className="value" data-testid="deployed-version">v{task.deployedVersion.toString()}</div><div className="label">deployed ({metric} {formatMetric(deployed?.metric)})</div></div>
        <div className="card"><div className="value">{versions.length}</div><div className="label">versions, genesis included</div></div>
        <div className="card"><div className="value">{task.rounds.length}</div><div className="label">rounds opened</div></div>
        <div className="card"><div className="value">{rejected}</div><div className="label">versions rejected</div></div>
      </div>

      <h2>Lineage</h2>
      <DataState label="the version records" loading={reads.isLoading} error={reads.error}>
        <LineageGraph versions={versions} metric={metric} selected={selected?.id} onSelect={setChosen} />
      </DataState>

      <h2 id="votes-heading">Proposals, attestations and dissents</h2>
      <div className={`table-wrap ${styles.tableWrap}`}>
        <table aria-labelledby="votes-heading" data-testid="version-table">
          <thead>
            <tr>
              <th scope="col">version</th>
              <th scope="col">round</th>
              <th scope="col">status</th>
              <th scope="col">{metric}</th>
              <th scope="col">proposed by</th>
              <th scope="col">attested by</th>
              <th scope="col">dissents</th>
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((version) => {
              const proposal = version.votes.find((vote) => vote.kind === "proposed");
              const attestations = version.votes.filter((vote) => vote.kind === "attested");
              const dissents = version.votes.filter((vote) => vote.kind === "dissent");
              const isSelected = version.id === selected?.id;
              return (
                <tr key={version.id.toString()} className={isSelected ? styles.selectedRow : undefined} data-testid="version-row" data-version={version.id.toString()}>
                  <th scope="row">
                    <button type="button" aria-pressed={isSelected} onClick={() => setChosen(version.id)}>v{version.id.toString()}<span className="sr-only"> details</span></button>
                  </th>
                  <td>{version.roundId === undefined ? <span className="muted">genesis</span> : <><Link href={`/rounds?round=${version.roundId}`}>round {version.roundId.toString()}</Link> <span className="muted">from v{version.parent?.toString() ?? "?"}</span></>}</td>
                  <td><span className={statusBadge[version.status]}>{version.status}</span>{version.rejection ? <div className="hint">{version.rejection}</div> : null}</td>
                  <td>{formatMetric(version.metric)}</td>
                  <td>{proposal ? <><Address value={proposal.oracle} label="proposing oracle" /><div className="hint">{formatTime(blockTimes.get(proposal.blockNumber))} · block {proposal.blockNumber.toString()}</div></> : <span className="muted">created with the task</span>}</td>
                  <td>
                    {attestations.length === 0 ? <span className="muted">{version.roundId === undefined ? "—" : "none yet"}</span> : (
                      <ul className={styles.votes}>
                        {attestations.map((vote) => (
                          <li key={`${vote.oracle}-${vote.blockNumber}`}><Address value={vote.oracle} label="attesting oracle" /> <span className="hint">{formatTime(blockTimes.get(vote.blockNumber))}</span></li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {dissents.length === 0 ? <span className="muted">none</span> : (
                      <ul className={styles.votes}>
                        {dissents.map((vote) => (
                          <li key={`${vote.oracle}-${vote.blockNumber}`}>
                            <Address value={vote.oracle} label="dissenting oracle" /> computed <Address value={vote.weightsHash ?? "0x"} label="weights hash" />{" "}
                            <span className="hint">{formatTime(blockTimes.get(vote.blockNumber))}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <div className="grid-2" style={{ marginTop: 16 }}>
        <PolicySummary policy={task.policy} />
        <PrivacyBudget privacy={privacy} points={points} roundsWithoutAccounting={withoutAccounting} reportsLoading={reportsLoading} />
      </div>

      <h2>Metrics over rounds</h2>
      {metrics.length === 0 ? (
        <p className="muted">No metric recorded yet.</p>
      ) : (
        <LineChart title={`Validation ${metric} per round (${task.policy?.higherIsBetter ? "higher" : "lower"} is better)`} series={metrics} xLabel="round (0 = genesis)" yLabel={metric} />
      )}
      {f1.length > 0 ? (
        <LineChart title="Failure F1 per round, from the reports" series={f1} xLabel="round" yLabel="F1" yDomain={[0, 1]} height={180} />
      ) : roundReports.length > 0 ? (
        <p className="hint">The reports carry no failure F1 (a regression task has none).</p>
      ) : null}
      <ReportNotes versions={versions} reports={reports} />

      {selected ? <VersionDetail version={selected} metric={metric} report={selectedReport} /> : null}
    </div>
  );
}

function ReportNotes({ versions, reports }: { versions: readonly TaskVersion[]; reports: Map<string, ReportState> }) {
  const notes = versions.flatMap((version) => {
    const state = version.xaiReportCid ? reports.get(version.xaiReportCid) : undefined;
    if (!state) return [];
    if (state.state === "error") return [`v${version.id}: the report could not be read (${state.message})`];
    if (state.state !== "ready") return [];
    const { missing, invalid } = state.parsed;
    const parts = [...(missing.length ? [`lacks ${missing.join(", ")} (an older oracle's report)`] : []), ...(invalid.length ? [`has malformed ${invalid.join("; ")}`] : [])];
    return parts.length ? [`v${version.id}: the report ${parts.join(" and ")}`] : [];
  });
  if (notes.length === 0) return null;
  return (
    <ul className={`${styles.notes} hint`} data-testid="report-notes" aria-label="Report notes">
      {notes.map((note) => <li key={note}>{note}</li>)}
    </ul>
  );
}

function VersionDetail({ version, metric, report }: { version: TaskVersion & { proposedAt?: number; decidedAt?: number }; metric: string; report: ReportState | undefined }) {
  const participants = report?.state === "ready" ? report.parsed.report.participants : undefined;
  return (
    <section aria-labelledby="version-heading" data-testid="version-detail" data-version={version.id.toString()}>
      <h2 id="version-heading">Version v{version.id.toString()} <span className={statusBadge[version.status]}>{version.status}</span></h2>
      <div className="grid-2">
        <div className="panel">
          <h3>Record</h3>
          <dl className="facts">
            <dt>Origin</dt>
            <dd>{version.roundId === undefined ? "genesis model, registered with the task" : <>round <Link href={`/rounds?round=${version.roundId}`}>{version.roundId.toString()}</Link>, trained from v{version.parent?.toString() ?? "?"}</>}</dd>
            <dt>Validation {metric}</dt>
            <dd>{formatMetric(version.metric)}</dd>
            {version.rejection ? <><dt>Rejected because</dt><dd>{version.rejection}</dd></> : null}
            <dt>Proposed</dt>
            <dd>{formatTime(version.proposedAt)}</dd>
            <dt>Decided</dt>
            <dd>{version.status === "proposed" ? "awaiting the quorum" : formatTime(version.decidedAt)}</dd>
            {participants ? <><dt>Participants</dt><dd>{participants.length} devices</dd></> : null}
            <dt>Report CID</dt>
            <dd>{version.xaiReportCid ? <code className={styles.cid}>{version.xaiReportCid}</code> : <span className="muted">none</span>}</dd>
          </dl>
        </div>
        {version.cid && version.weightsHash ? (
          <ModelDownload key={version.id.toString()} versionId={version.id} cid={version.cid} weightsHash={version.weightsHash} />
        ) : (
          <div className="panel"><h3>Model download</h3><p className="muted">Reading the version&apos;s record…</p></div>
        )}
      </div>
      <h3>Feature importance</h3>
      {version.xaiReportCid === undefined ? (
        <p className="muted">{version.roundId === undefined ? "The genesis model has no XAI report: reports come with the versions oracles propose." : "This version has no report."}</p>
      ) : report === undefined || report.state === "loading" ? (
        <div role="status" className="state state-loading"><span className="spinner" aria-hidden="true" /> Reading the report from IPFS…</div>
      ) : report.state === "error" ? (
        <div role="alert" className="state state-error">Could not read the report: {report.message}</div>
      ) : (
        <XaiChart key={version.id.toString()} report={report.parsed.report} versionId={version.id} />
      )}
    </section>
  );
}
