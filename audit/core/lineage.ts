/**
 * The lineage walk: from a version back through its parents to the task's genesis, checking each link against
 * the round that produced it. Pure: it works on records already read from logs and views.
 */
import type { Hex } from "viem";

export interface LineageVersion {
  versionId: bigint;
  taskId: Hex;
  /** The parent recorded in the version (0 for genesis). */
  parent: bigint;
  /** The round that produced it (0 for genesis). */
  roundId: bigint;
}

export interface LineageRound {
  taskId: Hex;
  baseVersion: bigint;
  /** The version deployed for the task when the round opened (from VersionDeployed logs), if known. */
  deployedAtOpen?: bigint;
}

export type LineageWalk =
  | { ok: true; path: bigint[] }
  | { ok: false; path: bigint[]; brokenAt: bigint; reason: string };

/**
 * Walks from `versionId` to the genesis of `taskId`. Each link must hold: the version exists and belongs to the task;
 * a non-genesis version names a round of the same task whose base version is its parent (and that base was the deployed
 * version when the round opened); parents are strictly older; the walk ends at the task's genesis version.
 */
export function walkLineage(
  versionId: bigint,
  taskId: Hex,
  genesisVersion: bigint | undefined,
  versions: ReadonlyMap<string, LineageVersion>,
  rounds: ReadonlyMap<string, LineageRound>,
): LineageWalk {
  const path: bigint[] = [];
  const broken = (at: bigint, reason: string): LineageWalk => ({ ok: false, path, brokenAt: at, reason });
  let current = versionId;
  const seen = new Set<string>();
  for (;;) {
    if (seen.has(current.toString())) return broken(current, `version ${current} appears twice in its own ancestry (a cycle)`);
    seen.add(current.toString());
    const version = versions.get(current.toString());
    if (!version) return broken(current, `version ${current} does not exist${path.length ? ` (it is the recorded parent of version ${path[path.length - 1]})` : ""}`);
    path.push(current);
    if (version.taskId.toLowerCase() !== taskId.toLowerCase()) return broken(current, `version ${current} belongs to task ${version.taskId}, not ${taskId}`);
    if (version.roundId === 0n) {
      if (genesisVersion === undefined) return broken(current, `task ${taskId} has no TaskCreated event naming its genesis`);
      if (current !== genesisVersion) return broken(current, `version ${current} has no round but is not the task's genesis version ${genesisVersion}`);
      return { ok: true, path };
    }
    const round = rounds.get(version.roundId.toString());
    if (!round) return broken(current, `version ${current} names round ${version.roundId}, which was never opened`);
    if (round.taskId.toLowerCase() !== taskId.toLowerCase()) return broken(current, `version ${current}'s round ${version.roundId} belongs to task ${round.taskId}`);
    if (round.baseVersion !== version.parent) {
      return broken(current, `version ${current} records parent ${version.parent}, but its round ${version.roundId} was opened on base version ${round.baseVersion}`);
    }
    if (round.deployedAtOpen !== undefined && round.deployedAtOpen !== round.baseVersion) {
      return broken(current, `round ${version.roundId} (of version ${current}) was opened on version ${round.baseVersion}, but version ${round.deployedAtOpen} was deployed then`);
    }
    if (version.parent >= current) return broken(current, `version ${current} records parent ${version.parent}, which is not older than it`);
    current = version.parent;
  }
}
