// `npm run bench:propagation`: how long a committed change takes to reach every data-plane
// node. Starts a control plane and N nodes (distributed mode, Redis bus, loopback), then,
// change after change, generates a key with `POST /key/generate` and polls every node with
// the new key (`GET /v1/models`) until it answers 200 instead of 401.
//
// Env: PROPAGATION_CHANGES (measured changes, default 200), PROPAGATION_WARMUP (default 10),
//      PROPAGATION_NODES (default 2), PROPAGATION_DATABASE (sqlite | postgresql, default
//      sqlite; Postgres on BENCH_POSTGRES_URL, a database of its own created and dropped),
//      PROPAGATION_SEED_KEYS / PROPAGATION_SEED_DEPLOYMENTS (rows inserted before the control
//      plane starts, default 0), PROPAGATION_POLL_MS (pause between polls, default 1),
//      REDIS_URL (default redis://127.0.0.1:6379).
import { mkdtempSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { IndexedSnapshot } from "../data-plane/snapshot/indexed-snapshot.js";
import { SnapshotSchema } from "../schema/snapshot.js";
import { killAllNow, stopAll } from "./children.js";
import { type Cluster, snapshotVersion, startCluster } from "./cluster.js";
import { type Distribution, distribution, fmt, median } from "./distribution.js";
import { machineLine, writeResultsPart } from "./results-section.js";
import { runDirPrefix, sweepStaleDirs } from "./stale-runs.js";
import {
  createTempDatabase,
  type DatabaseKind,
  seedDatabase,
  type TempDatabase,
} from "./temp-database.js";
import { MASTER_KEY } from "./workload.js";

const TARGET_P99_MS = 50;
/** A change not seen on every node within this long counts as lost. */
const CHANGE_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 120_000;
const FULL_FETCHES = 3;

interface Settings {
  changes: number;
  warmup: number;
  nodes: number;
  database: DatabaseKind;
  seedKeys: number;
  seedDeployments: number;
  pollMs: number;
  redisUrl: string;
}

/** One change, times in ms (performance.now()). */
interface ChangeSample {
  /** Request sent → response headers in (the mutation's own latency). */
  mutationMs: number;
  /** Max over nodes of response in → change seen (negative: seen before the response). */
  fromResponseMs: number;
  /** Max over nodes of request sent → change seen. */
  fromStartMs: number;
  /** Max over nodes of row written (the response's `updated_at`) → change seen. */
  fromWriteMs: number;
  /** Request sent → row written. */
  toWriteMs: number;
  /** Row written → response in: the rebuild, diff, publish and answer after the write. */
  writeToResponseMs: number;
  /** Max over nodes of (change seen − last poll without it sent): how coarse the poll was. */
  bracketMs: number;
  /** Every node already had the change at its first poll. */
  atFirstPoll: boolean;
}

/** The samples of one kind of change. */
interface Phase {
  samples: ChangeSample[];
  lost: number;
}

interface FullFetch {
  bytes: number;
  keys: number;
  fetchMs: number;
  applyMs: number;
}

sweepStaleDirs("switchyard-propagation");
const tmpDir = mkdtempSync(runDirPrefix("switchyard-propagation"));
let database: TempDatabase | undefined;

process.on("exit", () => {
  killAllNow();
  rmSync(tmpDir, { recursive: true, force: true });
});
// `on`, not `once`: under `npx tsx` a Ctrl-C arrives twice (from the terminal and relayed by
// tsx), and a second, unhandled SIGINT would kill the process before the database is dropped.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await cleanUp();
    process.exit(0);
  },
  async (err: unknown) => {
    console.error(
      `\nbench:propagation failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    await cleanUp();
    process.exit(1);
  },
);

async function main(): Promise<void> {
  const settings = readSettings();
  const machine = machineLine();
  const date = new Date();

  database = await createTempDatabase(settings.database, tmpDir);
  const seeded = settings.seedKeys + settings.seedDeployments > 0;
  if (seeded) {
    log(`seeding ${settings.seedKeys} keys, ${settings.seedDeployments} deployments…`);
  }
  const seedStart = performance.now();
  await seedDatabase(database.url, {
    keys: settings.seedKeys,
    deployments: settings.seedDeployments,
  });
  if (seeded) log(`seeded in ${fmt((performance.now() - seedStart) / 1e3, 1)} s`);

  log(`starting a control plane and ${settings.nodes} data-plane nodes (${settings.database})…`);
  const cluster = await startCluster({
    tmpDir,
    databaseUrl: database.url,
    redisUrl: settings.redisUrl,
    nodes: settings.nodes,
    startTimeoutMs: START_TIMEOUT_MS,
  });

  const cp = new Pool(cluster.controlPlane.origin, { connections: 1, keepAliveTimeout: 60_000 });
  const nodes = cluster.nodes.map(
    (n) => new Pool(n.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 }),
  );
  const generate: Phase = { samples: [], lost: 0 };
  const blocking: Phase = { samples: [], lost: 0 };
  let fullFetch: FullFetch;
  try {
    fullFetch = await measureFullFetch(cp, cluster.nodeToken);
    log(
      `full snapshot over HTTP: ${fmt(fullFetch.bytes / 1e6, 2)} MB, fetch ${fmt(fullFetch.fetchMs, 1)} ms, ` +
        `parse + validate + index ${fmt(fullFetch.applyMs, 1)} ms`,
    );
    const total = settings.warmup + settings.changes;
    log(`key/generate: ${settings.warmup} warm-up changes, then ${settings.changes} measured…`);
    let key = "";
    for (let i = 0; i < total; i++) {
      const result = await generateChange(cp, nodes, i, settings.pollMs);
      key = result.key;
      if (i >= settings.warmup) record(generate, result.sample, i - settings.warmup + 1);
    }
    log(
      `key/block + key/unblock: ${settings.warmup} warm-up changes, then ${settings.changes} measured…`,
    );
    for (let i = 0; i < total; i++) {
      const sample = await blockChange(cp, nodes, key, i, settings.pollMs);
      if (i >= settings.warmup) record(blocking, sample, i - settings.warmup + 1);
    }
    await checkVersions(cluster);
  } finally {
    await Promise.all([cp.close(), ...nodes.map((p) => p.close())]);
  }

  const report = { generate: summarize(generate), blocking: summarize(blocking) };
  console.log(`\n${consoleReport(report)}\n`);
  const id = `latency-${settings.database}-${settings.seedKeys}keys-${settings.nodes}nodes`;
  const path = writeResultsPart(id, markdownPart({ settings, report, fullFetch, machine, date }));
  log(`wrote ${path} (part ${id})`);
}

/** One key generated, and the time until every node accepts it; undefined if one never did. */
async function generateChange(
  cp: Pool,
  nodes: Pool[],
  i: number,
  pollMs: number,
): Promise<{ key: string; sample: ChangeSample | undefined }> {
  const start = performance.now();
  const { answered, body, writtenAt } = await mutate(cp, "/key/generate", {
    metadata: { propagation: i },
  });
  const key = body.key;
  if (typeof key !== "string") throw new Error("POST /key/generate: no key in the answer");
  const polls = await Promise.all(
    nodes.map((pool) => pollUntil(pool, key, 200, answered + CHANGE_TIMEOUT_MS, pollMs)),
  );
  return { key, sample: sample(`generate ${i}`, { start, answered, writtenAt }, polls) };
}

function record(phase: Phase, sample: ChangeSample | undefined, n: number): void {
  if (sample === undefined) phase.lost++;
  else phase.samples.push(sample);
  if (n % 50 === 0) log(`  ${n}`);
}

/**
 * Blocks (even i) or unblocks (odd i) `key`, polling every node from before the request is
 * sent, so that a node that applies the change before the response arrives is seen doing so.
 */
async function blockChange(
  cp: Pool,
  nodes: Pool[],
  key: string,
  i: number,
  pollMs: number,
): Promise<ChangeSample | undefined> {
  const block = i % 2 === 0;
  const start = performance.now();
  const polling = Promise.all(
    nodes.map((pool) => pollUntil(pool, key, block ? 401 : 200, start + CHANGE_TIMEOUT_MS, pollMs)),
  );
  const { answered, writtenAt } = await mutate(cp, block ? "/key/block" : "/key/unblock", { key });
  return sample(
    `${block ? "block" : "unblock"} ${i}`,
    { start, answered, writtenAt },
    await polling,
  );
}

/**
 * Sends a mutation; `writtenAt` is the row's `updated_at` from the answer (set by the control
 * plane when it wrote the row, ms resolution, same machine clock) on the performance.now() scale.
 */
async function mutate(
  cp: Pool,
  path: string,
  payload: unknown,
): Promise<{ answered: number; body: Record<string, unknown>; writtenAt: number }> {
  const res = await cp.request({
    path,
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  const answered = performance.now();
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    throw new Error(`POST ${path} answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  }
  const body = JSON.parse(text) as Record<string, unknown>;
  const updatedAt = typeof body.updated_at === "string" ? Date.parse(body.updated_at) : Number.NaN;
  if (Number.isNaN(updatedAt))
    throw new Error(`POST ${path}: no updated_at in ${text.slice(0, 300)}`);
  return { answered, body, writtenAt: updatedAt - performance.timeOrigin };
}

