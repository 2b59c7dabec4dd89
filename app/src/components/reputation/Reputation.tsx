"use client";
import { useMemo, useState } from "react";
import { useReadContracts } from "wagmi";
import { reputationAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, useChainLog } from "@/lib/chain-log";
import { Address } from "../Address";
import { DataState } from "../DataState";
import { LineChart, type LineSeries } from "../charts/LineChart";
import { deriveReputation, reputationEventNames, scoreSeries, sortSubjects, type SortDirection, type SortKey, type SubjectRecord } from "./reputation-model";
import styles from "./Reputation.module.css";

const columns: { key: SortKey; label: string }[] = [
  { key: "label", label: "subject" },
  { key: "kind", label: "kind" },
  { key: "organisation", label: "organisation" },
  { key: "score", label: "score" },
  { key: "lastChange", label: "last round" },
  { key: "accepted", label: "accepted" },
  { key: "rejected", label: "rejected" },
  { key: "outlier", label: "outliers" },
];

type KindFilter = "all" | SubjectRecord["kind"];

function flatSeries(name: string, value: number, xs: readonly number[]): LineSeries {
  const min = Math.min(0, ...xs);
  const max = Math.max(1, ...xs);
  return { name, points: [{ x: min, y: value }, { x: max, y: value }] };
}

