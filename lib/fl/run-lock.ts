import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * One run per work directory. The lock (work dir/run.lock) names the main process and, once they are up, its child
 * processes. A live owner means another run is using the directory: starting clean would delete its files from under
 * it, and resuming would start a second chain on the same state file. A dead owner (the main job was killed, e.g.
 * SIGKILL, and could not stop its children) may have left children behind; they are stopped first, Anvil with SIGINT
 * so that it writes its final state, which the resumed run then loads.
 */

const lockSchema = z.object({
  pid: z.number().int().positive(),
  children: z.array(z.object({
    pid: z.number().int().positive(),
    name: z.string(),
    signal: z.enum(["SIGINT", "SIGTERM"]),
    /** The child's command line when it was recorded (Linux), so a reused PID is never taken for it. */
    command: z.string().optional(),
  })),
});
export type RunLockContents = z.infer<typeof lockSchema>;
export type LockedChild = RunLockContents["children"][number];

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The command line of a live process, where the platform shows it (Linux), so a reused PID is never signalled. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (isAlive(pid)) {
    if (Date.now() - started > timeoutMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

export class RunLock {
  readonly #path: string;
  #contents: RunLockContents;

  private constructor(path: string, contents: RunLockContents) {
    this.#path = path;
    this.#contents = contents;
  }

  /**
   * Takes the work directory's lock for this process. Refuses when another live run holds it; stops what a dead
   * run left behind (`onStep` says so).
   */
  static async acquire(workDir: string, onStep: (step: string) => void = () => {}): Promise<RunLock> {
    const path = join(workDir, "run.lock");
    if (existsSync(path)) {
      const previous = lockSchema.safeParse((() => {
        try {
          return JSON.parse(readFileSync(path, "utf8"));
        } catch {
          return undefined;
        }
      })());
      if (previous.success && previous.data.pid !== process.pid) {
        // A live PID that runs something other than Node is a reused PID, not the run that wrote the lock.
        if (isAlive(previous.data.pid) && (commandLine(previous.data.pid) ?? "node").includes("node")) {
          throw new Error(`another run (pid ${previous.data.pid}) is using ${workDir}: stop it first (Ctrl-C in its terminal, or kill ${previous.data.pid}), or use another --work-dir`);
        }
        await stopLeftovers(previous.data.children, onStep);
      }
    }
    const lock = new RunLock(path, { pid: process.pid, children: [] });
    lock.#write();
    return lock;
  }

  /** Records the run's child processes, so a run that dies without stopping them can be cleaned up after. */
  setChildren(children: readonly Omit<LockedChild, "command">[]): void {
    this.#contents = { ...this.#contents, children: children.map((child) => ({ ...child, command: commandLine(child.pid) })) };
    this.#write();
  }

  release(): void {
    rmSync(this.#path, { force: true });
  }

  #write(): void {
    writeFileSync(this.#path, JSON.stringify(this.#contents) + "\n");
  }
}

/** A leftover is a recorded child whose PID still runs the command line recorded for it. */
async function stopLeftovers(children: readonly LockedChild[], onStep: (step: string) => void): Promise<void> {
  const running = children.filter((child) => child.command !== undefined && isAlive(child.pid) && commandLine(child.pid) === child.command);
  if (running.length === 0) return;
  onStep(`stopping ${running.length} processes the previous run left running (${running.map((child) => child.name).join(", ")})`);
  for (const child of running) process.kill(child.pid, child.signal);
  for (const child of running) {
    if (!(await waitForExit(child.pid, 5_000))) process.kill(child.pid, "SIGKILL");
  }
}