function sample(
  what: string,
  times: { start: number; answered: number; writtenAt: number },
  polls: (Poll | undefined)[],
): ChangeSample | undefined {
  if (polls.some((p) => p === undefined)) {
    log(`  ${what}: not applied on every node within ${CHANGE_TIMEOUT_MS} ms`);
    return undefined;
  }
  const seen = polls as Poll[];
  const { start, answered, writtenAt } = times;
  return {
    mutationMs: answered - start,
    fromResponseMs: Math.max(...seen.map((p) => p.seenAt - answered)),
    fromStartMs: Math.max(...seen.map((p) => p.seenAt - start)),
    fromWriteMs: Math.max(...seen.map((p) => p.seenAt - writtenAt)),
    toWriteMs: writtenAt - start,
    writeToResponseMs: answered - writtenAt,
    bracketMs: Math.max(...seen.map((p) => p.seenAt - (p.lastOtherSent ?? p.firstSent))),
    atFirstPoll: seen.every((p) => p.lastOtherSent === undefined),
  };
}

interface Poll {
  /** When the first poll was sent. */
  firstSent: number;
  /** When the first wanted answer arrived: an upper bound on when the node applied the change. */
  seenAt: number;
  /** When the last poll with the other answer was sent: the node applied the change after it. */
  lastOtherSent: number | undefined;
}

