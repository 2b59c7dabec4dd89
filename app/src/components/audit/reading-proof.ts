/**
 * Verifying one telemetry reading's proof in the browser, with the CLI auditor's own checks
 * (lib/provenance/checks.ts `checkReadingOffchain`): the window document (fetched by the anchored data CID) must be
 * the anchored window; its rows must hash to the root the device signed; the device's EIP-712 signature must
 * recover to the device; the gateway's normalised values must be what the signed row converts to; and the
 * reading's leaf with its Merkle proof must lead to the root in the WindowAnchored event. Pure over evidence
 * already fetched.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import { checkReadingOffchain, type AnchoredHeader, type CheckName } from "../../../../lib/provenance/checks.ts";
import { windowDocumentSchema } from "../../../../lib/telemetry/document.ts";
import { processProof } from "../../../../lib/telemetry/merkle.ts";
import type { VerificationStep } from "./model-verification";

/** A WindowAnchored event: the header the gateway anchored, the gateway, and where it was logged. */
export interface WindowAnchorRecord {
  windowId: bigint;
  gateway: Address;
  header: AnchoredHeader;
  blockNumber: bigint;
  transactionHash: Hex;
}

/** The EIP-712 domain devices sign windows under. */
export interface SigningDomain {
  chainId: number;
  provenanceAnchor: Address;
}

/** The reading as the device sent (and signed) it, and as the gateway normalised it. */
export interface ProvenReading {
  index: number;
  /** Channel name → the raw cell, in the device's own units; the first cell of a row is its timestamp. */
  raw: { name: string; unit: string; value: unknown }[];
  timestamp: number | null;
  normalised: { name: string; unit: string; value: number | null }[];
}

export interface ReadingProofResult {
  ok: boolean;
  /** The first failed step's detail, when not ok. */
  reason: string | null;
  steps: VerificationStep[];
  reading: ProvenReading | null;
  leaf: Hex | null;
  /** Sibling hashes from the leaf up. */
  proof: Hex[] | null;
  /** What the leaf and proof fold to (equal to the anchored root when the reading is proven). */
  provenRoot: Hex | null;
}

const stepNames: Partial<Record<CheckName, { name: string; passed: string }>> = {
  "document-matches-anchor": { name: "document is the anchored window", passed: "device, signed root, time span, reading count and gateway match the WindowAnchored event" },
  "window-root": { name: "window root", passed: "every reading of the window hashes to the root the device signed" },
  "device-signature": { name: "device signature", passed: "the window's EIP-712 signature recovers to the device account" },
  "reading-index": { name: "reading", passed: "the reading is in the window" },
  "normalised-reading": { name: "gateway normalisation", passed: "the gateway's normalised values are what the signed reading converts to" },
  "proof-offchain": { name: "Merkle proof", passed: "the reading's leaf with its proof leads to the anchored root" },
};

/** Checks reading `index` of the window document `document` (parsed JSON) against its WindowAnchored event. */
export async function checkReadingProof(document: unknown, anchor: WindowAnchorRecord, index: number, domain: SigningDomain): Promise<ReadingProofResult> {
  const parsed = windowDocumentSchema.safeParse(document);
  if (!parsed.success) {
    const detail = `the content at ${anchor.header.dataCid} is not a telemetry window document: ${z.prettifyError(parsed.error).split("\n").slice(0, 2).join(" ")}`;
    return { ok: false, reason: detail, steps: [{ name: "window document", ok: false, detail }], reading: null, leaf: null, proof: null, provenRoot: null };
  }
  const windowDocument = parsed.data;
  const evidence = await checkReadingOffchain(windowDocument, anchor.header, index, { ...domain, gateway: anchor.gateway });
  const steps: VerificationStep[] = [
    { name: "window document", ok: true, detail: `window of ${windowDocument.window.rows.length} readings from device ${windowDocument.window.device}, stored by gateway ${windowDocument.gateway}` },
    ...evidence.checks.map((check) => ({ name: stepNames[check.name]?.name ?? check.name, ok: check.ok, detail: check.ok ? (stepNames[check.name]?.passed ?? "passed") : (check.reason ?? check.code ?? "failed") })),
  ];
  const failure = steps.find((step) => !step.ok);
  const reading: ProvenReading | null = evidence.reading && {
    index,
    raw: evidence.reading.raw.map((value, cell) => (cell === 0 ? { name: "time", unit: "", value } : { name: evidence.reading!.channels[cell - 1]?.name ?? `cell ${cell}`, unit: evidence.reading!.channels[cell - 1]?.unit ?? "", value })),
    timestamp: evidence.reading.normalised.timestamp,
    normalised: evidence.reading.normalised.values,
  };
  return {
    ok: failure === undefined,
    reason: failure ? failure.detail : null,
    steps,
    reading,
    leaf: evidence.leaf,
    proof: evidence.proof,
    provenRoot: evidence.leaf && evidence.proof ? processProof(evidence.leaf, evidence.proof) : null,
  };
}
