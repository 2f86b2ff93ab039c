// A node's whole-snapshot fetch + apply as SnapshotSync does it (HttpSnapshotSource → worker
// parse + validate → indexInSlices → swap), against a local HTTP server in another process
// (as the control plane is: serving 27 MB from this process would stall its own loop),
// with the event loop watched throughout: its longest stall is what a request would wait.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { indexInSlices } from "../data-plane/snapshot/index-in-slices.js";
import { HttpSnapshotSource } from "../data-plane/sync/snapshot-source.js";

export interface BackgroundApply {
  /** Request sent → indexed snapshot ready to swap, ms. */
  total: number[];
  /** Longest gap between two ticks of a 1 ms interval, minus 1 ms, per repetition. */
  stall: number[];
  /** The longest such gap that no GC pause overlapped: our own work and the machine's noise. */
  stallWithoutGc: number[];
  /** The same probe for as long with nothing else running: the machine's own noise, ms. */
  idleStall: number[];
  /** Turns of the event loop given back while indexing, per repetition. */
  yields: number[];
  /** Longest GC pause that began during the fetch + apply, per repetition, ms. */
  longestGc: number[];
}

/** Serves the file at argv[1] on a free port and prints the port. */
const SERVER = `
const body = require("node:fs").readFileSync(process.argv[1]);
const server = require("node:http").createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

export async function measureBackgroundApply(
  body: Buffer,
  expectedKeys: number,
  repeats: number,
  tmpDir: string,
): Promise<BackgroundApply> {
  const file = join(tmpDir, "snapshot.json");
  writeFileSync(file, body);
  const server = spawn(process.execPath, ["-e", SERVER, file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
    server.once("exit", (code) => reject(new Error(`the snapshot server exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const source = new HttpSnapshotSource(url, "bench-token", 60_000);
  const result: BackgroundApply = {
    total: [],
    stall: [],
    stallWithoutGc: [],
    idleStall: [],
    yields: [],
    longestGc: [],
  };
  try {
    // One untimed round: the first worker also loads tsx and zod from disk.
    for (let r = 0; r <= repeats; r++) {
      const gcs: Window[] = [];
      const gc = new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          gcs.push({ start: e.startTime, end: e.startTime + e.duration });
      });
      gc.observe({ entryTypes: ["gc"] });
      const probe = startProbe();
      const t0 = performance.now();
      const { snapshot, yields } = await indexInSlices(await source.fetch());
      const total = performance.now() - t0;
      const gaps = probe.stop();
      await sleep(20);
      gc.disconnect();
      if (snapshot.keysByHash.size !== expectedKeys) throw new Error("keys lost in the apply");
      const idle = startProbe();
      await sleep(Math.min(total, 2_000));
      const idleStall = longest(idle.stop());
      if (r === 0) continue;
      result.total.push(total);
      result.stall.push(longest(gaps));
      result.stallWithoutGc.push(
        longest(gaps.filter((g) => !gcs.some((c) => c.start < g.end && c.end > g.start))),
      );
      result.idleStall.push(idleStall);
      result.yields.push(yields);
      result.longestGc.push(Math.max(0, ...gcs.map((g) => g.end - g.start)));
    }
  } finally {
    server.kill();
  }
  return result;
}

interface Window {
  start: number;
  end: number;
}

/**
 * A 1 ms interval; stop() gives every gap between its ticks that was longer than 2 ms: the
 * times the event loop could not run it.
 */
function startProbe(): { stop(): Window[] } {
  let last = performance.now();
  const gaps: Window[] = [];
  const tick = (now: number) => {
    if (now - last > 2) gaps.push({ start: last, end: now });
    last = now;
  };
  const timer = setInterval(() => tick(performance.now()), 1);
  return {
    stop() {
      clearInterval(timer);
      tick(performance.now());
      return gaps;
    },
  };
}

/** The longest gap beyond the interval's own 1 ms, ms. */
function longest(gaps: Window[]): number {
  return Math.max(0, ...gaps.map((g) => g.end - g.start - 1));
}
