"use client";
import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import { layoutLineage } from "./lineage-layout";
import { formatMetric } from "./policy-words";
import type { TaskVersion } from "./task-history";
import styles from "./Tasks.module.css";

const statusClass: Record<TaskVersion["status"], string | undefined> = {
  deployed: styles.nodeDeployed,
  validated: styles.nodeValidated,
  rejected: styles.nodeRejected,
  proposed: styles.nodeProposed,
};

/** What the node does not show: where the version came from and why it was rejected (read as its description). */
export function versionDescription(version: TaskVersion): string {
  const origin = version.roundId === undefined ? "the genesis model, registered with the task" : `trained in round ${version.roundId} from v${version.parent ?? "?"}`;
  return version.status === "rejected" && version.rejection ? `${origin}; rejected: ${version.rejection}` : origin;
}

/**
 * The task's version history as a graph: a node per version, an edge from the version a round trained on to the
 * version it produced. Nodes are buttons (Tab to reach, Enter or Space to select), so the graph works without a mouse.
 */
export function LineageGraph({ versions, metric, selected, onSelect }: {
  versions: readonly TaskVersion[];
  metric: string;
  selected: bigint | undefined;
  onSelect: (versionId: bigint) => void;
}) {
  const captionId = useId();
  const layout = layoutLineage(versions);
  const { nodeWidth, nodeHeight } = layout;
  const scroller = useRef<HTMLDivElement>(null);
  const selectedX = layout.nodes.find((node) => node.version.id === selected)?.x;
  // On a narrow screen the graph scrolls sideways; bring the selected (by default the deployed) version into view.
  useEffect(() => {
    const element = scroller.current;
    if (!element || selectedX === undefined) return;
    if (selectedX < element.scrollLeft || selectedX > element.scrollLeft + element.clientWidth) element.scrollLeft = Math.max(0, selectedX - element.clientWidth / 2);
  }, [selectedX]);
  const keySelect = (versionId: bigint) => (event: KeyboardEvent<SVGGElement>) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(versionId);
    }
  };
  return (
    <figure className={styles.lineage} data-testid="lineage-graph">
      <div className={styles.lineageScroll} ref={scroller}>
        <svg width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-labelledby={captionId}>
          <defs>
            <marker id={`${captionId}-arrow`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className={styles.arrowHead} />
            </marker>
          </defs>
          {layout.edges.map((edge) => (
            <path key={`${edge.from}-${edge.to}`} d={edge.path} className={styles.edge} markerEnd={`url(#${captionId}-arrow)`} data-testid="lineage-edge" data-from={edge.from.toString()} data-to={edge.to.toString()}>
              <title>{`v${edge.from} → v${edge.to}${edge.roundId === undefined ? "" : ` (round ${edge.roundId})`}`}</title>
            </path>
          ))}
          {layout.nodes.map(({ version, x, y }) => {
            const isSelected = selected === version.id;
            return (
              <g
                key={version.id.toString()}
                transform={`translate(${x - nodeWidth / 2} ${y - nodeHeight / 2})`}
                className={`${styles.node} ${statusClass[version.status] ?? ""} ${isSelected ? styles.nodeSelected : ""}`}
                role="button"
                tabIndex={0}
                aria-pressed={isSelected}
                aria-describedby={`${captionId}-v${version.id}`}
                data-testid="lineage-node"
                data-version={version.id.toString()}
                data-status={version.status}
                onClick={() => onSelect(version.id)}
                onKeyDown={keySelect(version.id)}
              >
                <rect width={nodeWidth} height={nodeHeight} rx={8} className={styles.nodeBox} />
                {/* One text element, so the button's name reads with spaces: "v3 · round 2 deployed rmse 27.36". */}
                <text>
                  <tspan x={10} y={19} className={styles.nodeTitle}>{`v${version.id} · ${version.roundId === undefined ? "genesis" : `round ${version.roundId}`}`}</tspan>{" "}
                  <tspan x={10} y={36} className={styles.nodeStatus}>{version.status}</tspan>{" "}
                  <tspan x={10} y={52} className={styles.nodeMetric}>{`${metric} ${formatMetric(version.metric)}`}</tspan>
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <div hidden>
        {layout.nodes.map(({ version }) => <span key={version.id.toString()} id={`${captionId}-v${version.id}`}>{versionDescription(version)}</span>)}
      </div>
      <figcaption id={captionId}>
        <span className="chart-title">Lineage of the task&apos;s model versions</span>{" "}
        <span className="muted">(an arrow runs from the version a round trained on to the version it produced; select a version for its details)</span>
        <ul className="legend" aria-label="Status colours">
          <li><span className={`${styles.legendSwatch} ${styles.nodeDeployed}`} aria-hidden="true" />deployed (bold border)</li>
          <li><span className={`${styles.legendSwatch} ${styles.nodeValidated}`} aria-hidden="true" />validated, since replaced</li>
          <li><span className={`${styles.legendSwatch} ${styles.nodeRejected}`} aria-hidden="true" />rejected</li>
          <li><span className={`${styles.legendSwatch} ${styles.nodeProposed}`} aria-hidden="true" />proposed, awaiting attestations</li>
        </ul>
      </figcaption>
    </figure>
  );
}
