/**
 * The audit of one telemetry reading: lib/provenance's whole chain of evidence (anchor, digest, gateway role,
 * device status, window document, root, signature, proof here and on chain), one AuditCheck per provenance check.
 */
import { verifyReadingProvenance, type ProvenanceReport } from "../lib/provenance/index.ts";
import type { AuditCheck, EvidenceValue, SubjectReport } from "./report.ts";
import type { AuditSources } from "./sources.ts";

/** The evidence worth showing next to each check (the report's full evidence has proofs and states too). */
function evidenceOf(report: ProvenanceReport): Record<string, EvidenceValue> {
  const e = report.evidence;
  return {
    windowId: e.windowId.toString(),
    block: e.blockNumber === null ? null : Number(e.blockNumber),
    transactionHash: e.transactionHash,
    gateway: e.gateway,
    device: e.device,
    firmwareHash: e.firmwareHash,
    dataCid: e.dataCid,
    root: e.root,
    leaf: e.leaf,
  };
}

export async function auditReading(sources: AuditSources, windowId: bigint, index: number): Promise<SubjectReport> {
  const readerCallsBefore = sources.reader.stats.rpcCalls;
  const report = await verifyReadingProvenance(
    { client: sources.client, store: sources.store, addresses: sources.addresses, fromBlock: sources.fromBlock, reader: sources.reader, catTimeoutMs: sources.catTimeoutMs },
    windowId,
    index,
  );
  // The report counts the shared reader's requests too, which the audit already counts through the reader.
  sources.counters.rpcCalls += report.rpc.calls - (sources.reader.stats.rpcCalls - readerCallsBefore);
  const evidence = evidenceOf(report);
  const checks: AuditCheck[] = report.checks.map((check) => ({
    name: check.name,
    ok: check.ok,
    ...(check.reason ? { reason: check.reason } : {}),
    evidence: { ...(check.code ? { code: check.code } : {}), ...evidence },
  }));
  return { kind: "reading", id: `window ${windowId} #${index}`, ok: report.ok, checks };
}
