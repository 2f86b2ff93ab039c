// A node's whole-snapshot fetch + apply as it really runs: a data-plane node in a process of
// its own (bench/apply-node.ts: cli/data-plane-node, SnapshotSync, HttpSnapshotSource →
// worker parse + validate + pack → indexInSlices → swap) refetching from a local HTTP
// server in another process (as the control plane is), while this process sends it a light
// request load. The node reports its event loop's longest stall; the load, the longest a
// request waited. The node runs from source under tsx (its worker too); to run it as built
// instead, compile bench/apply-node.ts and bench/large-snapshot.ts next to `npm run build`'s
// dist/ (e.g. `npx esbuild bench/apply-node.ts bench/large-snapshot.ts --outdir=dist/bench
// --format=esm --platform=node`) and set APPLY_NODE_SCRIPT=dist/bench/apply-node.js.
// APPLY_NODE_FLAGS replaces the node's Node/V8 flags (default: --v8-pool-size=1, as
// docker-compose.yml runs nodes; e.g. "" for Node's defaults, or --trace-gc).
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { ApplyRun, NodeMessage } from "./apply-node.js";

export interface BackgroundApply {
  /** Refetch started → new snapshot swapped in, ms, per repetition. */
  total: number[];
  /** Longest gap between two ticks of a 1 ms interval in the node, minus 1 ms. */
  stall: number[];
  /** The longest such gap that ended over 10 ms before the swap (the worker's part). */
  stallBeforeSwap: number[];
  /** The longest such gap that no GC pause overlapped: our own work and the machine's noise. */
  stallWithoutGc: number[];
  /** The same probe right after, for as long, under the same load: the machine's own noise. */
  idleStall: number[];
  /** Longest GC pause that began during the fetch + apply, ms. */
  longestGc: number[];
  /** Slowest request answered during the apply (sent → answered, ms). */
  slowestRequest: number[];
  /** The same with no apply running (the idle probe's window). */
  slowestRequestIdle: number[];
  /** Requests answered during the applies, in all. */
  requests: number;
  /** Requests per second the load aims at. */
  loadRps: number;
  /** The Node flags the node ran with. */
  nodeFlags: string;
}

/** How docker-compose.yml runs a data-plane node (see the README on --v8-pool-size). */
const NODE_FLAGS = "--v8-pool-size=1";

/** One request each LOAD_INTERVAL_MS on one kept-alive connection: a light, steady load. */
const LOAD_INTERVAL_MS = 5;

/** Serves the file at argv[1] on a free port and prints the port. */
const SERVER = `
const body = require("node:fs").readFileSync(process.argv[1]);
const server = require("node:http").createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/**
 * `keySecrets(i)` gives a valid key to send with requests (the load rotates over many, so
 * that the node decodes entries of the snapshot it just swapped in).
 */
export async function measureBackgroundApply(
  body: Buffer,
  expectedKeys: number,
  repeats: number,
  tmpDir: string,
  keySecret: (i: number) => string,
): Promise<BackgroundApply> {
  const file = join(tmpDir, "snapshot.json");
  writeFileSync(file, body);
  const nodeFlags = process.env.APPLY_NODE_FLAGS ?? NODE_FLAGS;
  const server = spawn(process.execPath, ["-e", SERVER, file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let node: ChildProcess | undefined;
  let pool: Pool | undefined;
  try {
    const port = await new Promise<string>((resolve, reject) => {
      server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
      server.once("exit", (code) => reject(new Error(`the snapshot server exited (${code})`)));
    });
    const child = spawn(
      process.execPath,
      [
        ...nodeFlags.split(" ").filter(Boolean),
        ...(process.env.APPLY_NODE_SCRIPT !== undefined
          ? [process.env.APPLY_NODE_SCRIPT]
          : ["--import", "tsx", new URL("./apply-node.ts", import.meta.url).pathname]),
        `http://127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    node = child;
    const messages: NodeMessage[] = [];
    let wake: (() => void) | undefined;
    child.on("message", (m: NodeMessage) => {
      messages.push(m);
      wake?.();
    });
    const next = async <T extends NodeMessage["type"]>(type: T) => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0] as Extract<NodeMessage, { type: T }>;
        if (child.exitCode !== null) throw new Error(`the node exited (${child.exitCode})`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1_000).unref();
        });
      }
    };
    const ready = await next("ready");
    pool = new Pool(`http://127.0.0.1:${ready.port}`, { connections: 1, pipelining: 1 });
    const load = startLoad(pool, keySecret, expectedKeys);
    const result: BackgroundApply = {
      total: [],
      stall: [],
      stallBeforeSwap: [],
      stallWithoutGc: [],
      idleStall: [],
      longestGc: [],
      slowestRequest: [],
      slowestRequestIdle: [],
      requests: 0,
      loadRps: 1_000 / LOAD_INTERVAL_MS,
      nodeFlags,
    };
    await sleep(500);
    // One untimed round first: the first worker also loads tsx and zod from disk.
    for (let r = 0; r <= repeats; r++) {
      const start = performance.now();
      child.send({ type: "apply" });
      const { run } = await next("applied");
      const applyEnd = start + run.total;
      const reportedAt = performance.now();
      if (run.keys !== expectedKeys) throw new Error(`keys lost in the apply: ${run.keys}`);
      if (r === 0) continue;
      const during = load.between(start, applyEnd);
      const idle = load.between(applyEnd + 20, reportedAt);
      record(result, run, during, idle);
    }
    load.stop();
    if (load.failures > 0) throw new Error(`${load.failures} requests failed during the applies`);
    return result;
  } finally {
    node?.kill();
    server.kill();
    await pool?.close();
  }
}

function record(result: BackgroundApply, run: ApplyRun, during: number[], idle: number[]): void {
  result.total.push(run.total);
  result.stall.push(run.stall);
  result.stallBeforeSwap.push(run.stallBeforeSwap);
  result.stallWithoutGc.push(run.stallWithoutGc);
  result.idleStall.push(run.idleStall);
  result.longestGc.push(run.longestGc);
  result.slowestRequest.push(Math.max(0, ...during));
  result.slowestRequestIdle.push(Math.max(0, ...idle));
  result.requests += during.length;
}

/** Sends `GET /v1/models` with a different valid key each time, one per interval. */
function startLoad(pool: Pool, keySecret: (i: number) => string, keys: number) {
  const samples: { sent: number; ms: number }[] = [];
  let failures = 0;
  let stopped = false;
  let n = 0;
  void (async () => {
    while (!stopped) {
      const secret = keySecret((n++ * 7919) % keys);
      const sent = performance.now();
      try {
        const res = await pool.request({
          path: "/v1/models",
          method: "GET",
          headers: { authorization: `Bearer ${secret}` },
        });
        await res.body.dump();
        if (res.statusCode !== 200) failures++;
      } catch {
        failures++;
      }
      samples.push({ sent, ms: performance.now() - sent });
      await sleep(Math.max(0, LOAD_INTERVAL_MS - (performance.now() - sent)));
    }
  })();
  return {
    get failures() {
      return failures;
    },
    /** Latencies of the requests sent between `from` and `to`. */
    between: (from: number, to: number) =>
      samples.filter((s) => s.sent >= from && s.sent <= to).map((s) => s.ms),
    stop: () => {
      stopped = true;
    },
  };
}
