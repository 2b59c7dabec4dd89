/**
 * Where each version of a task sits in the lineage graph. Time runs left to right (one column per version, in id
 * order); versions that passed the policy form the top lane, the line the task's deployed model descends along,
 * and versions that were rejected or are still undecided hang below the version they were trained on. Pure, so
 * the drawing is tested without a browser.
 */
import type { TaskVersion } from "./task-history";

export interface LineageNode {
  version: TaskVersion;
  x: number;
  y: number;
  lane: 0 | 1;
}

export interface LineageEdge {
  from: bigint;
  to: bigint;
  /** The round that trained `to` from `from`. */
  roundId: bigint | undefined;
  /** An SVG path from the parent's node to the child's. */
  path: string;
}

export interface LineageLayout {
  nodes: LineageNode[];
  edges: LineageEdge[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
}

export const lineageGeometry = { columnWidth: 144, laneHeight: 96, nodeWidth: 120, nodeHeight: 60, margin: 16 } as const;

/** Edges from each version's base version (the one its round trained on) to the version, for versions that have one. */
export function lineageEdges(versions: readonly Pick<TaskVersion, "id" | "parent" | "roundId">[]): { from: bigint; to: bigint; roundId: bigint | undefined }[] {
  const known = new Set(versions.map((version) => version.id));
  return versions.flatMap((version) => (version.parent !== undefined && known.has(version.parent) ? [{ from: version.parent, to: version.id, roundId: version.roundId }] : []));
}

export function layoutLineage(versions: readonly TaskVersion[]): LineageLayout {
  const { columnWidth, laneHeight, nodeWidth, nodeHeight, margin } = lineageGeometry;
  const ordered = [...versions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const anyOffLine = ordered.some((version) => version.status === "rejected" || version.status === "proposed");
  const nodes: LineageNode[] = ordered.map((version, column) => {
    const lane = version.status === "rejected" || version.status === "proposed" ? 1 : 0;
    return { version, lane, x: margin + column * columnWidth + nodeWidth / 2, y: margin + lane * laneHeight + nodeHeight / 2 };
  });
  const byId = new Map(nodes.map((node) => [node.version.id, node]));
  const edges: LineageEdge[] = lineageEdges(ordered).map(({ from, to, roundId }) => {
    const a = byId.get(from)!;
    const b = byId.get(to)!;
    return { from, to, roundId, path: edgePath(a, b, nodeWidth, nodeHeight) };
  });
  return {
    nodes,
    edges,
    width: margin * 2 + Math.max(1, ordered.length) * columnWidth - (columnWidth - nodeWidth),
    height: margin * 2 + (anyOffLine ? laneHeight : 0) + nodeHeight,
    nodeWidth,
    nodeHeight,
  };
}

/**
 * Along the lane from the parent's right edge to the child's left edge; to the lane below, from the parent's bottom
 * to the child's top, bending between the lanes so it never crosses the versions in between.
 */
function edgePath(a: LineageNode, b: LineageNode, nodeWidth: number, nodeHeight: number): string {
  if (a.lane === b.lane) return `M${a.x + nodeWidth / 2},${a.y} L${b.x - nodeWidth / 2},${b.y}`;
  const startY = a.y + nodeHeight / 2;
  const endY = b.y - nodeHeight / 2;
  const middle = (startY + endY) / 2;
  return `M${a.x},${startY} C${a.x},${middle} ${b.x},${middle} ${b.x},${endY}`;
}
