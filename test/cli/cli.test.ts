import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MASTER_KEY = "sk-cli-test-master";
/** Generous: tsx compiles the CLI on every start, and CI machines may be small and busy. */
const START_TIMEOUT_MS = 45_000;
const TEST_TIMEOUT_MS = 90_000;

const GOOD_CONFIG = `
model_list:
  - model_name: fast
    litellm_params:
      model: mock/fast
general_settings:
  master_key: ${MASTER_KEY}
`;

const BROKEN_CONFIG = `
model_list:
  - model_name: no-model
    litellm_params:
      api_key: sk-x
  - model_name: bad-values
    litellm_params:
      model: openai/gpt-4o
      rpm: lots
      api_base: not a url
`;
const BROKEN_PATHS = [
  "model_list[0].litellm_params.model",
  "model_list[1].litellm_params.rpm",
  "model_list[1].litellm_params.api_base",
];

// The in-flight request takes ~1.5 s; shutdown may wait up to 20 s for it.
const SLOW_CONFIG = `
model_list:
  - model_name: slow
    litellm_params:
      model: mock/slow
      mock_ttft_ms: 1500
general_settings:
  master_key: ${MASTER_KEY}
  graceful_shutdown_timeout: 20
`;

const OPEN_CONFIG = `
model_list:
  - model_name: fast
    litellm_params:
      model: mock/fast
`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Cli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<Exit>;
}

let dir: string;
const running = new Set<Cli>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-cli-test-"));
});

