/**
 * What an audit produces: per subject (a model version, a device, a reading) every check with pass/fail, the
 * reason a person understands when it fails, and the evidence it rests on (transaction hashes, CIDs, blocks).
 * The CLI prints it as a table or JSON, and renders it as a self-contained HTML report.
 */
import type { Address, Hex } from "viem";
import type { ContractAddresses } from "../lib/chain/deployment.ts";

export type EvidenceValue = string | number | boolean | null;

export interface AuditCheck {
  /** Stable, kebab-case name, e.g. "weights-hash", "attestations", "update-signature". */
  name: string;
  ok: boolean;
  /** Why it failed (or a note when it passed with a caveat). */
  reason?: string;
  evidence: Record<string, EvidenceValue>;
}

export type SubjectKind = "model" | "device" | "reading";

export interface SubjectReport {
  kind: SubjectKind;
  /** e.g. "cmapss-rul v3", "0xabc…", "window 12 #5". */
  id: string;
  ok: boolean;
  checks: AuditCheck[];
}

/** One model version in a task's lineage (for the report's lineage graph). */
export interface LineageNode {
  taskId: Hex;
  taskName: string;
  versionId: string;
  /** "0" for a genesis version. */
  parent: string;
  roundId: string;
  status: "proposed" | "validated" | "rejected";
  deployed: boolean;
  cid: string;
  weightsHash: Hex;
  proposer: Address;
  attesters: Address[];
  participants: number;
  metric: number;
  /** Whether every check of this version passed. */
  ok: boolean;
}

export interface AuditStats {
  rpcCalls: number;
  getLogsCalls: number;
  ipfsFetches: number;
  seconds: number;
}

export interface AuditReport {
  generatedAt: string;
  chainId: number;
  rpcUrl: string;
  addresses: ContractAddresses;
  ok: boolean;
  subjects: SubjectReport[];
  lineage: LineageNode[];
  stats: AuditStats;
}

/** 0 when every check passed, 1 when any failed (2 is for usage and connection errors, decided by the CLI). */
export function exitCodeOf(report: Pick<AuditReport, "ok">): 0 | 1 {
  return report.ok ? 0 : 1;
}
