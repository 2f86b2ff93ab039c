// Leftovers of bench runs that were killed before they could clean up (under `npx tsx`, a
// Ctrl-C while the event loop is busy ends in SIGKILL from tsx): temp dirs and Postgres
// databases carry the run's pid in their name, and those whose process is gone are removed.
import { readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

/** A temp dir name for this run: `<prefix>-<pid>-XXXXXX` once mkdtemp has added its suffix. */
export function runDirPrefix(prefix: string): string {
  return join(os.tmpdir(), `${prefix}-${process.pid}-`);
}

/** Removes `<prefix>-<pid>-*` temp dirs whose process no longer runs. */
export function sweepStaleDirs(prefix: string): void {
  const pattern = new RegExp(`^${prefix}-(\\d+)-`);
  for (const name of readdirSync(os.tmpdir())) {
    const pid = pattern.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) {
      rmSync(join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
