"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, useChainLog } from "@/lib/chain-log";
import { catVerified } from "@/lib/ipfs";
import { useConsortium } from "@/lib/use-consortium";
import { decodeSealedUpdates } from "../../../../lib/fl/sealed-updates.ts";
import { Address } from "../Address";
import { DataState } from "../DataState";
import { deviceOfSubject, SUBJECT_DEVICE } from "../reputation/reputation-model";
import { fetchOracleRounds } from "./oracle-round-view";
import { rejectionWords, scoreOutcomeWords } from "./rejection-reasons";
import { joinRoundParticipants, outcomeCounts, type CommittedUpdate, type OracleVerdict } from "./round-participants";
import { outcomeBadge, outcomeWords } from "./round-words";
import type { RoundRow } from "./Rounds";
import styles from "./Rounds.module.css";

const oracleName = (index: number) => `oracle ${index + 1}`;
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function VerdictCell({ verdict }: { verdict: OracleVerdict }) {
  if (verdict.verdict === "accepted") return <span className="badge badge-ok">accepted</span>;
  if (verdict.verdict === "rejected") {
    return (
      <>
        <span className="badge badge-bad">rejected</span> <code>{verdict.reason}</code>
        <div className="hint">{rejectionWords(verdict.reason)}</div>
      </>
    );
  }
  return <span className="muted">not heard from</span>;
}

