import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { stopChildProcess } from "../process.ts";

export interface ChildHandle {
  name: string;
  process: ChildProcess;
  /** Every JSON line the child printed, in order. */
  events: Record<string, unknown>[];
  /** Resolves with the first event matching `predicate` (or rejects when the child exits first, or on timeout). */
  waitFor(predicate: (event: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  stderr(): string;
}

/** Starts a twinledger TypeScript entry point under this Node, collecting its JSON-line events. */
export function startChild(name: string, script: string, args: string[], onEvent?: (event: Record<string, unknown>) => void): ChildHandle {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<{ predicate: (event: Record<string, unknown>) => boolean; resolve: (event: Record<string, unknown>) => void }>();
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    events.push(event);
    onEvent?.(event);
    for (const waiter of waiters) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    process: child,
    events,
    stderr: () => stderr,
    waitFor(predicate, timeoutMs = 120_000) {
      const existing = events.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: timed out after ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode})\n${stderr}`));
        });
        const originalResolve = waiter.resolve;
        waiter.resolve = (event) => {
          clearTimeout(timer);
          originalResolve(event);
        };
      });
    },
    stop: (signal = "SIGTERM") => stopChildProcess(child, { signal }),
  };
}
