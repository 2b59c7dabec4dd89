"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useReadContracts } from "wagmi";
import { modelRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { roundStatusName } from "../../../../lib/chain/status.ts";
import { DataState } from "../DataState";
import { effectiveOutcome, type RoundOutcome, type RoundRecord, type TaskHistory } from "../tasks/task-history";
import { outcomeBadge, outcomeWords } from "./round-words";
import { formatTime, useModelHistory } from "../tasks/use-model-history";
import { RoundDetail } from "./RoundDetail";
import styles from "./Rounds.module.css";


export interface RoundRow {
  round: RoundRecord;
  task: TaskHistory;
  status: RoundOutcome;
}

function useRoundRows(): { rows: RoundRow[]; isLoading: boolean; error: unknown } {
  const { addresses } = useAppConfig();
  const history = useModelHistory();
  const all = history.tasks.flatMap((task) => task.rounds.map((round) => ({ round, task })));
  // The chain's roundStatus says when a live round's deadline has passed; events alone cannot.
  const statuses = useReadContracts({
    contracts: all.map(({ round }) => ({ address: addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "roundStatus", args: [round.id] }) as const),
    query: { enabled: all.length > 0, refetchInterval: 2_000 },
  });
  const now = Date.now() / 1000;
  const rows = all
    .map(({ round, task }, index): RoundRow => {
      const read = statuses.data?.[index];
      const name = read?.status === "success" ? roundStatusName[read.result] : undefined;
      const status = name && name !== "none" ? name : effectiveOutcome(round, now);
      return { round, task, status };
    })
    .sort((a, b) => (a.round.id < b.round.id ? 1 : -1));
  return { rows, isLoading: history.isLoading, error: history.error };
}

export function Rounds() {
  const params = useSearchParams();
  const { rows, isLoading, error } = useRoundRows();
  const requested = params.get("round");
  const requestedId = requested && /^\d+$/.test(requested) ? BigInt(requested) : undefined;
  const selected = rows.find((row) => row.round.id === requestedId) ?? rows[0];
  return (
    <>
      <h1>Rounds</h1>
      <p className="muted">
        Every federated round, newest first: the version it trained on, its deadline, the updates it committed, the version it produced and how
        the policy judged it. Select a round for its participants and the oracles&apos; accepted and rejected updates.
      </p>
      <DataState label="rounds" loading={isLoading} error={error} empty={rows.length === 0} emptyText="No round has been opened yet.">
        {requestedId !== undefined && selected?.round.id !== requestedId ? <p className="hint" role="status">There is no round {requested}; showing round {selected?.round.id.toString()}.</p> : null}
        <div className={`table-wrap ${styles.tableWrap}`}>
          <table data-testid="round-table">
            <caption className="sr-only">All rounds, newest first</caption>
            <thead>
              <tr>
                <th scope="col">round</th>
                <th scope="col">task</th>
                <th scope="col">base version</th>
                <th scope="col">deadline</th>
                <th scope="col">status</th>
                <th scope="col">participants</th>
                <th scope="col">proposed version</th>
                <th scope="col">outcome</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ round, task, status }) => {
                const isSelected = round.id === selected?.round.id;
                return (
                  <tr key={round.id.toString()} className={isSelected ? styles.selectedRow : undefined} data-testid="round-row" data-round={round.id.toString()} data-status={status}>
                    <th scope="row">
                      <Link href={`/rounds?round=${round.id}`} aria-current={isSelected ? "true" : undefined}>round {round.id.toString()}</Link>
                    </th>
                    <td><Link href={`/tasks?task=${task.taskId}`}>{task.name}</Link></td>
                    <td>v{round.baseVersion.toString()}</td>
                    <td>{formatTime(Number(round.deadline))}</td>
                    <td><span className={outcomeBadge[status]}>{status}</span></td>
                    <td>{round.participantCount === 0 ? <span className="muted">none yet</span> : round.participantCount}</td>
                    <td>{round.proposedVersion === undefined ? <span className="muted">none</span> : <Link href={`/tasks?task=${task.taskId}&version=${round.proposedVersion}`}>v{round.proposedVersion.toString()}</Link>}</td>
                    <td>{outcomeWords(round, status)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {selected ? <RoundDetail key={selected.round.id.toString()} row={selected} /> : null}
      </DataState>
    </>
  );
}