/** One round: who was committed, what each oracle accepted or refused and why, and what the chain scored. */
export function RoundDetail({ row }: { row: RoundRow }) {
  const { round, task, status } = row;
  const { services } = useAppConfig();
  const log = useChainLog();
  const { organisationName, deviceByAccount } = useConsortium();
  const events = log.data?.events;
  const chain = useMemo(() => {
    const data = events ? { events, toBlock: 0n } : undefined;
    const scores = eventsNamed(data, "ScoreChanged")
      .filter((event) => event.args.roundId === round.id && event.args.subject === SUBJECT_DEVICE)
      .map((event) => ({ device: deviceOfSubject(event.args.subjectId), reason: event.args.reason, previous: event.args.previous, score: event.args.score }));
    return { scores };
  }, [events, round.id]);

  const sealed = useQuery({
    queryKey: ["sealed-updates", round.updatesCid],
    enabled: round.updatesCid !== undefined,
    staleTime: Infinity,
    retry: 2,
    queryFn: async ({ signal }): Promise<CommittedUpdate[]> => {
      const document = decodeSealedUpdates(await catVerified(round.updatesCid!, undefined, { signal }));
      return document.updates.map((update) => ({ device: update.device, sampleCount: update.update.sampleCount, updateCid: update.update.updateCid }));
    },
  });
  const live = status === "open" || status === "committed" || status === "proposed";
  const oracles = useQuery({
    queryKey: ["oracle-round", round.id.toString()],
    enabled: services.oracles,
    queryFn: ({ signal }) => fetchOracleRounds(round.id, signal),
    refetchInterval: live ? 2_000 : false,
  });
  const join = joinRoundParticipants({ committed: sealed.data, scores: chain.scores, oracles: oracles.data?.oracles });
  const counts = outcomeCounts(join);
  const oraclesSettled = !services.oracles || !oracles.isPending;

  return (
    <section aria-labelledby="round-heading" data-testid="round-detail" data-round={round.id.toString()}>
      <h2 id="round-heading">Round {round.id.toString()} <span className={outcomeBadge[status]}>{status}</span></h2>
      <div className="cards">
        <div className="card"><div className="value">{round.participantCount}</div><div className="label">updates committed</div></div>
        <div className="card"><div className="value" data-testid="accepted-count">{counts.accepted}</div><div className="label">accepted</div></div>
        <div className="card"><div className="value" data-testid="rejected-count">{counts.rejected}</div><div className="label">rejected</div></div>
        <div className="card"><div className="value">{counts.outlier}</div><div className="label">outliers</div></div>
      </div>
      <dl className="facts">
        <dt>Task</dt>
        <dd><Link href={`/tasks?task=${task.taskId}`}>{task.name}</Link>, trained from v{round.baseVersion.toString()}</dd>
        <dt>Deadline</dt>
        <dd>{formatDeadline(round.deadline)}</dd>
        <dt>Outcome</dt>
        <dd>{outcomeWords(round, status)}{round.proposedVersion !== undefined ? <> · <Link href={`/tasks?task=${task.taskId}&version=${round.proposedVersion}`}>see v{round.proposedVersion.toString()}</Link></> : null}</dd>
        <dt>Commitment</dt>
        <dd>
          {round.updatesCid ? (
            <>by <Address value={round.committedBy ?? ""} label="committing oracle" />; signed updates at <code className={styles.cid}>{round.updatesCid}</code></>
          ) : round.committed ? "committed" : <span className="muted">not committed yet</span>}
        </dd>
      </dl>

      <h3 id="participants-heading">Participants and their updates</h3>
      <DataState label="the round's participants" loading={(round.updatesCid !== undefined && sealed.isPending) || !oraclesSettled} empty={join.rows.length === 0} emptyText="No device has sent an update to this round yet, or none that an oracle remembers.">
        {sealed.isError ? <p className="state-error" role="alert">Could not read the committed updates: {sealed.error instanceof Error ? sealed.error.message : String(sealed.error)}</p> : null}
        {oracles.isError ? <p className="state-error" role="alert">Could not ask the oracles: {oracles.error instanceof Error ? oracles.error.message : String(oracles.error)}</p> : null}
        <SourceNote join={join} oraclesAvailable={services.oracles} />
        {/* Focusable, so keyboard users can scroll it sideways on a narrow screen (its cells hold nothing focusable). */}
        <div className={`table-wrap ${styles.tableWrap}`} tabIndex={0} role="region" aria-labelledby="participants-heading">
          <table aria-labelledby="participants-heading" data-testid="participant-table" data-source={join.source}>
            <thead>
              <tr>
                <th scope="col">device</th>
                <th scope="col">organisation</th>
                <th scope="col">in commitment</th>
                {join.oraclesWithRecord.map((oracle) => <th key={oracle} scope="col">{capitalised(oracleName(oracle))}&apos;s view</th>)}
                <th scope="col">reputation outcome (chain)</th>
              </tr>
            </thead>
            <tbody>
              {join.rows.map((entry) => {
                const organisationId = deviceByAccount(entry.device)?.organisationId;
                return (
                  <tr key={entry.device} data-testid="participant-row" data-outcome={entry.chain?.outcome ?? "none"}>
                    <th scope="row">{entry.device.startsWith("0x") ? <Address value={entry.device} label="device" /> : <code>{entry.device}</code>}</th>
                    <td>{organisationId === undefined ? <span className="muted">unregistered</span> : organisationName(organisationId) ?? `organisation ${organisationId}`}</td>
                    <td>{entry.inCommitment ? <>yes <span className="hint">({entry.sampleCount?.toString()} {entry.sampleCount === 1n ? "sample" : "samples"})</span></> : <span className="muted">no</span>}</td>
                    {entry.oracles.map((verdict) => <td key={verdict.oracle}><VerdictCell verdict={verdict} /></td>)}
                    <td>
                      {entry.chain ? (
                        <>
                          <span className={entry.chain.outcome === "accepted" ? "badge badge-ok" : entry.chain.outcome === "other" ? "badge" : "badge badge-bad"}>{entry.chain.outcome}</span>{" "}
                          <span className="hint">{entry.chain.previous} → {entry.chain.score}</span>
                          <div className="hint">{scoreOutcomeWords[entry.chain.outcome]}</div>
                        </>
                      ) : (
                        <span className="muted">{live ? "not scored yet" : "not scored"}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </DataState>
    </section>
  );
}

function SourceNote({ join, oraclesAvailable }: { join: ReturnType<typeof joinRoundParticipants>; oraclesAvailable: boolean }) {
  const quiet = join.oraclesWithoutRecord.map(oracleName);
  return (
    <div className="hint" data-testid="source-note">
      {!oraclesAvailable ? (
        <p>This app is not connected to the oracles: accepted and rejected below are the chain&apos;s reputation outcome (reasons are not on chain).</p>
      ) : join.source === "chain" ? (
        <p data-testid="chain-fallback">
          No oracle has a record of this round{join.unreachable.length ? " (or the oracles could not be reached)" : ""}: accepted and rejected below
          are the chain&apos;s reputation outcome of the round, which records no reasons.
        </p>
      ) : (
        <p>
          Accepted and rejected as {join.oraclesWithRecord.map(oracleName).join(" and ")} recorded it; the reputation column is what the chain scored.
          {quiet.length ? ` ${capitalised(quiet.join(" and "))} received no update of this round directly (devices send to the round's leader; the others verify its sealed set).` : ""}
        </p>
      )}
      {join.unreachable.length ? <p>Unreachable: {join.unreachable.map((entry) => `${oracleName(entry.oracle)} (${entry.error})`).join(", ")}.</p> : null}
    </div>
  );
}

function formatDeadline(deadline: bigint): string {
  const seconds = Number(deadline);
  const left = seconds - Date.now() / 1000;
  const when = new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return left > 0 ? `${when} (in ${Math.ceil(left)} s)` : when;
}