afterEach(async () => {
  // Nothing outlives its test, whatever the test did or failed to do.
  for (const cli of running) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
    await cli.exited;
  }
  running.clear();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("switchyard check-config", () => {
  it(
    "accepts a good file, says OK and exits 0",
    async () => {
      const cli = runCli(["check-config", join(repoRoot, "examples", "config.yaml")]);
      const exit = await cli.exited;
      expect(exit.code, cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/OK/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "prints every error of a broken file with its path and exits 1",
    async () => {
      const cli = runCli(["check-config", await configFile("broken.yaml", BROKEN_CONFIG)]);
      const exit = await cli.exited;
      expect(exit.code).toBe(1);
      for (const path of BROKEN_PATHS) expect(cli.stderr).toContain(path);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exits 1 on a file that does not exist",
    async () => {
      const cli = runCli(["check-config", join(dir, "no-such-file.yaml")]);
      const exit = await cli.exited;
      expect(exit.code).toBe(1);
      expect(cli.stderr).toMatch(/not found/);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("switchyard --help", () => {
  it(
    "lists the check-config command",
    async () => {
      const cli = runCli(["--help"]);
      const exit = await cli.exited;
      expect(exit.code).toBe(0);
      expect(cli.stdout).toContain("check-config");
    },
    TEST_TIMEOUT_MS,
  );
});

describe("starting the gateway", () => {
  it(
    "refuses a broken config: prints every error path and exits non-zero without listening",
    async () => {
      const cli = startGateway(await configFile("broken-start.yaml", BROKEN_CONFIG));
      const exit = await cli.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      for (const path of BROKEN_PATHS) expect(cli.stdout + cli.stderr).toContain(path);
      expect(cli.stdout).not.toMatch(/Switchyard listening/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses to start on the uWebSockets.js JavaScript fallback",
    async () => {
      const cli = startGateway(await configFile("fallback.yaml", GOOD_CONFIG), {
        UWS_USE_FALLBACK: "1",
      });
      const exit = await cli.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(cli.stdout + cli.stderr).toMatch(/fallback/i);
      expect(cli.stdout).not.toMatch(/Switchyard listening/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "logs the port it picked for --port 0 and answers there",
    async () => {
      const cli = startGateway(await configFile("good.yaml", GOOD_CONFIG));
      const port = await listeningPort(cli);
      expect(port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${port}/v1/models`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { id: string }[] };
      expect(body.data.map((m) => m.id)).toEqual(["fast"]);
      cli.child.kill("SIGTERM");
      expect((await cli.exited).code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "in open mode (no master key) warns loudly and answers requests that carry no key",
    async () => {
      const cli = startGateway(await configFile("open.yaml", OPEN_CONFIG));
      const port = await listeningPort(cli);
      expect(cli.stdout).toContain("NO MASTER KEY");
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fast", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
      cli.child.kill("SIGTERM");
      expect((await cli.exited).code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("graceful shutdown", () => {
  it(
    "on SIGTERM finishes the request in flight, refuses new connections and exits 0",
    async () => {
      const cli = startGateway(await configFile("slow.yaml", SLOW_CONFIG));
      const port = await listeningPort(cli);

      const inFlight = chatRequest(port, "slow");
      // Wait until the whole request has left this process, then give the gateway a moment
      // to read it, so that SIGTERM arrives while the request is in flight.
      await inFlight.sent;
      await sleep(300);
      cli.child.kill("SIGTERM");

      const draining = await waitForLine(cli, /SIGTERM: draining/);
      expect(JSON.parse(draining)).toMatchObject({ inFlight: 1 });
      expect(await connectionError(port)).toBe("ECONNREFUSED");

      const res = await inFlight.response;
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body) as {
        object: string;
        choices: { message: { role: string; content: string }; finish_reason: string }[];
      };
      expect(body.object).toBe("chat.completion");
      expect(body.choices[0]?.message.role).toBe("assistant");
      expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
      expect(body.choices[0]?.finish_reason).toBe("stop");

      const exit = await cli.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const out = cli.stdout;
      expect(out.indexOf('"msg":"stopped"')).toBeGreaterThan(out.indexOf("SIGTERM: draining"));
    },
    TEST_TIMEOUT_MS,
  );
});

async function configFile(name: string, yaml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

function startGateway(config: string, env: NodeJS.ProcessEnv = {}): Cli {
  return runCli(["--config", config, "--port", "0", "--host", "127.0.0.1"], env);
}

let cliRuns = 0;

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_LOG_LEVEL: "info", ...env };
  // Options the CLI would otherwise read from the environment this test runs in.
  for (const name of ["PORT", "HOST", "SWITCHYARD_CONFIG"]) delete childEnv[name];
  if (env.UWS_USE_FALLBACK === undefined) delete childEnv.UWS_USE_FALLBACK;
  // A database of its own, outside the repository.
  childEnv.DATABASE_URL ??= `file:${join(tmpdir(), `switchyard-cli-${process.pid}-${++cliRuns}.db`)}`;

  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const cli: Cli = {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
  running.add(cli);
  return cli;
}

/** The first stdout line matching `pattern`; fails if the process exits or time runs out. */
async function waitForLine(cli: Cli, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void cli.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const line = cli.stdout.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (exited || Date.now() > deadline) {
      throw new Error(
        `no stdout line matching ${pattern} (${exited ? "process exited" : "timed out"})\n` +
          `stdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`,
      );
    }
    await sleep(25);
  }
}

async function listeningPort(cli: Cli): Promise<number> {
  const line = await waitForLine(cli, /Switchyard listening on http:\/\//);
  const match = /Switchyard listening on http:\/\/[^"\s]+:(\d+)/.exec(line);
  if (match?.[1] === undefined) throw new Error(`no port in: ${line}`);
  return Number(match[1]);
}

interface ChatRequest {
  /** Resolves once the whole request has been written to the socket. */
  sent: Promise<void>;
  response: Promise<{ status: number; body: string }>;
}

/** A chat request on its own connection (node:http, so that we know when it has been sent). */
function chatRequest(port: number, model: string): ChatRequest {
  const payload = JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] });
  let onSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => {
    onSent = resolve;
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/chat/completions",
        agent: false,
        headers: {
          authorization: `Bearer ${MASTER_KEY}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("finish", onSent);
    req.on("error", (err) => {
      onSent();
      reject(err);
    });
    req.end(payload);
  });
  return { sent, response };
}

/** The error code of a new TCP connection to the port, or "connected" if it was accepted. */
function connectionError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
