import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from "node:fs";
import { dirname } from "node:path";

/**
 * An append-only journal of JSON records, one per line, fsynced before `append` returns: an update the oracle
 * acknowledged survives a SIGKILL. A torn last line (a crash mid-write) is ignored on replay.
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
    writeSync(this.#fd, JSON.stringify(record) + "\n");
    fsyncSync(this.#fd);
  }

  get path(): string {
    return this.#path;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
