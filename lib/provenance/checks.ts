/**
 * The off-chain part of a reading's provenance, as pure functions over evidence already in hand: a decoded
 * window document, the header anchored on chain (from its WindowAnchored event) and a row index. Nothing here
 * reads the chain or IPFS, so an auditor can re-run the checks on evidence it fetched, cached or was sent.
 *
 * What is checked, and in what terms a failure is explained:
 * - the document's signed window is the anchored one (device, root, span, count; the gateway if known);
 * - its rows hash to the signed root (a tampered, added, removed or reordered reading breaks it);
 * - the device signed the window (EIP-712 under the chain and ProvenanceAnchor domain);
 * - the row exists, and the gateway's normalised values are what wrangling the signed row gives;
 * - the reading's leaf and proof lead to the anchored root.
 */
import { encodeAbiParameters, keccak256, toBytes, type Address, type Hex } from "viem";
import type { WindowDocument } from "../telemetry/document.ts";
import { buildReadingTree, readingLeaf, readingProof, treeRoot, verifyReadingProof } from "../telemetry/merkle.ts";
import { windowSigner, type Channel, type TimeFormat } from "../telemetry/window.ts";
import { wrangleWindow } from "../telemetry/wrangle.ts";

/** A window header as ProvenanceAnchor takes it (and its WindowAnchored event carries it). */
export interface AnchoredHeader {
  deviceAccount: Address;
  startTime: bigint;
  endTime: bigint;
  readingCount: number;
  root: Hex;
  dataCid: string;
}

export const checkNames = [
  /** The WindowAnchored event of the window exists. */
  "anchor",
  /** The digest stored for the window equals headerDigest(header from the event, gateway). */
  "anchor-digest",
  /** The window document was fetched from IPFS by the anchored CID and decodes. */
  "document",
  /** The document's signed window is the anchored one. */
  "document-matches-anchor",
  /** The document's rows hash to the signed root. */
  "window-root",
  /** The device signed the window. */
  "device-signature",
  /** The requested row is in the window. */
  "reading-index",
  /** The gateway's normalised values of the row are what wrangling the signed row gives. */
  "normalised-reading",
  /** Leaf and proof lead to the anchored root, computed here. */
  "proof-offchain",
  /** ProvenanceAnchor.verifyReading accepts leaf and proof for the anchored header and gateway. */
  "proof-onchain",
  /** The gateway held GATEWAY when it anchored. */
  "gateway-role",
  /** The device was registered and active when the window was anchored. */
  "device-active",
] as const;

export type CheckName = (typeof checkNames)[number];

export interface ProvenanceCheck {
  name: CheckName;
  ok: boolean;
  /** Why it failed, for a person; absent when ok. */
  reason?: string;
  /** Why it failed, for a program: e.g. "window-root-mismatch", "bad-signature", "not-checked". */
  code?: string;
}

export const passed = (name: CheckName): ProvenanceCheck => ({ name, ok: true });
export const failed = (name: CheckName, code: string, reason: string): ProvenanceCheck => ({ name, ok: false, code, reason });
export const notChecked = (name: CheckName, because: string): ProvenanceCheck => ({ name, ok: false, code: "not-checked", reason: `not checked: ${because}` });

/** One reading, as the device sent it and as the gateway normalised it. */
export interface ReadingValues {
  index: number;
  device: Address;
  sequence: number;
  timeFormat: TimeFormat;
  channels: Channel[];
  /** The row exactly as the device sent (and signed) it: timestamp first, then one cell per channel. */
  raw: unknown[];
  normalised: {
    /** Unix ms, or null when the timestamp is bad. */
    timestamp: number | null;
    /** One entry per schema sensor, in the schema's unit; null where missing or invalid. */
    values: { name: string; unit: string; value: number | null }[];
    /** The row's flags ("bad-timestamp", "T24:out-of-range", ...). */
    flags: string[];
  };
}

