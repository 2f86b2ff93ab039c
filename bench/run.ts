// `npm run bench`: start the mock upstream, the floor passthrough and the Switchyard gateway,
// measure each on loopback, print a table and write bench/RESULTS.md.
//
// Env: BENCH_SECONDS (measured seconds per target and phase, default 10; 2 for a smoke run),
//      BENCH_TARGETS (comma list of direct,floor,switchyard; direct is always measured),
//      BENCH_CONNECTIONS (autocannon connections, default 50).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { killAllNow, stopAll } from "./children.js";
import { positiveNumber } from "./env.js";
import { measureAll } from "./measure.js";
import { consoleReport, markdownReport, type RunInfo } from "./report.js";
import { keepMarkedBlock, keepPropagationSection } from "./results-section.js";
import {
  buildGateway,
  startFloor,
  startGateway,
  startMock,
  TARGET_NAMES,
  type Target,
  type TargetName,
} from "./targets.js";
import { verifyTarget } from "./verify.js";

const resultsPath = new URL("./RESULTS.md", import.meta.url);
/** RESULTS.md blocks written by other benches (bench:translation, :limits, :router, :spend) or by hand. */
const SEPARATE_SECTIONS = ["translation", "limits", "router", "spend", "regressions"];
const tmpDir = mkdtempSync(join(os.tmpdir(), "switchyard-bench-"));

process.on("exit", () => {
  killAllNow();
  rmSync(tmpDir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (err: unknown) => {
    console.error(`\nbench failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);

async function main(): Promise<number> {
  const seconds = positiveNumber("BENCH_SECONDS", 10);
  const info: RunInfo = {
    date: new Date(),
    seconds,
    // Rounds of at least 2 s, so that autocannon's start and stop are a small part of each.
    rounds: Math.max(1, Math.min(5, Math.floor(seconds / 2))),
    connections: positiveNumber("BENCH_CONNECTIONS", 50),
    throughputWarmupSeconds: Math.min(2, seconds),
    latencyWarmupSeconds: Math.min(1, seconds / 2),
    loadAverage: os.loadavg(),
  };
  const wanted = selectedTargets();

  if (wanted.has("switchyard")) {
    log("building (npm run build)…");
    buildGateway();
  }
  log("starting targets…");
  const mock = await startMock();
  const targets: Target[] = [mock];
  if (wanted.has("floor")) targets.push(await startFloor(mock));
  if (wanted.has("switchyard")) targets.push(await startGateway(mock, tmpDir));
  for (const target of targets) await verifyTarget(target.name, target.origin);

  const results = await measureAll(targets, mock, info, log);
  console.log(`\n${consoleReport(results)}\n`);

  const failures = results.flatMap((r) => {
    const out: string[] = [];
    if (r.throughput.failures > 0) out.push(`${r.name} throughput: ${r.throughput.failureDetail}`);
    if (r.sequential.errors > 0) out.push(`${r.name} c=1: ${r.sequential.errors} failed requests`);
    if (r.ttft.errors > 0) out.push(`${r.name} TTFT: ${r.ttft.errors} failed requests`);
    return out;
  });
  if (failures.length > 0) {
    console.error(
      `targets returned errors; ${resultsPath.pathname} not written:\n  ${failures.join("\n  ")}`,
    );
    return 1;
  }
  // The sections other benches write (bench:propagation, bench:snapshot, bench:translation,
  // bench:router) are kept as they were.
  const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
  let fresh = keepPropagationSection(markdownReport(results, info), previous);
  // The sections other benches own.
  for (const block of SEPARATE_SECTIONS) fresh = keepMarkedBlock(fresh, previous, block);
  writeFileSync(resultsPath, fresh);
  log(`wrote ${resultsPath.pathname}`);
  return 0;
}

function selectedTargets(): Set<TargetName> {
  const raw = process.env.BENCH_TARGETS;
  if (raw === undefined || raw.trim() === "") return new Set(TARGET_NAMES);
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(TARGET_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_TARGETS: unknown ${unknown.join(", ")} (known: ${TARGET_NAMES.join(", ")})`,
    );
  }
  // direct is the baseline every "added" figure is computed against.
  return new Set<TargetName>(["direct", ...(names as TargetName[])]);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
