// `npm run bench:snapshot`: what a large snapshot costs (100k keys, 1k deployments by
// default), in one process, no network: its JSON size; a full fetch + apply (the control
// plane's JSON.stringify, then a node's JSON.parse + SnapshotSchema.parse + IndexedSnapshot,
// step by step); the same as a node really does it (over local HTTP, parsed in a worker,
// indexed in slices) with the event loop's longest stall;
// the control plane's per-change work (diffSnapshots for one key; with a database, the
// buildSnapshot that precedes it); a node's one-key delta apply; and the longest event-loop
// pause while deltas are applied.
//
// Env: SCALE_KEYS (default 100000), SCALE_DEPLOYMENTS (default 1000), SCALE_DELTAS (default
//      1000), SCALE_REPEATS (full fetch + apply repetitions, default 5), SCALE_DB (sqlite |
//      postgresql | none, default sqlite: seed a throwaway database with SCALE_KEYS keys and
//      SCALE_DEPLOYMENTS deployments and time the control plane's buildSnapshot).
import { mkdtempSync, rmSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { buildSnapshot } from "../control-plane/snapshot/build-snapshot.js";
import { diffSnapshots } from "../control-plane/snapshot/diff-snapshots.js";
import { refreshSnapshot } from "../control-plane/snapshot/refresh-snapshot.js";
import { indexInSlices } from "../data-plane/snapshot/index-in-slices.js";
import { IndexedSnapshot } from "../data-plane/snapshot/indexed-snapshot.js";
import { headOf, packedSplit } from "../data-plane/snapshot/snapshot-parts.js";
import { openDatabase } from "../prisma/client.js";
import { SnapshotMessageSchema } from "../schema/bus-messages.js";
import { ConfigSchema } from "../schema/config.js";
import { type Snapshot, SnapshotSchema } from "../schema/snapshot.js";
import { type BackgroundApply, measureBackgroundApply } from "./background-apply.js";
import { type Distribution, distribution, fmt, median } from "./distribution.js";
import {
  keySecret,
  largeSnapshot,
  oneDeploymentDelta,
  oneKeyDeltas,
  type SnapshotSize,
  withOneKeyChanged,
} from "./large-snapshot.js";
import { machineLine, writeResultsPart } from "./results-section.js";
import { runDirPrefix, sweepStaleDirs } from "./stale-runs.js";
import {
  createTempDatabase,
  type DatabaseKind,
  seedDatabase,
  type TempDatabase,
} from "./temp-database.js";

const TARGETS = { fullApplyMs: 2_000, deltaApplyP99Ms: 1, pauseMs: 5 };
const DIFF_REPEATS = 10;
const BUILD_REPEATS = 3;
const REFRESH_REPEATS = 20;
const DEPLOYMENT_DELTAS = 200;
const WARMUP_DELTAS = 200;
/** Background fetch + apply repetitions (a node of its own, under a light request load). */
const BACKGROUND_REPEATS = 7;

interface Settings {
  size: SnapshotSize;
  deltas: number;
  repeats: number;
  database: DatabaseKind | "none";
}

/** Median and max over the repetitions of one step, ms. */
interface Step {
  median: number;
  max: number;
}

interface FullApply {
  bytes: number;
  stringify: Step;
  parse: Step;
  validate: Step;
  index: Step;
  /** parse + validate + index of the same repetition: what a node does without yielding. */
  nodePause: Step;
  /** stringify + node pause of the same repetition. */
  total: Step;
}

/** Durations of one kind of delta, ms. */
interface Series extends Distribution {
  /** The slowest sample that no GC pause overlapped. */
  maxWithoutGc: number;
  /** Samples that a GC pause overlapped. */
  hitByGc: number;
}

interface DeltaResults {
  /** IndexedSnapshot.applyDelta alone. */
  apply: Series;
  /** JSON.parse + SnapshotMessageSchema.safeParse + applyDelta: a node's whole handling. */
  handle: Series;
  /** A one-deployment delta (regroups the model groups), handled as above. */
  deployment: Series;
  /** Longest event-loop lateness while deltas arrived one per 1 ms timer, ms. */
  loopLatenessMs: number;
  /** The same with the timer doing nothing: the machine's own noise, ms. */
  idleLatenessMs: number;
  /** Longest garbage-collection pause during the delta measurements, ms. */
  longestGcMs: number;
  /** The first delta message a process handles (zod compiles its parser), ms. */
  firstMessageMs: number;
}

interface ControlPlaneCost {
  /** diffSnapshots for a one-key change (the publisher's fallback when a change brings no delta), ms. */
  diff: Distribution;
  /** With a seeded database (undefined without one), ms: */
  database:
    | {
        /** buildSnapshot: every row read (at start, and for a change without refs). */
        build: Step;
        /** refreshSnapshot for a one-key change: what every mutation does now. */
        refresh: Distribution;
        keys: number;
      }
    | undefined;
}

sweepStaleDirs("switchyard-snapshot-scale");
const tmpDir = mkdtempSync(runDirPrefix("switchyard-snapshot-scale"));
/** The throwaway database while one exists, so that an interrupted run still drops it. */
let database: TempDatabase | undefined;
process.on("exit", () => rmSync(tmpDir, { recursive: true, force: true }));
// `on`, not `once`: under `npx tsx` a Ctrl-C arrives twice (terminal, then relayed by tsx).
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void (database?.drop() ?? Promise.resolve())
      .catch(() => undefined)
      .finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\nbench:snapshot failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

async function main(): Promise<number> {
  const settings = readSettings();
  const machine = machineLine();
  const date = new Date();
  const { size } = settings;

  log(`building a snapshot of ${size.keys} keys, ${size.deployments} deployments…`);
  const snapshot = largeSnapshot(size);

  log(`full fetch + apply, ${settings.repeats} times…`);
  const full = measureFullApply(snapshot, settings.repeats);
  log(`  ${fmt(full.bytes / 1e6, 1)} MB, total ${fmt(full.total.median, 0)} ms`);

  log(`node: fetch + apply in the background, ${BACKGROUND_REPEATS} times…`);
  const background = await measureBackgroundApply(
    Buffer.from(JSON.stringify(snapshot)),
    size.keys,
    BACKGROUND_REPEATS,
    tmpDir,
    keySecret,
  );
  log(
    `  ${fmt(median(background.total), 0)} ms, longest stall ${fmt(median(background.stall), 1)} ms`,
  );

  log("control plane: diffSnapshots for a one-key change…");
  const cp: ControlPlaneCost = { diff: measureDiff(snapshot), database: undefined };
  if (settings.database !== "none") {
    log(`control plane: buildSnapshot + refreshSnapshot on ${settings.database} (seeding first)…`);
    cp.database = await measureDatabase(settings.database, size);
  }

  log(`node: ${settings.deltas} one-key deltas…`);
  const deltas = await measureDeltas(snapshot, size, settings.deltas);
  const heapMb = process.memoryUsage().heapUsed / 1e6;

  const report = { settings, full, background, cp, deltas, heapMb, machine, date };
  console.log(`\n${consoleReport(report)}\n`);
  const id = `snapshot-${size.keys}keys-${size.deployments}deployments`;
  const path = writeResultsPart(id, markdownPart(report));
  log(`wrote ${path} (part ${id})`);
  return 0;
}

function measureFullApply(snapshot: Snapshot, repeats: number): FullApply {
  const runs: Record<"stringify" | "parse" | "validate" | "index", number>[] = [];
  let bytes = 0;
  // One untimed round first, so that the timed ones are not the JIT's first sight of the code.
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    const text = JSON.stringify(snapshot);
    const t1 = performance.now();
    // What crosses the wire; a node decodes it from bytes (undici's body.json()).
    const body = Buffer.from(text);
    bytes = body.length;
    const t2 = performance.now();
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    const t3 = performance.now();
    const valid = SnapshotSchema.parse(parsed);
    const t4 = performance.now();
    const indexed = new IndexedSnapshot(valid);
    const t5 = performance.now();
    if (indexed.keysByHash.size !== snapshot.keys.length) throw new Error("keys lost in indexing");
    if (r > 0) runs.push({ stringify: t1 - t0, parse: t3 - t2, validate: t4 - t3, index: t5 - t4 });
  }
  const step = (f: (r: (typeof runs)[number]) => number): Step => {
    const values = runs.map(f);
    return { median: median(values), max: Math.max(...values) };
  };
  return {
    bytes,
    stringify: step((r) => r.stringify),
    parse: step((r) => r.parse),
    validate: step((r) => r.validate),
    index: step((r) => r.index),
    nodePause: step((r) => r.parse + r.validate + r.index),
    total: step((r) => r.stringify + r.parse + r.validate + r.index),
  };
}

