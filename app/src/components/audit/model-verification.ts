/**
 * Verifying a model version in the browser, as the CLI auditor does (audit/core/weights.ts): fetch its content
 * from IPFS with every block hash-checked against its CID, hash the weights the way the chain records them, and
 * compare with the version's on-chain weights hash.
 * - A model directory (TF.js LayersModel: model.json + weights.bin): model.json must describe exactly the float32
 *   bytes of weights.bin; the hash is keccak256 of weights.bin's bytes. weights.bin holds the little-endian float32
 *   weights in model.getWeights() order, which is what weightsHash(bytesToWeights(bytes)) re-encodes, so hashing
 *   the bytes gives the same value without decoding them.
 * - A single file (a seeded genesis model): keccak256 of its bytes.
 * The judgement (`judgeModelContent`) is pure; `verifyModelContent` adds the IPFS reads.
 */
import { keccak256, type Hex } from "viem";
import { catVerified, isDirectory, verifiedBlockstore, type FetchProgress } from "@/lib/ipfs";
import { describedWeightBytes } from "../../../../lib/model/model-json.ts";

export type ModelContent =
  | { layout: "file"; file: Uint8Array }
  | { layout: "model-directory"; modelJson: Uint8Array; weights: Uint8Array };

export interface VerificationStep {
  name: string;
  ok: boolean;
  detail: string;
}

export type ModelVerdict =
  | { kind: "verified"; computedHash: Hex; onChainHash: Hex; steps: VerificationStep[] }
  | { kind: "mismatch"; computedHash: Hex; onChainHash: Hex; steps: VerificationStep[] }
  | { kind: "failed"; reason: string; onChainHash: Hex; steps: VerificationStep[] };

const sameHash = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const bytesWord = (count: number) => `${count.toLocaleString("en")} byte${count === 1 ? "" : "s"}`;

/** Hashes the content the chain's way and compares it with `onChainHash`; `steps` says what was checked. */
export function judgeModelContent(content: ModelContent, onChainHash: Hex): ModelVerdict {
  const steps: VerificationStep[] = [];
  let hashed: Uint8Array;
  if (content.layout === "model-directory") {
    const described = describedWeightBytes(content.modelJson);
    if (!described.ok) {
      steps.push({ name: "model.json", ok: false, detail: described.reason });
      return { kind: "failed", reason: described.reason, onChainHash, steps };
    }
    if (described.bytes !== content.weights.length || content.weights.length % 4 !== 0) {
      const reason =
        described.bytes !== content.weights.length
          ? `weights.bin has ${bytesWord(content.weights.length)}, model.json describes ${bytesWord(described.bytes)}`
          : `weights.bin (${bytesWord(content.weights.length)}) is not whole float32 values`;
      steps.push({ name: "model.json", ok: false, detail: reason });
      return { kind: "failed", reason, onChainHash, steps };
    }
    steps.push({ name: "model.json", ok: true, detail: `describes ${bytesWord(described.bytes)} of float32 weights (${(described.bytes / 4).toLocaleString("en")} values), exactly weights.bin's size` });
    hashed = content.weights;
  } else {
    hashed = content.file;
  }
  const computedHash = keccak256(hashed);
  const what = content.layout === "model-directory" ? "keccak256 of weights.bin" : "keccak256 of the model file";
  if (!sameHash(computedHash, onChainHash)) {
    steps.push({ name: "weights hash", ok: false, detail: `${what} is ${computedHash}, but the chain records ${onChainHash}` });
    return { kind: "mismatch", computedHash, onChainHash, steps };
  }
  steps.push({ name: "weights hash", ok: true, detail: `${what} is ${computedHash}, the weights hash recorded on chain` });
  return { kind: "verified", computedHash, onChainHash, steps };
}

export interface ModelFetch {
  content: ModelContent;
  progress: FetchProgress;
}

/** The version's content from IPFS (a directory's model.json and weights.bin, or the single file), every block verified. */
export async function fetchModelContent(cid: string, options: { onProgress?: (progress: FetchProgress) => void; signal?: AbortSignal } = {}): Promise<ModelFetch> {
  const blockstore = verifiedBlockstore(options.onProgress);
  const read = { blockstore, ...(options.signal ? { signal: options.signal } : {}) };
  if (await isDirectory(cid, blockstore)) {
    const modelJson = await catVerified(cid, "model.json", read);
    const weights = await catVerified(cid, "weights.bin", read);
    return { content: { layout: "model-directory", modelJson, weights }, progress: { ...blockstore.progress } };
  }
  return { content: { layout: "file", file: await catVerified(cid, undefined, read) }, progress: { ...blockstore.progress } };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0]!;

/**
 * Fetches and judges a version's content. Never throws for bad content or an unreachable network: the verdict is
 * then "failed" with the reason.
 */
export async function verifyModelContent(cid: string, onChainHash: Hex, options: { onProgress?: (progress: FetchProgress) => void; signal?: AbortSignal } = {}): Promise<ModelVerdict> {
  let fetched: ModelFetch;
  try {
    fetched = await fetchModelContent(cid, options);
  } catch (error) {
    const reason = `the content of ${cid} could not be read from IPFS: ${errorText(error)}`;
    return { kind: "failed", reason, onChainHash, steps: [{ name: "IPFS", ok: false, detail: reason }] };
  }
  const { content, progress } = fetched;
  const layout = content.layout === "model-directory" ? "a model directory (model.json + weights.bin)" : "a single model file";
  const fetchStep: VerificationStep = {
    name: "IPFS",
    ok: true,
    detail: `${progress.blocks} block${progress.blocks === 1 ? "" : "s"} (${bytesWord(progress.bytes)}) fetched, each hash-checked against its CID: ${layout}`,
  };
  const verdict = judgeModelContent(content, onChainHash);
  return { ...verdict, steps: [fetchStep, ...verdict.steps] };
}

/** Whether the version's XAI report can be read (and parses as JSON); informational, not part of the verdict. */
export async function checkReportReachable(cid: string, signal?: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  if (cid === "") return { ok: true, detail: "none recorded (a genesis version has no report)" };
  try {
    const bytes = await catVerified(cid, undefined, signal ? { signal } : {});
    JSON.parse(new TextDecoder().decode(bytes));
    return { ok: true, detail: `reachable: ${bytesWord(bytes.length)} of JSON, every block verified` };
  } catch (error) {
    return { ok: false, detail: `not readable: ${errorText(error)}` };
  }
}

export function verdictText(verdict: ModelVerdict): string {
  switch (verdict.kind) {
    case "verified":
      return "Verified: the content on IPFS hashes to the weights hash recorded on chain.";
    case "mismatch":
      return `Mismatch: the content hashes to ${verdict.computedHash}, the chain records ${verdict.onChainHash}.`;
    case "failed":
      return `Failed: ${verdict.reason}`;
  }
}