/** Polls `GET /v1/models` with `key` until it answers `want` (200 or 401; the other is expected meanwhile). */
async function pollUntil(
  pool: Pool,
  key: string,
  want: 200 | 401,
  deadline: number,
  pollMs: number,
): Promise<Poll | undefined> {
  const headers = { authorization: `Bearer ${key}` };
  const other = want === 200 ? 401 : 200;
  const firstSent = performance.now();
  let lastOtherSent: number | undefined;
  for (;;) {
    const sent = performance.now();
    const res = await pool.request({ path: "/v1/models", method: "GET", headers });
    await res.body.text();
    const arrived = performance.now();
    if (res.statusCode === want) return { firstSent, seenAt: arrived, lastOtherSent };
    if (res.statusCode !== other) {
      throw new Error(
        `GET /v1/models answered HTTP ${res.statusCode}, expected ${want} or ${other}`,
      );
    }
    lastOtherSent = sent;
    if (arrived > deadline) return undefined;
    await sleep(pollMs);
  }
}

/** The whole snapshot through the real `GET /internal/snapshot`, as a node fetches it. */
async function measureFullFetch(cp: Pool, nodeToken: string): Promise<FullFetch> {
  const runs: FullFetch[] = [];
  for (let i = 0; i < FULL_FETCHES; i++) {
    const start = performance.now();
    const res = await cp.request({
      path: "/internal/snapshot",
      method: "GET",
      headers: { authorization: `Bearer ${nodeToken}` },
    });
    const text = await res.body.text();
    const fetched = performance.now();
    if (res.statusCode !== 200) throw new Error(`GET /internal/snapshot: HTTP ${res.statusCode}`);
    const snapshot = SnapshotSchema.parse(JSON.parse(text));
    const indexed = new IndexedSnapshot(snapshot);
    runs.push({
      bytes: Buffer.byteLength(text),
      keys: indexed.keysByHash.size,
      fetchMs: fetched - start,
      applyMs: performance.now() - fetched,
    });
  }
  return {
    bytes: runs[0]!.bytes,
    keys: runs[0]!.keys,
    fetchMs: median(runs.map((r) => r.fetchMs)),
    applyMs: median(runs.map((r) => r.applyMs)),
  };
}