function measureDiff(snapshot: Snapshot): Distribution {
  const times: number[] = [];
  for (let r = 0; r <= DIFF_REPEATS; r++) {
    const next = withOneKeyChanged(snapshot, (r * 7919) % snapshot.keys.length);
    const t0 = performance.now();
    const delta = diffSnapshots(snapshot, next, "key.update");
    const t1 = performance.now();
    if (delta.upsert.keys.length !== 1 || delta.remove.keys.length !== 0) {
      throw new Error(`diffSnapshots: expected one changed key, got ${delta.upsert.keys.length}`);
    }
    if (r > 0) times.push(t1 - t0);
  }
  return distribution(times);
}

/** The control plane's rebuild after every committed change, from a seeded database. */
async function measureDatabase(
  kind: DatabaseKind,
  size: SnapshotSize,
): Promise<{ build: Step; refresh: Distribution; keys: number }> {
  database = await createTempDatabase(kind, tmpDir);
  try {
    const seedStart = performance.now();
    const url = database.url;
    await seedDatabase(url, { keys: size.keys, deployments: size.deployments });
    log(`  seeded in ${fmt((performance.now() - seedStart) / 1e3, 1)} s`);
    const db = await openDatabase(url);
    try {
      const config = ConfigSchema.parse({
        model_list: [],
        general_settings: { master_key: "sk-scale-master" },
      });
      const buildTimes: number[] = [];
      let current: Snapshot | undefined;
      for (let r = 0; r <= BUILD_REPEATS; r++) {
        const t0 = performance.now();
        current = await buildSnapshot(db.prisma, config, r + 1);
        if (r > 0) buildTimes.push(performance.now() - t0);
      }
      // A change as a service makes it: the row written, then only that row reread.
      const ids = await db.prisma.virtualKey.findMany({
        select: { id: true },
        orderBy: { token: "asc" },
        take: REFRESH_REPEATS + 1,
      });
      const refreshTimes: number[] = [];
      for (const [r, { id }] of ids.entries()) {
        await db.prisma.virtualKey.update({ where: { id }, data: { rpmLimit: 10_000 + r } });
        const t0 = performance.now();
        const next = await refreshSnapshot(
          db.prisma,
          config,
          current!,
          { keys: [id] },
          "key.update",
        );
        const t1 = performance.now();
        if (
          next.delta.upsert.keys.length !== 1 ||
          next.snapshot.keys.length !== current!.keys.length
        ) {
          throw new Error("refreshSnapshot: expected one changed key and no key lost");
        }
        current = next.snapshot;
        if (r > 0) refreshTimes.push(t1 - t0);
      }
      return {
        build: { median: median(buildTimes), max: Math.max(...buildTimes) },
        refresh: distribution(refreshTimes),
        keys: current!.keys.length,
      };
    } finally {
      await db.close();
    }
  } finally {
    await database.drop();
    database = undefined;
  }
}

