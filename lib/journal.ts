import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from "node:fs";
import { dirname } from "node:path";

/**
 * An append-only journal of JSON records, one per line, fsynced before `append` returns: an update the oracle
 * acknowledged survives a SIGKILL. A torn last line (a crash mid-write) is ignored on replay. The oracle's
 * accepted updates and a gateway's buffered windows both live in one.
 */
export class Journal<RecordT> {
  readonly #path: string;
  #fd: number;

  private constructor(path: string, fd: number) {
    this.#path = path;
    this.#fd = fd;
  }

  static open<RecordT>(path: string): { journal: Journal<RecordT>; records: RecordT[] } {
    mkdirSync(dirname(path), { recursive: true });
    const records: RecordT[] = [];
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
          records.push(JSON.parse(line) as RecordT);
        } catch {
          // A torn final line from a crash mid-append: that record was never acknowledged.
        }
      }
    }
    return { journal: new Journal<RecordT>(path, openSync(path, "a")), records };
  }

  append(record: RecordT): void {
    this.appendMany([record]);
  }

  /** Appends several records with one write and one fsync (group commit). */
  appendMany(records: readonly RecordT[]): void {
    if (records.length === 0) return;
    writeSync(this.#fd, records.map((record) => JSON.stringify(record) + "\n").join(""));
    fsyncSync(this.#fd);
  }

  /**
   * Replaces the journal's contents with `records` (compaction): written to a side file, fsynced, then renamed
   * over the journal, so a crash leaves either the old journal or the new one, never a mix.
   */
  rewrite(records: readonly RecordT[]): void {
    const sidePath = `${this.#path}.compact`;
    const side = openSync(sidePath, "w");
    try {
      if (records.length > 0) writeSync(side, records.map((record) => JSON.stringify(record) + "\n").join(""));
      fsyncSync(side);
    } finally {
      closeSync(side);
    }
    renameSync(sidePath, this.#path);
    closeSync(this.#fd);
    this.#fd = openSync(this.#path, "a");
  }

  get path(): string {
    return this.#path;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
