import type { ChildProcess } from "node:child_process";

/** Asks a child process to stop (SIGTERM by default), kills it if it is still running after `graceMs`, and waits for it to exit. */
export async function stopChildProcess(child: ChildProcess, options: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(options.signal ?? "SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.graceMs ?? 5000);
  await exited;
  clearTimeout(timer);
}
