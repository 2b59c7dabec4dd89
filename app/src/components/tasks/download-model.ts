/**
 * Fetches a version's model through the verified browser IPFS (every block hash-checked against its CID), checks its
 * weights against the chain's hash, and hands the files to the browser's downloads. Nothing is saved unless the
 * weights match: a reader never keeps a model the consortium did not record.
 */
import type { Hex } from "viem";
import { catVerified, isDirectory, verifiedBlockstore, type FetchProgress } from "@/lib/ipfs";
import { checkModelDirectory, checkModelFile } from "./model-files";

export interface ModelFile {
  name: string;
  bytes: Uint8Array;
  type: string;
}

export class ModelMismatchError extends Error {
  override name = "ModelMismatchError";
}

export async function fetchVerifiedModel(cid: string, expected: Hex, options: { versionId: bigint; onProgress?: (progress: FetchProgress) => void; signal?: AbortSignal }): Promise<ModelFile[]> {
  const blockstore = verifiedBlockstore(options.onProgress);
  const read = (path?: string) => catVerified(cid, path, { blockstore, ...(options.signal ? { signal: options.signal } : {}) });
  if (await isDirectory(cid, blockstore)) {
    const modelJson = await read("model.json");
    const weights = await read("weights.bin");
    const check = checkModelDirectory(modelJson, weights, expected);
    if (!check.ok) throw new ModelMismatchError(check.reason);
    return [
      { name: "model.json", bytes: modelJson, type: "application/json" },
      { name: "weights.bin", bytes: weights, type: "application/octet-stream" },
    ];
  }
  const bytes = await read();
  const check = checkModelFile(bytes, expected);
  if (!check.ok) throw new ModelMismatchError(check.reason);
  return [{ name: `model-v${options.versionId}-weights.bin`, bytes, type: "application/octet-stream" }];
}

export interface SavedFile {
  name: string;
  url: string;
  size: number;
}

/** Blob URLs for the files; the caller revokes them (`URL.revokeObjectURL`) when they are no longer offered. */
export function objectUrls(files: readonly ModelFile[]): SavedFile[] {
  return files.map((file) => ({ name: file.name, size: file.bytes.length, url: URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type })) }));
}

/** Starts a browser download of one file, as a click on a download link would. */
export function startDownload(file: SavedFile): void {
  const anchor = document.createElement("a");
  anchor.href = file.url;
  anchor.download = file.name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
