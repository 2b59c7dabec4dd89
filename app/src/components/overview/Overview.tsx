"use client";
import Link from "next/link";
import { useReadContracts } from "wagmi";
import { modelRegistryAbi } from "@/generated/contracts";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, useChainLog } from "@/lib/chain-log";
import { describeEvent } from "@/lib/event-words";
import { roundStatusName } from "../../../../lib/chain/status.ts";
import { DataState } from "../DataState";

export function Overview() {
  const { addresses } = useAppConfig();
  const log = useChainLog();
  const tasks = eventsNamed(log.data, "TaskCreated");
  const rounds = eventsNamed(log.data, "RoundOpened");
  const latestRound = new Map(rounds.map((event) => [event.args.taskId, event.args.roundId]));
  const reads = useReadContracts({
    contracts: tasks.flatMap((task) => [
      { address: addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "deployedVersion", args: [task.args.taskId] } as const,
      { address: addresses.ModelRegistry, abi: modelRegistryAbi, functionName: "roundStatus", args: [latestRound.get(task.args.taskId) ?? 0n] } as const,
    ]),
    query: { enabled: tasks.length > 0, refetchInterval: 1_000 },
  });
  const organisations = new Set(eventsNamed(log.data, "OrganisationApproved").map((event) => event.args.organisationId));
  for (const event of eventsNamed(log.data, "OrganisationRemoved")) organisations.delete(event.args.organisationId);
  const devices = eventsNamed(log.data, "DeviceRegistered").length;
  const deployments = eventsNamed(log.data, "VersionDeployed").length;
  const feed = log.data ? log.data.events.slice(-30).reverse() : [];

  return (
    <>
      <h1>Consortium overview</h1>
      <DataState label="the consortium" loading={log.isLoading} error={log.error}>
        <div className="cards">
          <div className="card"><div className="value" data-testid="organisation-count">{organisations.size}</div><div className="label">member organisations</div></div>
          <div className="card"><div className="value">{devices}</div><div className="label">registered devices</div></div>
          <div className="card"><div className="value">{tasks.length}</div><div className="label">federated tasks</div></div>
          <div className="card"><div className="value">{rounds.length}</div><div className="label">rounds opened</div></div>
          <div className="card"><div className="value">{deployments}</div><div className="label">versions deployed</div></div>
        </div>
        <h2>Tasks</h2>
        <DataState label="tasks" loading={tasks.length > 0 && reads.isLoading} error={reads.error} empty={tasks.length === 0} emptyText="No federated task has been created yet.">
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">task</th><th scope="col">deployed version</th><th scope="col">current round</th><th scope="col">round status</th></tr></thead>
              <tbody>
                {tasks.map((task, index) => {
                  const deployed = reads.data?.[2 * index]?.result as bigint | undefined;
                  const status = reads.data?.[2 * index + 1]?.result as number | undefined;
                  const roundId = latestRound.get(task.args.taskId);
                  return (
                    <tr key={task.args.taskId}>
                      <td><Link href={`/tasks?task=${task.args.taskId}`}>{task.args.name}</Link></td>
                      <td data-testid="deployed-version">{deployed === undefined ? "…" : `v${deployed}`}</td>
                      <td>{roundId === undefined ? "none yet" : <Link href={`/rounds?round=${roundId}`}>round {roundId.toString()}</Link>}</td>
                      <td data-testid="round-status">{roundId === undefined ? "—" : status === undefined ? "…" : roundStatusName[status] ?? status}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </DataState>
        <h2 id="feed-heading">Live chain events</h2>
        <p className="muted">The newest first, read from the chain every second (telemetry anchors are on the Twins and Audit pages).</p>
        <ul className="feed" aria-labelledby="feed-heading" aria-live="polite" data-testid="event-feed" tabIndex={0}>
          {feed.map((event) => (
            <li key={`${event.transactionHash}-${event.logIndex}`}>
              <span className="muted">block {event.blockNumber.toString()}</span> · {describeEvent(event)}
            </li>
          ))}
        </ul>
      </DataState>
    </>
  );
}
