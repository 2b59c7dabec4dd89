/** Boundary checks and small helpers shared by the content-store adapters. */
import { CID } from "multiformats/cid";

/** How long `cat` waits for missing blocks before giving up, unless the caller says otherwise. */
export const DEFAULT_CAT_TIMEOUT_MS = 10_000;

export function parseCid(cid: string): CID {
  if (typeof cid !== "string" || cid.trim() === "") throw new Error("expected a CID string, got an empty value");
  try {
    return CID.parse(cid.trim());
  } catch (error) {
    throw new Error(`not a valid CID: ${JSON.stringify(cid)} (${errorMessage(error)})`);
  }
}

/**
 * A relative UnixFS path such as "model.json" or "layers/0.bin". Rejects absolute paths and "." / ".." segments so a
 * directory entry can never name something outside its directory.
 */
export function validateRelativePath(path: string, what: string): string {
  if (typeof path !== "string" || path === "") throw new Error(`${what}: the path is empty`);
  if (path.startsWith("/")) throw new Error(`${what}: ${JSON.stringify(path)} must be relative (no leading "/")`);
  if (path.includes("\\")) throw new Error(`${what}: ${JSON.stringify(path)} must use "/" as separator`);
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new Error(`${what}: ${JSON.stringify(path)} has an empty, "." or ".." segment`);
    }
  }
  return path;
}

export interface DirectoryFile {
  path: string;
  content: Uint8Array;
}

/** Checks the files of one directory: at least one, relative paths, bytes, no duplicate or file-vs-folder clashes. */
export function validateDirectoryFiles(files: readonly DirectoryFile[]): void {
  if (!Array.isArray(files) || files.length === 0) throw new Error("addDirectory needs at least one file");
  const paths = new Set<string>();
  for (const [index, file] of files.entries()) {
    validateRelativePath(file.path, `addDirectory file ${index}`);
    if (!(file.content instanceof Uint8Array)) throw new Error(`addDirectory file ${JSON.stringify(file.path)}: content must be a Uint8Array`);
    if (paths.has(file.path)) throw new Error(`addDirectory: duplicate path ${JSON.stringify(file.path)}`);
    paths.add(file.path);
  }
  for (const path of paths) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join("/");
      if (paths.has(prefix)) throw new Error(`addDirectory: ${JSON.stringify(prefix)} is both a file and the folder of ${JSON.stringify(path)}`);
    }
  }
}

export function validateBytes(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: expected a Uint8Array`);
}

export function resolveTimeout(timeoutMs: number | undefined): number {
  const value = timeoutMs ?? DEFAULT_CAT_TIMEOUT_MS;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  return value;
}

/** "Qm…" or "Qm…/model.json", for error messages. */
export function describeTarget(cid: string, path: string | undefined): string {
  return path === undefined ? cid : `${cid}/${path}`;
}

/**
 * Runs `work` with an abort signal that fires after `timeoutMs`, and rejects at that moment even if some layer below
 * ignores the signal, so a read can never hang forever.
 */
export async function withDeadline<T>(timeoutMs: number, onTimeout: () => Error, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const running = work(controller.signal);
  // Once the deadline wins, the abandoned work may still reject; that rejection is expected and not worth a crash.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function concatChunks(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return `${error.message}: ${error.errors.map((inner) => errorMessage(inner)).join("; ")}`;
  }
  return error instanceof Error ? error.message : String(error);
}