export function Reputation() {
  const { addresses } = useAppConfig();
  const log = useChainLog();
  const settings = useReadContracts({
    contracts: [
      { address: addresses.Reputation, abi: reputationAbi, functionName: "startScore" },
      { address: addresses.Reputation, abi: reputationAbi, functionName: "suspendThreshold" },
    ] as const,
    query: { refetchInterval: 10_000 },
  });
  // The contract's events say the same (StartScoreSet / SuspendThresholdSet); the reads are the current values.
  const startScore = settings.data?.[0]?.status === "success" ? settings.data[0].result : undefined;
  const threshold = settings.data?.[1]?.status === "success" ? settings.data[1].result : undefined;
  const events = log.data?.events;
  const subjects = useMemo(
    () => (startScore === undefined ? [] : deriveReputation(eventsNamed(events ? { events, toBlock: 0n } : undefined, ...reputationEventNames), startScore)),
    [events, startScore],
  );
  const [sort, setSort] = useState<{ key: SortKey; direction: SortDirection }>({ key: "score", direction: "descending" });
  const [kind, setKind] = useState<KindFilter>("all");
  const [chosen, setChosen] = useState<string>();
  const shown = sortSubjects(kind === "all" ? subjects : subjects.filter((subject) => subject.kind === kind), sort.key, sort.direction);
  const selected = subjects.find((subject) => subject.key === chosen) ?? subjects.find((subject) => subject.kind === "device" && subject.history.length > 0) ?? subjects[0];
  const organisations = subjects.filter((subject) => subject.kind === "organisation");
  const devices = subjects.filter((subject) => subject.kind === "device");
  const suspended = devices.filter((device) => device.suspendedByReputation).length;
  const rounds = [...new Set(subjects.flatMap((subject) => subject.history.map((point) => Number(point.roundId))))];

  const toggleSort = (key: SortKey) =>
    setSort((current) => ({ key, direction: current.key === key ? (current.direction === "ascending" ? "descending" : "ascending") : key === "label" || key === "kind" || key === "organisation" ? "ascending" : "descending" }));

  const label = (subject: SubjectRecord) => (subject.kind === "device" ? `device ${subject.label.slice(0, 6)}…${subject.label.slice(-4)}${subject.assetLabel ? ` (${subject.assetLabel})` : ""}` : subject.label);

  return (
    <>
      <h1>Reputation</h1>
      <p className="muted">
        Scores of devices and organisations, 0 to 1000, as the Reputation contract records them: once per round the round&apos;s leader applies
        +10 for an accepted update, −25 for an outlier and −40 for a rejected one; a device&apos;s change also moves its organisation. A device
        that falls below the suspension threshold is suspended in the same transaction.
      </p>
      <DataState label="reputation" loading={log.isLoading || settings.isLoading} error={log.error ?? settings.error} empty={subjects.length === 0} emptyText="No device or organisation is registered yet.">
        <div className="cards">
          <div className="card"><div className="value" data-testid="start-score">{startScore}</div><div className="label">start score (never scored)</div></div>
          <div className="card"><div className="value" data-testid="suspend-threshold">{threshold ?? "…"}</div><div className="label">suspension threshold (devices below it are suspended)</div></div>
          <div className="card"><div className="value">{devices.filter((device) => device.history.length > 0).length} / {devices.length}</div><div className="label">devices scored</div></div>
          <div className="card"><div className="value">{suspended}</div><div className="label">devices suspended by reputation</div></div>
        </div>

        <h2>Organisations over rounds</h2>
        {rounds.length === 0 ? (
          <p className="muted">No round has been scored yet: every subject holds the start score.</p>
        ) : (
          <LineChart
            title="Organisation scores after each round"
            series={[...organisations.map((organisation) => ({ name: organisation.label, points: scoreSeries(organisation, startScore ?? 0) })), ...(threshold === undefined ? [] : [flatSeries("suspension threshold", threshold, rounds)])]}
            xLabel="round (0 = start)"
            yLabel="score"
          />
        )}
        {rounds.length > 0 ? <p className="hint">Organisations with the same history share one line (the last drawn shows); the numbers are under &ldquo;Data&rdquo;.</p> : null}

        <h2 id="subjects-heading">Devices and organisations</h2>
        <div className="toolbar">
          <div className={styles.pickerField}>
            <label htmlFor="reputation-kind">Show</label>
            <select id="reputation-kind" value={kind} onChange={(event) => setKind(event.target.value as KindFilter)}>
              <option value="all">devices and organisations</option>
              <option value="device">devices only</option>
              <option value="organisation">organisations only</option>
            </select>
          </div>
        </div>
        <div className={`table-wrap ${styles.tableWrap}`}>
          <table aria-labelledby="subjects-heading" data-testid="reputation-table">
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.key} scope="col" aria-sort={sort.key === column.key ? sort.direction : undefined}>
                    <button type="button" className={styles.sortButton} onClick={() => toggleSort(column.key)}>
                      {column.label}
                      <span aria-hidden="true" className={styles.sortMark}>{sort.key === column.key ? (sort.direction === "ascending" ? "▲" : "▼") : "↕"}</span>
                    </button>
                  </th>
                ))}
                <th scope="col">history</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((subject) => {
                const below = threshold !== undefined && subject.kind === "device" && subject.score < threshold;
                return (
                  <tr key={subject.key} data-testid="reputation-row" data-kind={subject.kind} className={subject.key === selected?.key ? styles.selectedRow : undefined}>
                    <th scope="row">
                      {subject.kind === "device" ? <><Address value={subject.label} label="device" />{subject.assetLabel ? <div className="hint">{subject.assetLabel}</div> : null}</> : subject.label}
                    </th>
                    <td>{subject.kind}</td>
                    <td>{subject.kind === "device" ? subject.organisationName ?? (subject.organisationId === undefined ? "—" : `organisation ${subject.organisationId}`) : <span className="muted">—</span>}</td>
                    <td data-testid="score">
                      <span className={styles.score}>{subject.score}</span>
                      <span className={styles.meter} aria-hidden="true"><span style={{ width: `${subject.score / 10}%` }} className={below ? styles.meterBad : undefined} /></span>
                      {subject.suspendedByReputation ? <span className="badge badge-bad">suspended</span> : below ? <span className="badge badge-warn">below threshold</span> : null}
                    </td>
                    <td>{subject.lastChange === undefined ? <span className="muted">never scored</span> : <>{subject.lastChange > 0 ? "+" : ""}{subject.lastChange} <span className="hint">(round {subject.lastRound?.toString()})</span></>}</td>
                    <td>{subject.counts.accepted}</td>
                    <td>{subject.counts.rejected}</td>
                    <td>{subject.counts.outlier}</td>
                    <td>
                      <button type="button" aria-pressed={subject.key === selected?.key} onClick={() => setChosen(subject.key)}>
                        Show<span className="sr-only"> the history of {label(subject)}</span>
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>

        <h2 id="history-heading">History</h2>
        <div className="toolbar">
          <div className={styles.pickerField}>
            <label htmlFor="reputation-subject">Device or organisation</label>
            <select id="reputation-subject" value={selected?.key ?? ""} onChange={(event) => setChosen(event.target.value)}>
              {[...organisations, ...devices].map((subject) => <option key={subject.key} value={subject.key}>{label(subject)}</option>)}
            </select>
          </div>
        </div>
        {selected ? (
          <div data-testid="reputation-history" data-subject={selected.key}>
            {selected.history.length === 0 ? (
              <p className="muted">{label(selected)} has never been scored: it holds the start score {startScore}.</p>
            ) : (
              <LineChart
                title={`Score of ${label(selected)} after each round`}
                series={[{ name: label(selected), points: scoreSeries(selected, startScore ?? 0) }, ...(threshold === undefined || selected.kind !== "device" ? [] : [flatSeries("suspension threshold", threshold, rounds)])]}
                xLabel="round (0 = start)"
                yLabel="score"
              />
            )}
          </div>
        ) : null}
      </DataState>
    </>
  );
}
