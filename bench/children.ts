// Child processes of the harness: started, watched until ready, and always killed at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { READY_PREFIX } from "./workload.js";

const OUTPUT_TAIL_BYTES = 8_192;

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last few KB of stdout + stderr, for error messages. */
  tail(): string;
}

const running = new Set<Child>();
let stopping = false;

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Open an IPC channel, so a child that watches `disconnect` dies with the harness. */
  ipc?: boolean;
}

export function spawnChild(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.ipc === true ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  let output = "";
  const keep = (data: Buffer): void => {
    output += data.toString("utf8");
    if (output.length > OUTPUT_TAIL_BYTES * 2) output = output.slice(-OUTPUT_TAIL_BYTES);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    tail: () => output.slice(-OUTPUT_TAIL_BYTES),
  };
  running.add(child);
  proc.once("exit", (code, signal) => {
    running.delete(child);
    if (!stopping) {
      process.stderr.write(`${name} exited unexpectedly (${code ?? signal}):\n${child.tail()}\n`);
    }
  });
  return child;
}

/** Resolves with the port a bench child prints as `LISTENING <port>`. */
export function waitForListening(child: Child, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      finish(new Error(`${child.name} did not start within ${timeoutMs} ms\n${child.tail()}`));
    }, timeoutMs);
    const onData = (data: Buffer): void => {
      seen += data.toString("utf8");
      const match = new RegExp(`^${READY_PREFIX}(\\d+)$`, "m").exec(seen);
      if (match?.[1] !== undefined) finish(undefined, Number(match[1]));
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish(
        new Error(`${child.name} exited (${code ?? signal}) before it was ready\n${child.tail()}`),
      );
    };
    function finish(err: Error | undefined, port?: number): void {
      clearTimeout(timer);
      child.process.stdout?.off("data", onData);
      child.process.off("exit", onExit);
      if (err !== undefined) reject(err);
      else resolve(port!);
    }
    child.process.stdout?.on("data", onData);
    child.process.once("exit", onExit);
  });
}

/** Polls `url` until it answers 200; fails early if the child exits. */
export async function waitForHttpOk(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${child.name} not ready after ${timeoutMs} ms (${url}: ${last})\n${child.tail()}`,
  );
}

/** SIGTERM every child, SIGKILL whatever is still there after `graceMs`. */
export async function stopAll(graceMs = 2_000): Promise<void> {
  stopping = true;
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            child.process.kill("SIGKILL");
            resolve();
          }, graceMs);
          child.process.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.process.kill("SIGTERM");
        }),
    ),
  );
}

/** Last resort from a synchronous `exit` handler. */
export function killAllNow(): void {
  stopping = true;
  for (const child of running) child.process.kill("SIGKILL");
}

/** A port free on `host` right now, for a child to listen on. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
