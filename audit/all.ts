/**
 * The whole chain's audit: every version of every task, with the history read once (one log scan per contract,
 * shared by all versions: device histories, role history, attestations) and pure lookups from there, so the cost
 * grows with the number of versions and updates, not with RPC round trips per update.
 */
import type { AuditReport, LineageNode, SubjectReport } from "./report.ts";
import { createModelAuditContext, auditVersion, type UpdateContentMode } from "./model.ts";
import { statsOf, type AuditSources } from "./sources.ts";

export interface AuditAllOptions {
  verifyUpdateContent?: UpdateContentMode;
  /** Worker threads for signature recovery (default one per core). */
  threads?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Versions audited at the same time (default 4). */
  concurrency?: number;
}

export async function auditAll(sources: AuditSources, options: AuditAllOptions = {}): Promise<AuditReport> {
  const startedAt = performance.now();
  const ctx = await createModelAuditContext(sources, { verifyUpdateContent: options.verifyUpdateContent, threads: options.threads });
  // Every version: each task's genesis and every proposal, oldest first.
  const versionIds = [...new Set([...[...ctx.index.tasks.values()].map((task) => task.genesisVersion), ...[...ctx.index.proposals.values()].map((proposal) => proposal.versionId)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const subjects: SubjectReport[] = [];
  const lineage: LineageNode[] = [];
  options.onProgress?.(0, versionIds.length, "history read");
  // A few versions in flight at once, so one version's IPFS fetches overlap another's signature recovery; the
  // report keeps version order.
  const results: Awaited<ReturnType<typeof auditVersion>>[] = new Array(versionIds.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < versionIds.length) {
      const position = next++;
      const audited = await auditVersion(ctx, versionIds[position]!);
      results[position] = audited;
      options.onProgress?.(++done, versionIds.length, audited.subject.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, versionIds.length) }, lane));
  for (const audited of results) {
    subjects.push(audited.subject);
    if (audited.node) lineage.push(audited.node);
  }
  sources.cache.save();
  return reportOf(sources, subjects, startedAt, lineage);
}

/** The report of audited subjects, with the sources' counters since `startedAt`. */
export function reportOf(sources: AuditSources, subjects: SubjectReport[], startedAt: number, lineage: LineageNode[] = []): AuditReport {
  return {
    generatedAt: new Date().toISOString(),
    chainId: sources.chainId,
    rpcUrl: sources.rpcUrl,
    addresses: sources.addresses,
    ok: subjects.every((subject) => subject.ok),
    subjects,
    lineage,
    stats: statsOf(sources, startedAt),
  };
}