/** keccak256(abi.encode(device, gateway, startTime, endTime, readingCount, root, keccak256(dataCid))), as the contract's headerDigest. */
export function headerDigest(header: AnchoredHeader, gateway: Address): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint64" }, { type: "uint64" }, { type: "uint32" }, { type: "bytes32" }, { type: "bytes32" }],
      [header.deviceAccount, gateway, header.startTime, header.endTime, header.readingCount, header.root, keccak256(toBytes(header.dataCid))],
    ),
  );
}

/** The anchor-digest check: the stored digest (zero when there is no such window) against the header and gateway. */
export function checkAnchorDigest(storedDigest: Hex, header: AnchoredHeader, gateway: Address): ProvenanceCheck {
  if (/^0x0{64}$/.test(storedDigest)) return failed("anchor-digest", "no-stored-window", "the ProvenanceAnchor stores no digest for this window id");
  const expected = headerDigest(header, gateway);
  if (expected.toLowerCase() !== storedDigest.toLowerCase()) {
    return failed("anchor-digest", "digest-mismatch", `the stored window digest ${storedDigest} is not the digest of the event's header and gateway (${expected})`);
  }
  return passed("anchor-digest");
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The document-matches-anchor check. `gateway`, when given, must be the document's gateway too. */
export function checkDocumentMatchesAnchor(document: WindowDocument, header: AnchoredHeader, gateway?: Address): ProvenanceCheck {
  const window = document.window;
  const differences: string[] = [];
  if (!sameAddress(window.device, header.deviceAccount)) differences.push(`device ${window.device} ≠ anchored ${header.deviceAccount}`);
  if (window.root.toLowerCase() !== header.root.toLowerCase()) differences.push(`root ${window.root} ≠ anchored ${header.root}`);
  if (BigInt(window.startTime) !== header.startTime) differences.push(`startTime ${window.startTime} ≠ anchored ${header.startTime}`);
  if (BigInt(window.endTime) !== header.endTime) differences.push(`endTime ${window.endTime} ≠ anchored ${header.endTime}`);
  if (window.rows.length !== header.readingCount) differences.push(`${window.rows.length} readings ≠ anchored count ${header.readingCount}`);
  if (gateway !== undefined && !sameAddress(document.gateway, gateway)) differences.push(`gateway ${document.gateway} ≠ anchoring gateway ${gateway}`);
  if (differences.length > 0) {
    return failed("document-matches-anchor", "document-anchor-mismatch", `the window document is not the anchored window: ${differences.join("; ")}`);
  }
  return passed("document-matches-anchor");
}

/** The reading's values as sent and as normalised in the document (undefined when the index is outside the window). */
export function readingValues(document: WindowDocument, index: number): ReadingValues | undefined {
  const window = document.window;
  const raw = window.rows[index];
  if (!Number.isInteger(index) || raw === undefined) return undefined;
  const row = document.normalised.values[index] ?? [];
  return {
    index,
    device: window.device,
    sequence: window.sequence,
    timeFormat: window.timeFormat,
    channels: window.channels.map(({ name, unit }) => ({ name, unit })),
    raw: [...raw],
    normalised: {
      timestamp: document.normalised.timestamps[index] ?? null,
      values: document.schema.map(({ name, unit }, s) => ({ name, unit, value: row[s] ?? null })),
      flags: document.normalised.flags[String(index)] ?? [],
    },
  };
}

/** Re-wrangles the signed window with the document's schema and compares row `index` with the stored normalisation. */
function checkNormalisedReading(document: WindowDocument, index: number): ProvenanceCheck {
  const wrangled = wrangleWindow(document.window, document.schema);
  const sensors = document.schema.length;
  const expectedTime = wrangled.timestamps[index]!;
  const storedTime = document.normalised.timestamps[index];
  const problems: string[] = [];
  if ((Number.isNaN(expectedTime) ? null : expectedTime) !== storedTime) problems.push(`timestamp ${String(storedTime)} should be ${Number.isNaN(expectedTime) ? "null" : expectedTime}`);
  const storedRow = document.normalised.values[index];
  if (!storedRow || storedRow.length !== sensors) {
    problems.push(`${storedRow?.length ?? 0} normalised values for ${sensors} sensors`);
  } else {
    for (let s = 0; s < sensors; s++) {
      const value = wrangled.values[index * sensors + s]!;
      const expected = Number.isNaN(value) ? null : value;
      if (storedRow[s] !== expected) problems.push(`${document.schema[s]!.name} ${String(storedRow[s])} should be ${String(expected)}`);
    }
  }
  if (problems.length > 0) {
    return failed("normalised-reading", "normalisation-mismatch", `the gateway's normalised values of reading ${index} are not what the signed reading converts to: ${problems.join("; ")}`);
  }
  return passed("normalised-reading");
}

export interface ReadingCheckContext {
  /** The EIP-712 domain the device signed under. */
  chainId: number;
  provenanceAnchor: Address;
  /** The gateway that anchored the window; when given the document must name it. */
  gateway?: Address;
}

export interface OffchainEvidence {
  ok: boolean;
  checks: ProvenanceCheck[];
  reading: ReadingValues | null;
  /** The reading's leaf, computed from the document's row (null when the row does not exist). */
  leaf: Hex | null;
  /** Its proof in the document's tree. */
  proof: Hex[] | null;
  /** What the document's rows hash to. */
  documentRoot: Hex;
}

/**
 * Every check that needs no chain or IPFS access: document against anchored header, rows against the signed root,
 * the device's signature, the normalisation of the row, and leaf and proof against the anchored root.
 * Returns checks in the order document-matches-anchor, window-root, device-signature, reading-index,
 * normalised-reading, proof-offchain.
 */
export async function checkReadingOffchain(document: WindowDocument, header: AnchoredHeader, index: number, context: ReadingCheckContext): Promise<OffchainEvidence> {
  const window = document.window;
  const checks: ProvenanceCheck[] = [checkDocumentMatchesAnchor(document, header, context.gateway)];

  const tree = buildReadingTree(window.rows);
  const documentRoot = treeRoot(tree);
  checks.push(
    documentRoot.toLowerCase() === window.root.toLowerCase()
      ? passed("window-root")
      : failed(
          "window-root",
          "window-root-mismatch",
          `the window's ${window.rows.length} readings hash to ${documentRoot}, not to the root ${window.root} the device signed: a reading was altered, added, removed or reordered after signing`,
        ),
  );

  if (window.startTime > window.endTime) {
    checks.push(failed("device-signature", "time-span-invalid", `the signed window starts (${window.startTime}) after it ends (${window.endTime})`));
  } else {
    try {
      const signer = await windowSigner(window, context.chainId, context.provenanceAnchor);
      checks.push(
        sameAddress(signer, window.device)
          ? passed("device-signature")
          : failed("device-signature", "bad-signature", `the window was signed by ${signer}, not by the device ${window.device} (forged, or signed for another chain or contract)`),
      );
    } catch (error) {
      checks.push(failed("device-signature", "bad-signature", `the window's signature does not recover to any account: ${(error as Error).message.split("\n")[0]}`));
    }
  }

  const reading = readingValues(document, index);
  if (!reading) {
    const reason = `reading ${index} is not in the window, which has readings 0..${window.rows.length - 1}`;
    checks.push(failed("reading-index", "no-such-reading", reason), notChecked("normalised-reading", reason), notChecked("proof-offchain", reason));
    return { ok: false, checks, reading: null, leaf: null, proof: null, documentRoot };
  }
  checks.push(passed("reading-index"), checkNormalisedReading(document, index));

  const leaf = readingLeaf(index, window.rows[index]!);
  const proof = readingProof(tree, index);
  checks.push(
    verifyReadingProof(header.root, leaf, proof)
      ? passed("proof-offchain")
      : failed("proof-offchain", "proof-invalid", `reading ${index}'s leaf ${leaf} with its ${proof.length}-step proof from the document does not lead to the anchored root ${header.root}`),
  );
  return { ok: checks.every((check) => check.ok), checks, reading, leaf, proof, documentRoot };
}
