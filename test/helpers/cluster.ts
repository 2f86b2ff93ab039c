import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

/**
 * Distributed mode as real processes: a control plane, data-plane nodes and a private
 * redis-server, each a child of the test process, each killed by `stop()` (and, should the
 * test process die first, on its exit).
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** tsx compiles the CLI at every start; a shared 2-core box may take a while. */
export const START_TIMEOUT_MS = 45_000;
/** After SIGTERM, how long a process has to drain before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Log kept per process for failure messages (the tail is what matters). */
const MAX_LOG_CHARS = 200_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output kept, for readiness lines and failure messages. */
export class ManagedProcess {
  readonly exited: Promise<Exit>;
  private out = "";
  private err = "";
  private exit: Exit | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.out = keepTail(this.out + chunk);
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.err = keepTail(this.err + chunk);
    });
    this.exited = new Promise<Exit>((resolve) => {
      child.on("close", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      // A process that could not be spawned at all never emits "close" with an exit code.
      child.on("error", (error) => {
        this.err += `\nspawn failed: ${error.message}`;
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get stdout(): string {
    return this.out;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The first stdout line matching `pattern`; rejects if the process exits or time runs out. */
  async waitForLine(pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.out.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (!this.running || Date.now() > deadline) {
        throw new Error(
          `${this.name}: no output line matching ${pattern} (${this.running ? "timed out" : `exited ${JSON.stringify(this.exit)}`})\n${this.describe()}`,
        );
      }
      await sleep(25);
    }
  }

  /** SIGKILL, at once; resolves when it is gone. */
  kill(): Promise<Exit> {
    if (this.running) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it is still there after `timeoutMs`. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The tail of its output, for a failure message. */
  describe(chars = 4_000): string {
    return `--- ${this.name} stdout (tail) ---\n${this.out.slice(-chars)}\n--- ${this.name} stderr (tail) ---\n${this.err.slice(-chars)}`;
  }
}

/** Every child still running: killed if the test process exits with them still there. */
const live = new Set<ManagedProcess>();
process.once("exit", () => {
  for (const p of live) p.child.kill("SIGKILL");
});

/** A port free on 127.0.0.1 right now (the OS picks it; a race is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Calls `check` until it resolves (returning how long that took, in ms) or `timeoutMs` has
 * passed (then throws its last error, with `what` and the time waited).
 */
export async function eventually(
  what: string,
  check: () => Promise<unknown> | unknown,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await check();
      return Math.round(performance.now() - started);
    } catch (err) {
      const waited = performance.now() - started;
      if (waited >= timeoutMs) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`${what}: not so after ${Math.round(waited)} ms: ${reason}`);
      }
    }
    await sleep(intervalMs);
  }
}

// --- Redis -------------------------------------------------------------------------------

/** Why a private redis-server cannot be started here (undefined = it can). */
export function redisServerUnavailable(): string | undefined {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8", timeout: 5_000 });
  if (probe.error !== undefined) return `redis-server not runnable: ${probe.error.message}`;
  if (probe.status !== 0) return `redis-server --version exited ${probe.status}`;
  return undefined;
}

/** A redis-server of the test's own, that it may kill and bring back on the same port. */
export class PrivateRedis {
  private process: ManagedProcess | undefined;

  private constructor(
    readonly port: number,
    /** Keeps an append-only file here, fsynced at every write (survives a SIGKILL). */
    private readonly persistDir?: string,
  ) {}

  /** Starts one on a free port (another port if that one was taken meanwhile). */
  static async start(options: { persistDir?: string } = {}): Promise<PrivateRedis> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const redis = new PrivateRedis(await freePort(), options.persistDir);
      try {
        await redis.restart();
        return redis;
      } catch (err) {
        lastError = err;
        await redis.stop();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts it on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.process?.running) throw new Error("private Redis is already running");
    const child = spawn(
      "redis-server",
      [
        ...["--port", String(this.port), "--bind", "127.0.0.1", "--save", ""],
        ...(this.persistDir === undefined
          ? ["--appendonly", "no"]
          : ["--appendonly", "yes", "--appendfsync", "always", "--dir", this.persistDir]),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.process = new ManagedProcess(`redis-server :${this.port}`, child);
    await this.process.waitForLine(/Ready to accept connections/, 15_000);
  }

  /** SIGKILL: an outage, not a shutdown (clients see their connections reset). */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  async stop(): Promise<void> {
    await this.process?.kill();
  }
}

// --- Switchyard processes ----------------------------------------------------------------

export interface ClusterOptions {
  /** The config file (YAML) the control plane reads. */
  configYaml: string;
  /** The control plane's database (DATABASE_URL). */
  databaseUrl: string;
  redisUrl: string;
}

/** A started control plane or data-plane node. */
export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:PORT (no /v1). */
  readonly origin: string;
  readonly process: ManagedProcess;
}

/**
 * One control plane and any number of data-plane nodes sharing a database and a Redis, on a
 * bus prefix of their own (so that test files sharing a Redis do not hear each other).
 */
export class Cluster {
  readonly busPrefix = `test-${randomBytes(6).toString("hex")}:`;
  readonly nodeToken = `node-token-${randomBytes(12).toString("hex")}`;
  private readonly processes = new Set<ManagedProcess>();
  private dir: string | undefined;
  private controlPlanePort: number | undefined;

  constructor(private readonly options: ClusterOptions) {}

  /** The control plane's origin; its port stays the same across restarts. */
  get controlPlaneOrigin(): string {
    if (this.controlPlanePort === undefined) throw new Error("control plane never started");
    return `http://127.0.0.1:${this.controlPlanePort}`;
  }

  /** Starts the control plane (on the port it had, when started again); resolves once it listens. */
  async startControlPlane(extraArgs: readonly string[] = []): Promise<ServerProcess> {
    this.dir ??= await mkdtemp(join(tmpdir(), "switchyard-cluster-"));
    const config = join(this.dir, "config.yaml");
    await writeFile(config, this.options.configYaml);
    this.controlPlanePort ??= await freePort();
    const port = this.controlPlanePort;
    const process = this.spawnCli(
      "control-plane",
      [
        "control-plane",
        ...["--config", config, "--port", String(port), "--host", "127.0.0.1"],
        ...["--redis", this.options.redisUrl, "--node-token", this.nodeToken],
        ...["--bus-prefix", this.busPrefix],
        ...extraArgs,
      ],
      { DATABASE_URL: this.options.databaseUrl },
    );
    await process.waitForLine(/"msg":"Switchyard control plane listening on http:\/\//);
    return { name: "control-plane", port, origin: `http://127.0.0.1:${port}`, process };
  }

  /**
   * Starts another control plane beside the first (same database, Redis and bus prefix),
   * on a port of its own; nodes keep fetching from the first.
   */
  async startPeerControlPlane(name: string): Promise<ServerProcess> {
    this.dir ??= await mkdtemp(join(tmpdir(), "switchyard-cluster-"));
    const config = join(this.dir, "config.yaml");
    await writeFile(config, this.options.configYaml);
    const port = await freePort();
    const process = this.spawnCli(
      name,
      [
        "control-plane",
        ...["--config", config, "--port", String(port), "--host", "127.0.0.1"],
        ...["--redis", this.options.redisUrl, "--node-token", this.nodeToken],
        ...["--bus-prefix", this.busPrefix],
      ],
      { DATABASE_URL: this.options.databaseUrl },
    );
    await process.waitForLine(/"msg":"Switchyard control plane listening on http:\/\//);
    return { name, port, origin: `http://127.0.0.1:${port}`, process };
  }

  /** Starts a data-plane node; resolves once it listens (it has its first snapshot by then). */
  async startNode(nodeId: string, redisUrl = this.options.redisUrl): Promise<ServerProcess> {
    this.dir ??= await mkdtemp(join(tmpdir(), "switchyard-cluster-"));
    const port = await freePort();
    const process = this.spawnCli(nodeId, [
      "data-plane",
      ...["--port", String(port), "--host", "127.0.0.1"],
      ...["--control-plane", this.controlPlaneOrigin, "--redis", redisUrl],
      ...["--node-token", this.nodeToken, "--bus-prefix", this.busPrefix, "--node-id", nodeId],
      // Spend waits here while Redis is down (one file per node, kept across its restarts).
      ...["--spend-spool", join(this.dir, `spend-spool-${nodeId}.jsonl`)],
    ]);
    await process.waitForLine(/"msg":"Switchyard data-plane node listening on http:\/\//);
    return { name: nodeId, port, origin: `http://127.0.0.1:${port}`, process };
  }

  /** The output of every process started, for a failure message. */
  describe(): string {
    return [...this.processes].map((p) => p.describe(2_000)).join("\n");
  }

  /** Stops every process it started (SIGTERM, then SIGKILL), and removes its files. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop()));
    this.processes.clear();
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }

  private spawnCli(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_LOG_LEVEL: "info", ...env };
    // Options the CLI would otherwise take from the environment this test runs in.
    for (const key of ["PORT", "HOST", "REDIS_URL", "SWITCHYARD_CONFIG"]) delete childEnv[key];
    for (const key of Object.keys(childEnv)) {
      if (key.startsWith("SWITCHYARD_") && key !== "SWITCHYARD_LOG_LEVEL") delete childEnv[key];
    }
    if (env.DATABASE_URL === undefined) delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
      cwd: repoRoot,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const managed = new ManagedProcess(name, child);
    this.processes.add(managed);
    return managed;
  }
}

/** What a cluster suite runs on: a PostgreSQL database, a Redis and the processes over them. */
export interface ClusterServices {
  db: TestDatabase;
  redis: PrivateRedis;
  cluster: Cluster;
}

/** A fresh database (named after `dbPrefix`), a private Redis, and a Cluster using both. */
export async function startClusterServices(
  dbPrefix: string,
  configYaml: string,
  redisOptions: { persistDir?: string } = {},
): Promise<ClusterServices> {
  const db = await createTestDatabase(dbPrefix);
  let redis: PrivateRedis;
  try {
    redis = await PrivateRedis.start(redisOptions);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    db,
    redis,
    cluster: new Cluster({ configYaml, databaseUrl: db.url, redisUrl: redis.url }),
  };
}

/** Runs `start` (starting processes); a failure carries every process's output. */
export async function startingProcesses<T>(cluster: Cluster, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${cluster.describe()}`);
  }
}

/** Stops the processes, then Redis, then drops the database; each step runs even when the one before failed. */
export async function stopClusterServices(services: Partial<ClusterServices>): Promise<void> {
  try {
    await services.cluster?.stop();
  } finally {
    try {
      await services.redis?.stop();
    } finally {
      await services.db?.drop();
    }
  }
}

function keepTail(text: string): string {
  return text.length > MAX_LOG_CHARS ? text.slice(-MAX_LOG_CHARS) : text;
}

/**
 * Declares `suite` when the services it needs are here (`unavailable` undefined); else it
 * fails in CI, where they are part of the job, and is skipped with the reason locally.
 */
export function describeWhenAvailable(
  title: string,
  unavailable: string | undefined,
  suite: () => void,
): void {
  if (unavailable === undefined) {
    describe(title, suite);
  } else if (process.env.CI === "true") {
    it(`${title}: redis-server and PostgreSQL are required in CI`, () => {
      expect.fail(unavailable);
    });
  } else {
    console.warn(`skipping "${title}": ${unavailable}`);
    describe.skip(`${title} (skipped: ${unavailable})`, () => {
      it("runs the suite", () => {});
    });
  }
}