/** Every node ends at the control plane's version: no delta was skipped or applied twice. */
async function checkVersions(cluster: Cluster): Promise<void> {
  await sleep(100);
  const want = await snapshotVersion(cluster.controlPlane.origin);
  for (const node of cluster.nodes) {
    const got = await snapshotVersion(node.origin);
    if (got !== want) throw new Error(`${node.name} at snapshot ${got}, control plane at ${want}`);
  }
}

interface PhaseReport {
  count: number;
  lost: number;
  fromResponse: Distribution;
  fromStart: Distribution;
  fromWrite: Distribution;
  toWrite: Distribution;
  writeToResponse: Distribution;
  mutation: Distribution;
  bracket: Distribution;
  atFirstPoll: number;
  /** Changes every node had before the mutation's response arrived. */
  beforeResponse: number;
}

interface Report {
  generate: PhaseReport;
  blocking: PhaseReport;
}

function summarize(phase: Phase): PhaseReport {
  const { samples } = phase;
  return {
    count: samples.length,
    lost: phase.lost,
    fromResponse: distribution(samples.map((s) => s.fromResponseMs)),
    fromStart: distribution(samples.map((s) => s.fromStartMs)),
    fromWrite: distribution(samples.map((s) => s.fromWriteMs)),
    toWrite: distribution(samples.map((s) => s.toWriteMs)),
    writeToResponse: distribution(samples.map((s) => s.writeToResponseMs)),
    mutation: distribution(samples.map((s) => s.mutationMs)),
    bracket: distribution(samples.map((s) => s.bracketMs)),
    atFirstPoll: samples.filter((s) => s.atFirstPoll).length,
    beforeResponse: samples.filter((s) => s.fromResponseMs < 0).length,
  };
}

function rows(report: Report): string[][] {
  const row = (label: string, d: Distribution, judged: boolean): string[] => [
    label,
    fmt(d.p50, 2),
    fmt(d.p90, 2),
    fmt(d.p99, 2),
    fmt(d.max, 2),
    judged ? (d.p99 < TARGET_P99_MS ? "yes" : "no") : "—",
  ];
  const { generate: g, blocking: b } = report;
  return [
    ["change: measured", "p50 ms", "p90 ms", "p99 ms", "max ms", `p99 < ${TARGET_P99_MS} ms`],
    row("key/generate: response in → accepted on all nodes", g.fromResponse, true),
    row("key/generate: row written → accepted on all nodes", g.fromWrite, true),
    row("key/generate: request sent → accepted on all nodes", g.fromStart, false),
    row("key/generate: request sent → response in", g.mutation, false),
    row("key/block+unblock: row written → applied on all nodes", b.fromWrite, true),
    row("key/block+unblock: response in → applied on all nodes", b.fromResponse, true),
    row("key/block+unblock: request sent → applied on all nodes", b.fromStart, false),
    row("key/block+unblock: request sent → row written", b.toWrite, false),
    row("key/block+unblock: row written → response in", b.writeToResponse, false),
  ];
}

function consoleReport(report: Report): string {
  const table = rows(report);
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const lines = table.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return [...lines, "", ...notes(report)].join("\n");
}

function notes(report: Report): string[] {
  const { generate: g, blocking: b } = report;
  return [
    `Changes measured: ${g.count} key/generate, ${b.count} key/block+unblock; not applied on ` +
      `every node within ${CHANGE_TIMEOUT_MS} ms: ${g.lost + b.lost}.`,
    `key/generate: already accepted on every node at the first poll after the response in ` +
      `${g.atFirstPoll} of ${g.count} changes, so that row is mostly one poll's round trip.`,
    `key/block+unblock (polled from before the request): the last node had the change ` +
      `before the client had the response in ${b.beforeResponse} of ${b.count} changes.`,
    `Poll resolution (last poll without the change sent → first poll with it in): mean ` +
      `${fmt(b.bracket.mean, 2)} ms, p99 ${fmt(b.bracket.p99, 2)} ms (block/unblock).`,
  ];
}

/** Why a judged figure missed the target, from the rows that split the time. */
function missed(report: Report): string[] {
  const { generate: g, blocking: b } = report;
  const judged = [g.fromResponse, g.fromWrite, b.fromWrite, b.fromResponse];
  if (judged.every((d) => d.p99 < TARGET_P99_MS)) return [];
  return [
    `**Missed p99 < ${TARGET_P99_MS} ms** on a "row written →" figure. The time is the control ` +
      `plane's work after the write (reread, next snapshot, publish, answer) (row written → response in: p50 ` +
      `${fmt(b.writeToResponse.p50, 1)} ms, p99 ${fmt(b.writeToResponse.p99, 1)} ms), not the ` +
      `trip to the nodes (response in → applied: p99 ${fmt(b.fromResponse.p99, 1)} ms).`,
  ];
}