/**
 * One-key deltas applied to an indexed snapshot, timed alone and as a node handles a bus
 * message; then the same handling again, one delta per timer tick, with the event loop's
 * delay watched (and, as a control, the same ticks doing nothing). GC pauses are recorded
 * throughout, so that a slow sample can be told apart from a collection that hit it.
 */
async function measureDeltas(
  snapshot: Snapshot,
  size: SnapshotSize,
  count: number,
): Promise<DeltaResults> {
  const gcPauses: Window[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  gc.observe({ entryTypes: ["gc"] });

  // JIT warm-up on a small snapshot; the very first message also compiles zod's parser.
  const smallSize = { ...size, keys: 100 };
  const small = largeSnapshot(smallSize);
  const warm = await asNodeHoldsIt(small);
  const warmMessages = oneKeyDeltas(small, smallSize, WARMUP_DELTAS).map((delta) =>
    JSON.stringify({ type: "delta", delta }),
  );
  const first = timeHandling(warm, warmMessages[0]!);
  for (const text of warmMessages.slice(1)) timeHandling(warm, text);

  const deltas = oneKeyDeltas(snapshot, size, count);
  const indexed = await asNodeHoldsIt(snapshot);
  const apply: Window[] = [];
  for (const delta of deltas) {
    const start = performance.now();
    indexed.applyDelta(delta);
    apply.push({ start, end: performance.now() });
  }
  if (indexed.keysByHash.size !== size.keys + Math.ceil(count / 2)) {
    throw new Error(
      `applyDelta: expected ${size.keys + Math.ceil(count / 2)} keys after the deltas`,
    );
  }

  // The node's whole handling (bus message text → applied), on a second copy.
  const messages = deltas.map((delta) => JSON.stringify({ type: "delta", delta }));
  const node = await asNodeHoldsIt(snapshot);
  const handle = messages.map((text) => timeHandling(node, text));
  const deployment: Window[] = [];
  for (let n = 0; n < DEPLOYMENT_DELTAS; n++) {
    const delta = oneDeploymentDelta(node.version, size, n);
    deployment.push(timeHandling(node, JSON.stringify({ type: "delta", delta })));
  }

  // Deltas as they arrive in production: one per macrotask, other timers waiting behind.
  const paced = await asNodeHoldsIt(snapshot);
  const idleLatenessMs = await pacedLateness(messages.length, () => {});
  let i = 0;
  const loopLatenessMs = await pacedLateness(messages.length, () => {
    timeHandling(paced, messages[i++]!);
  });
  // Let the observer's last callback run.
  await sleep(20);
  gc.disconnect();

  const series = (windows: Window[]): Series => {
    const clean = windows.filter((w) => !gcPauses.some((g) => g.start < w.end && g.end > w.start));
    return {
      ...distribution(windows.map((w) => w.end - w.start)),
      maxWithoutGc: Math.max(0, ...clean.map((w) => w.end - w.start)),
      hitByGc: windows.length - clean.length,
    };
  };
  return {
    apply: series(apply),
    handle: series(handle),
    deployment: series(deployment),
    loopLatenessMs,
    idleLatenessMs,
    longestGcMs: Math.max(0, ...gcPauses.map((g) => g.end - g.start)),
    firstMessageMs: first.end - first.start,
  };
}

/**
 * The snapshot indexed as a node holds it after a whole fetch: keys, users and teams packed
 * (as the worker hands them over), deltas applied in front of them.
 */
async function asNodeHoldsIt(snapshot: Snapshot): Promise<IndexedSnapshot> {
  const parts = [...packedSplit(snapshot)];
  let i = 0;
  const { snapshot: indexed } = await indexInSlices({
    head: headOf(snapshot),
    next: () => parts[i++],
    close: () => undefined,
  });
  return indexed;
}

/** Runs `work` once per 1 ms timer, `ticks` times; the event loop's worst lateness, ms. */
async function pacedLateness(ticks: number, work: () => void): Promise<number> {
  const resolutionMs = 1;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  loop.enable();
  for (let t = 0; t < ticks; t++) {
    work();
    await sleep(1);
  }
  loop.disable();
  return Math.max(0, loop.max / 1e6 - resolutionMs);
}

interface Window {
  start: number;
  end: number;
}

/** SnapshotSync.onMessage's synchronous work for one delta message. */
function timeHandling(node: IndexedSnapshot, text: string): Window {
  const start = performance.now();
  const message = SnapshotMessageSchema.safeParse(JSON.parse(text));
  if (!message.success || message.data.type !== "delta") throw new Error("bad delta message");
  node.applyDelta(message.data.delta);
  return { start, end: performance.now() };
}

interface Report {
  settings: Settings;
  full: FullApply;
  background: BackgroundApply;
  cp: ControlPlaneCost;
  deltas: DeltaResults;
  heapMb: number;
  machine: string;
  date: Date;
}

function tableRows(report: Report): string[][] {
  const { full, background, cp, deltas } = report;
  const ms = (v: number) => fmt(v, v < 10 ? 3 : 1);
  const verdict = (ok: boolean) => (ok ? "yes" : "no");
  const rows: string[][] = [
    ["measured", "value", "target", "met"],
    ["snapshot JSON size", `${fmt(full.bytes / 1e6, 1)} MB`, "—", "—"],
    ["control plane: JSON.stringify (per full fetch)", `${ms(full.stringify.median)} ms`, "—", "—"],
    ["node: JSON.parse (bytes → objects)", `${ms(full.parse.median)} ms`, "—", "—"],
    ["node: SnapshotSchema.parse", `${ms(full.validate.median)} ms`, "—", "—"],
    ["node: new IndexedSnapshot", `${ms(full.index.median)} ms`, "—", "—"],
    [
      "full fetch + apply, no network (sum of the four)",
      `${ms(full.total.median)} ms (max ${ms(full.total.max)})`,
      `< ${TARGETS.fullApplyMs} ms`,
      verdict(full.total.max < TARGETS.fullApplyMs),
    ],
    [
      "node: parse + validate + index back to back (the pause before the background apply)",
      `${ms(full.nodePause.median)} ms (max ${ms(full.nodePause.max)})`,
      "—",
      "—",
    ],
    [
      `node: fetch + apply in the background (a node process refetching over HTTP from another local process: worker parse + validate + pack, swap), under load; node flags: ${background.nodeFlags || "none"}`,
      `${ms(median(background.total))} ms (max ${ms(Math.max(...background.total))})`,
      `< ${TARGETS.fullApplyMs} ms`,
      verdict(median(background.total) < TARGETS.fullApplyMs),
    ],
    [
      `node: longest event-loop stall during that fetch + apply, ${background.loadRps} req/s of \`GET /v1/models\` (p50 / max of ${background.stall.length} runs)`,
      `${ms(median(background.stall))} / ${ms(Math.max(...background.stall))} ms ` +
        `(before the swap, while the worker works: ${ms(median(background.stallBeforeSwap))} ms; ` +
        `without a GC in it ${ms(median(background.stallWithoutGc))} ms; ` +
        `longest GC in it ${ms(median(background.longestGc))} ms; ` +
        `same probe right after, no apply: ${ms(median(background.idleStall))} / ` +
        `${ms(Math.max(...background.idleStall))} ms)`,
      `≤ ${TARGETS.pauseMs} ms`,
      verdict(median(background.stall) <= TARGETS.pauseMs),
    ],
    [
      "node: slowest request during that fetch + apply, sent → answered (p50 / max of runs)",
      `${ms(median(background.slowestRequest))} / ${ms(Math.max(...background.slowestRequest))} ms ` +
        `(${background.requests} requests; right after, no apply: ` +
        `${ms(median(background.slowestRequestIdle))} / ${ms(Math.max(...background.slowestRequestIdle))} ms)`,
      "—",
      "—",
    ],
  ];
  const db = cp.database;
  if (db !== undefined) {
    rows.push(
      [
        `control plane, per mutation: refreshSnapshot, one key changed (${report.settings.database}, ${db.keys.toLocaleString("en-US")} keys)`,
        `p50 ${ms(db.refresh.p50)} ms, p99 ${ms(db.refresh.p99)} ms, max ${ms(db.refresh.max)} ms`,
        "—",
        "—",
      ],
      [
        "control plane, at start: buildSnapshot (every row read)",
        `${ms(db.build.median)} ms (max ${ms(db.build.max)})`,
        "—",
        "—",
      ],
    );
  }
  rows.push([
    "control plane, fallback only: diffSnapshots, one key changed",
    `p50 ${ms(cp.diff.p50)} ms, max ${ms(cp.diff.max)} ms`,
    "—",
    "—",
  ]);
  const slowest = Math.max(deltas.handle.max, deltas.apply.max);
  const slowestWithoutGc = Math.max(deltas.handle.maxWithoutGc, deltas.apply.maxWithoutGc);
  const dist = (d: Series) =>
    `p50 ${ms(d.p50)} ms, p99 ${ms(d.p99)} ms, max ${ms(d.max)} ms (max without a GC in it ${ms(d.maxWithoutGc)} ms)`;
  rows.push(
    [
      "node: IndexedSnapshot.applyDelta, one key",
      dist(deltas.apply),
      `p99 < ${TARGETS.deltaApplyP99Ms} ms`,
      verdict(deltas.apply.p99 < TARGETS.deltaApplyP99Ms),
    ],
    [
      "node: one-key delta message handled (JSON.parse + zod + apply)",
      dist(deltas.handle),
      `p99 < ${TARGETS.deltaApplyP99Ms} ms`,
      verdict(deltas.handle.p99 < TARGETS.deltaApplyP99Ms),
    ],
    [
      "node: one-deployment delta message handled (regroups models)",
      dist(deltas.deployment),
      "—",
      "—",
    ],
    [
      "node: slowest one-key delta (a pause: applying is synchronous)",
      `${ms(slowest)} ms (${ms(slowestWithoutGc)} ms without a GC in it; longest GC ${ms(deltas.longestGcMs)} ms)`,
      `≤ ${TARGETS.pauseMs} ms`,
      verdict(slowest <= TARGETS.pauseMs),
    ],
    [
      "node: the first delta message after start (once: zod compiles its parser)",
      `${ms(deltas.firstMessageMs)} ms`,
      "—",
      "—",
    ],
    [
      "node: event-loop lateness, deltas arriving one per 1 ms timer",
      `${ms(deltas.loopLatenessMs)} ms (same loop without deltas: ${ms(deltas.idleLatenessMs)} ms)`,
      `≤ ${TARGETS.pauseMs} ms`,
      verdict(deltas.loopLatenessMs <= TARGETS.pauseMs),
    ],
  );
  return rows;
}

function consoleReport(report: Report): string {
  const rows = tableRows(report);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")).join("\n");
}

function markdownPart(report: Report): string {
  const { settings, full, background, cp, deltas } = report;
  const { size } = settings;
  const rows = tableRows(report);
  const n = (v: number) => v.toLocaleString("en-US");
  const findings: string[] = [];
  const stall = median(background.stall);
  findings.push(
    `**Longest event-loop stall of a node during a whole-snapshot fetch + apply: ${fmt(stall, 1)} ms** ` +
      `(median of ${background.stall.length} runs, max ${fmt(Math.max(...background.stall), 1)} ms; ` +
      `the longest with no GC in it ${fmt(median(background.stallWithoutGc), 1)} ms; the same ` +
      `probe right after, under the same load with no apply: ${fmt(median(background.idleStall), 1)} ms), ` +
      `where parse + validate + index back to back took ${fmt(full.nodePause.median, 0)} ms. ` +
      "HttpSnapshotSource has a worker thread request the body (the last one was large), " +
      "parse and validate it and pack keys, users and teams " +
      "each into one ArrayBuffer (an id → JSON hash table, data-plane/snapshot/packed-entries.ts), " +
      "transferred without a copy; the main thread takes the deployments as objects, regroups " +
      "them, and swaps the snapshot in. An entry is decoded the first time a request reads it " +
      "(then kept), so the main thread never allocates 100k long-lived objects at once, which " +
      "is what made the young-generation collector pause it for 10–100 ms before. " +
      `End to end it takes ${fmt(median(background.total), 0)} ms. The slowest request during ` +
      `an apply took ${fmt(median(background.slowestRequest), 1)} ms (median over runs) against ` +
      `${fmt(median(background.slowestRequestIdle), 1)} ms right after.`,
  );
  if (full.total.max >= TARGETS.fullApplyMs) {
    findings.push(
      `Full fetch + apply took ${fmt(full.total.max, 0)} ms at worst, over the ${TARGETS.fullApplyMs} ms target.`,
    );
  }
  findings.push(
    `The control plane serialises the whole snapshot once per version (\`GET /internal/snapshot\` ` +
      `caches the JSON for further fetches of that version): ${fmt(full.stringify.median, 0)} ms ` +
      `of its event loop at ${n(size.keys)} keys, during which GraphQL, REST and mutations wait.`,
  );
  if (cp.database !== undefined) {
    findings.push(
      `Per mutation the control plane now rereads only the touched rows (refreshSnapshot), ` +
        `but its in-memory work is still O(all keys): every list is filtered and copied into the ` +
        `next snapshot. ${fmt(cp.database.refresh.p50, 1)} ms p50, ${fmt(cp.database.refresh.p99, 1)} ms ` +
        `p99 for a one-key change at ${n(cp.database.keys)} keys; ControlPlane.changed is ` +
        `serialised, so that caps the control plane near ${fmt(1_000 / cp.database.refresh.p50, 0)} ` +
        "mutations/s at this scale and is most of a mutation's latency (see the seeded propagation " +
        "run). The full rebuild " +
        `(${fmt(cp.database.build.median, 0)} ms from ${settings.database}) and diffSnapshots ` +
        `(${fmt(cp.diff.p50, 0)} ms: it JSON.stringify's every entry of both snapshots) are ` +
        "off the per-mutation path; a change that ever reaches them (one without refs, or the " +
        "publisher's fallback) costs that much and holds up every mutation behind it.",
    );
  } else {
    findings.push(
      `diffSnapshots (the publisher's fallback when a change brings no delta) takes ` +
        `${fmt(cp.diff.p50, 0)} ms for a one-key change at ${n(size.keys)} keys: it ` +
        "JSON.stringify's every entry of both snapshots.",
    );
  }
  const slowest = Math.max(deltas.handle.max, deltas.apply.max);
  const slowestWithoutGc = Math.max(deltas.handle.maxWithoutGc, deltas.apply.maxWithoutGc);
  if (slowest > TARGETS.pauseMs || deltas.loopLatenessMs > TARGETS.pauseMs) {
    findings.push(
      `Pauses over ${TARGETS.pauseMs} ms while applying deltas: the slowest one-key delta took ` +
        `${fmt(slowest, 1)} ms, but the slowest that no GC pause overlapped took ` +
        `${fmt(slowestWithoutGc, 2)} ms (${deltas.apply.hitByGc + deltas.handle.hitByGc} of ` +
        `${deltas.apply.count + deltas.handle.count} samples had a GC in them; longest GC ` +
        `${fmt(deltas.longestGcMs, 1)} ms). Event-loop lateness with deltas arriving was ` +
        `${fmt(deltas.loopLatenessMs, 1)} ms against ${fmt(deltas.idleLatenessMs, 1)} ms for the ` +
        "same loop doing nothing (the machine's own noise, in the same run).",
    );
  }
  return [
    `### Snapshot at scale: ${n(size.keys)} keys, ${n(size.deployments)} deployments`,
    "",
    `One run of \`npm run bench:snapshot\` on ${report.date.toISOString()}. Machine: ${report.machine}.`,
    "",
    `| ${rows[0]!.join(" | ")} |`,
    "|---|---|---|---|",
    ...rows.slice(1).map((r) => `| ${r.join(" | ")} |`),
    "",
    ...findings.map((f) => `- ${f}`),
    "- How: one deterministic `Snapshot` built in memory (bench/large-snapshot.ts: " +
      `${n(size.keys)} keys with hashes, limits, budgets, user/team links; ${n(size.deployments)} ` +
      `openai deployments over ${size.modelNames} model names; ${n(size.users)} users; ` +
      `${n(size.teams)} teams), no network. Full fetch + apply: median (and max) of ` +
      `${settings.repeats} repetitions after one untimed, each step timed with performance.now(). ` +
      `diffSnapshots: ${DIFF_REPEATS} one-key changes. Deltas: ${n(settings.deltas)} one-key deltas ` +
      `(alternately a new key and a changed key, chained by version), after ${WARMUP_DELTAS} ` +
      "untimed ones on a small snapshot (JIT warm-up), applied in a loop to a copy indexed as a " +
      "node holds it after a whole fetch (keys, users and teams packed, deltas in front), then " +
      "handled as SnapshotSync does (JSON.parse + SnapshotMessageSchema.safeParse + applyDelta) " +
      "on a second copy, then again one per 1 ms timer on a third copy with " +
      "`monitorEventLoopDelay` (1 ms resolution; lateness = max − 1 ms), and the same timer loop " +
      "without deltas as a control. GC pauses come from a `PerformanceObserver` ('gc'); a " +
      'sample "with a GC in it" overlapped one. ' +
      `Background fetch + apply (bench/background-apply.ts, bench/apply-node.ts): ` +
      `${BACKGROUND_REPEATS} runs after one untimed; a data-plane node (cli/data-plane-node.ts, ` +
      "in-process bus) in a process of its own, booted from a local HTTP server in a third " +
      "process, is made to refetch by a version beat it does not have; the bench sends it " +
      `\`GET /v1/models\` with a different valid key every ${fmt(1_000 / background.loadRps, 0)} ms on one kept-alive ` +
      "connection throughout; the node's 1 ms interval probe runs from the beat until 100 ms " +
      "after the swap (what the collector does after it counts), then as long again with no " +
      "apply as a control. " +
      (cp.database === undefined
        ? ""
        : `Database: a throwaway ${settings.database} database seeded with ${n(size.keys)} keys ` +
          `and ${n(size.deployments)} deployments; buildSnapshot median of ${BUILD_REPEATS} after ` +
          `one untimed; refreshSnapshot: ${REFRESH_REPEATS} one-key changes (row updated, then ` +
          "timed from the reread to the next snapshot and its delta), after one untimed. ") +
      `Heap in use at the end: ${fmt(report.heapMb, 0)} MB (three indexed copies and the source).`,
  ].join("\n");
}

function readSettings(): Settings {
  const keys = count("SCALE_KEYS", 100_000, 1);
  const deployments = count("SCALE_DEPLOYMENTS", 1_000, 1);
  const database = process.env.SCALE_DB ?? "sqlite";
  if (database !== "sqlite" && database !== "postgresql" && database !== "none") {
    throw new Error("SCALE_DB must be sqlite, postgresql or none");
  }
  return {
    size: {
      keys,
      deployments,
      users: Math.max(1, Math.round(keys / 10)),
      teams: Math.max(1, Math.round(keys / 100)),
      modelNames: Math.max(1, Math.round(deployments / 10)),
    },
    deltas: count("SCALE_DELTAS", 1_000, 2),
    repeats: count("SCALE_REPEATS", 5, 1),
    database,
  };
}

function count(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min}`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