function markdownPart(run: {
  settings: Settings;
  report: Report;
  fullFetch: FullFetch;
  machine: string;
  date: Date;
}): string {
  const { settings, report, fullFetch } = run;
  const table = rows(report);
  const db = settings.database === "sqlite" ? "SQLite" : "PostgreSQL";
  const seed =
    settings.seedKeys + settings.seedDeployments === 0
      ? "empty database"
      : `${settings.seedKeys.toLocaleString("en-US")} keys and ${settings.seedDeployments.toLocaleString("en-US")} deployments seeded`;
  return [
    `### Propagation: ${db}, ${seed}, ${settings.nodes} nodes`,
    "",
    `One run of \`npm run bench:propagation\` on ${run.date.toISOString()}, ${settings.changes} ` +
      `changes of each kind after ${settings.warmup} warm-up changes. Machine: ${run.machine}.`,
    "",
    `| ${table[0]!.join(" | ")} |`,
    `|---|${table[0]!
      .slice(1)
      .map(() => "---:")
      .join("|")}|`,
    ...table.slice(1).map((r) => `| ${r.join(" | ")} |`),
    "",
    ...notes(report).map((n) => `- ${n}`),
    ...missed(report).map((n) => `- ${n}`),
    `- Full snapshot through the real \`GET /internal/snapshot\` (${fullFetch.keys.toLocaleString("en-US")} ` +
      `keys, ${fmt(fullFetch.bytes / 1e6, 2)} MB): fetch ${fmt(fullFetch.fetchMs, 1)} ms, parse + ` +
      `validate + index ${fmt(fullFetch.applyMs, 1)} ms (median of ${FULL_FETCHES}).`,
    `- How: \`cli/main.ts control-plane\` (${db}, a database of its own) and ${settings.nodes} ` +
      "`cli/main.ts data-plane` processes under `node --import tsx`, one Redis bus under a random " +
      "channel prefix, all on 127.0.0.1. Mutations go to the control plane with the master key " +
      "over a kept-alive undici `Pool`; each node is polled with `GET /v1/models` on its own " +
      `kept-alive connection, one request at a time, ${settings.pollMs} ms apart. *key/generate*: ` +
      "once the response (with the new key) is in, poll until the key answers 200 instead of 401. " +
      "*key/block+unblock*: one key blocked and unblocked in turn; polling starts just before the " +
      "request is sent, until the key answers 401 (blocked) or 200 again. A change is seen at the " +
      "arrival of the first answer that shows it (an upper bound on when the node applied it). " +
      "*Row written* is the key's `updated_at` in the mutation's answer, which the control plane " +
      "sets as it writes the row (ms resolution, same machine clock): the nearest this harness " +
      "gets to the commit without instrumenting the control plane. Between the write and the " +
      "response the control plane rebuilds the snapshot, diffs it and publishes the delta; " +
      "*response in → applied* is negative when the nodes had the change first. " +
      "per change the max over nodes is kept. Changes are sequential. At the end every node's " +
      "snapshot version must equal the control plane's.",
  ].join("\n");
}

function readSettings(): Settings {
  const database = process.env.PROPAGATION_DATABASE ?? "sqlite";
  if (database !== "sqlite" && database !== "postgresql") {
    throw new Error("PROPAGATION_DATABASE must be sqlite or postgresql");
  }
  return {
    changes: count("PROPAGATION_CHANGES", 200, 1),
    warmup: count("PROPAGATION_WARMUP", 10, 0),
    nodes: count("PROPAGATION_NODES", 2, 1),
    database,
    seedKeys: count("PROPAGATION_SEED_KEYS", 0, 0),
    seedDeployments: count("PROPAGATION_SEED_DEPLOYMENTS", 0, 0),
    pollMs: count("PROPAGATION_POLL_MS", 1, 0),
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
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

async function cleanUp(): Promise<void> {
  await stopAll();
  await database?.drop().catch((err: unknown) => {
    log(`could not drop the bench database: ${err instanceof Error ? err.message : String(err)}`);
  });
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
