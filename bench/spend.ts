// `npm run bench:spend`: spend ingest throughput into PostgreSQL and SQLite (events/s,
// batched, through the control plane's ingest: rows + totals + daily aggregates in one
// transaction a batch), and the delay from a response sent to its spendUpdated
// subscription update (embedded gateway, graphql-ws), p50/p99. Writes the "#6 spend"
// section of bench/RESULTS.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { pino } from "pino";
import WebSocket from "ws";
import { startEmbeddedGateway } from "../cli/embedded.js";
import { MASTER_PRINCIPAL } from "../control-plane/auth/principal.js";
import { parseConfigText } from "../control-plane/config/load-config.js";
import { ControlPlane } from "../control-plane/control-plane.js";
import type { SpendEvent } from "../schema/spend-event.js";
import pg from "pg";
import { stopAll } from "./children.js";
import { startCluster } from "./cluster.js";
import { distribution, fmt } from "./distribution.js";
import { machineLine, writeMarkedSection } from "./results-section.js";
import { createTempDatabase, type DatabaseKind } from "./temp-database.js";
import { MASTER_KEY, MODEL_NAME } from "./workload.js";

const TARGETS = { postgresql: 20_000, sqlite: 5_000, delayP99Ms: 500 };
const BATCH = 1_000;
const KEYS = 200;
const logger = pino({ level: "silent" });

interface IngestResult {
  kind: DatabaseKind;
  events: number;
  seconds: number;
  perSecond: number;
}

async function ingestThroughput(kind: DatabaseKind, events: number): Promise<IngestResult> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-spend-"));
  const db = await createTempDatabase(kind, dir);
  let cp: ControlPlane | undefined;
  try {
    cp = await ControlPlane.start({
      config: parseConfigText("general_settings: { master_key: sk-bench }\n", "b.yaml", {}).config,
      databaseUrl: db.url,
      logger,
      onSnapshot: () => {},
    });
    const keys: { id: string; token: string; userId: string; teamId: string }[] = [];
    for (let t = 0; t < 10; t++) await cp.teams.create(MASTER_PRINCIPAL, { teamId: `t${t}` });
    for (let i = 0; i < KEYS; i++) {
      const userId = `u${i}`;
      const teamId = `t${i % 10}`;
      await cp.users.create(MASTER_PRINCIPAL, { userId });
      const { record } = await cp.keys.generate(MASTER_PRINCIPAL, { userId, teamId });
      keys.push({ id: record.id, token: record.token, userId, teamId });
    }
    const batches: SpendEvent[][] = [];
    const start = Date.now();
    for (let b = 0; b * BATCH < events; b++) {
      const batch: SpendEvent[] = [];
      for (let i = 0; i < BATCH; i++) {
        const n = b * BATCH + i;
        const k = keys[n % KEYS]!;
        batch.push(event(`bench-${n}`, k, start + n));
      }
      batches.push(batch);
    }
    // Warm-up: one batch (connections, prepared statements), not timed.
    await cp.spendIngest.ingest(batches.shift()!);
    const t0 = performance.now();
    for (const batch of batches) await cp.spendIngest.ingest(batch);
    const seconds = (performance.now() - t0) / 1000;
    const n = batches.length * BATCH;
    return { kind, events: n, seconds, perSecond: n / seconds };
  } finally {
    await cp?.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function event(
  requestId: string,
  k: { id: string; token: string; userId: string; teamId: string },
  at: number,
): SpendEvent {
  return {
    request_id: requestId,
    call_type: "chat",
    api_key: k.token,
    key_id: k.id,
    spend: 0.000123,
    prompt_tokens: 42,
    completion_tokens: 17,
    cached_tokens: 0,
    startTime: at,
    endTime: at + 120,
    completionStartTime: at + 30,
    model: "gpt-4o-mini",
    model_group: "gpt-4o-mini",
    model_id: "dep-1",
    custom_llm_provider: "openai",
    api_base: "https://api.openai.com/v1",
    user: k.userId,
    team_id: k.teamId,
    request_tags: ["bench"],
    cache_hit: false,
    status: "success",
    metadata: { status_code: 200 },
  };
}

interface DelayTarget {
  /** Where requests go (round robin), with no /v1. */
  origins: string[];
  /** The GraphQL websocket endpoint. */
  wsUrl: string;
  masterKey: string;
  key: string;
  keyId: string;
  model: string;
}

type Delay = ReturnType<typeof distribution> & { requests: number; missing: number };

/** Response read by the client → its spendUpdated received, at `rate` requests/s for `seconds`. */
async function measureDelay(t: DelayTarget, rate: number, seconds: number): Promise<Delay> {
  const client = createClient({
    url: t.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${t.masterKey}` },
    retryAttempts: 0,
  });
  try {
    const sentAt = new Map<string, number>();
    const arrived = new Map<string, number>();
    client.subscribe<{ spendUpdated: { requestId: string } }>(
      { query: `subscription { spendUpdated(keyId: "${t.keyId}") { requestId keyTotal } }` },
      {
        next: (r) => {
          const id = r.data?.spendUpdated.requestId;
          if (id !== undefined) arrived.set(id, performance.now());
        },
        error: () => {},
        complete: () => {},
      },
    );
    let turn = 0;
    const ask = async () => {
      const origin = t.origins[turn++ % t.origins.length]!;
      const res = await fetch(`${origin}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: t.model, messages: [{ role: "user", content: "hi" }] }),
      });
      await res.arrayBuffer();
      sentAt.set(res.headers.get("x-request-id") ?? "", performance.now());
    };
    // Until the subscription is live (and every node serves the key).
    for (let i = 0; i < 400 && arrived.size === 0; i++) {
      await ask().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
    arrived.clear();
    sentAt.clear();
    const total = rate * seconds;
    const t0 = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(ask());
    }
    await Promise.all(inFlight);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && [...sentAt.keys()].some((id) => !arrived.has(id))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const delays: number[] = [];
    let missing = 0;
    for (const [id, sent] of sentAt) {
      const got = arrived.get(id);
      if (got === undefined) missing++;
      else delays.push(got - sent);
    }
    return { requests: sentAt.size, missing, ...distribution(delays) };
  } finally {
    await client.dispose();
  }
}

/** Embedded gateway: SQLite, in-process queue, subscription on the same port. */
async function embeddedDelay(rate: number, seconds: number): Promise<Delay> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-spend-e2e-"));
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    `model_list:
  - model_name: m
    litellm_params: { model: mock/m, mock_response: "ok" }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: sk-bench-master
`,
  );
  const gw = await startEmbeddedGateway({
    configFile: file,
    host: "127.0.0.1",
    port: 0,
    logger,
    env: { DATABASE_URL: `file:${join(dir, "g.db")}` },
  });
  try {
    const { key, record } = await gw.controlPlane.keys.generate(MASTER_PRINCIPAL, {});
    const origin = `http://127.0.0.1:${gw.port}`;
    return await measureDelay(
      {
        origins: [origin],
        wsUrl: `ws://127.0.0.1:${gw.port}/graphql`,
        masterKey: "sk-bench-master",
        key,
        keyId: record.id,
        model: "m",
      },
      rate,
      seconds,
    );
  } finally {
    await gw.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Distributed: 2 node processes → Redis Stream → a control-plane process (PostgreSQL) → ws. */
async function distributedDelay(rate: number, seconds: number): Promise<Delay> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-spend-cluster-"));
  const db = await createTempDatabase("postgresql", dir);
  try {
    const cluster = await startCluster({
      tmpDir: dir,
      databaseUrl: db.url,
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      nodes: 2,
      startTimeoutMs: 60_000,
    });
    const res = await fetch(`${cluster.controlPlane.origin}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: "{}",
    });
    const made = (await res.json()) as { key: string; token_id?: string };
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const row = await sql.query<{ id: string }>(
      "SELECT id FROM virtual_keys ORDER BY created_at DESC LIMIT 1",
    );
    await sql.end();
    return await measureDelay(
      {
        origins: cluster.nodes.map((n) => n.origin),
        wsUrl: `${cluster.controlPlane.origin.replace(/^http/, "ws")}/graphql`,
        masterKey: MASTER_KEY,
        key: made.key,
        keyId: row.rows[0]!.id,
        model: MODEL_NAME,
      },
      rate,
      seconds,
    );
  } finally {
    await stopAll();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(machineLine());
  const ingest: IngestResult[] = [];
  for (const [kind, events] of [
    ["postgresql", 200_000],
    ["sqlite", 100_000],
  ] as const) {
    const r = await ingestThroughput(kind, events);
    log(`${kind}: ${fmt(r.perSecond, 0)} events/s (${r.events} events in ${fmt(r.seconds, 2)} s)`);
    ingest.push(r);
  }
  const delay = await embeddedDelay(200, 10);
  log(`embedded: ${delayLine(delay)}`);
  const cluster = await distributedDelay(200, 10);
  log(`distributed: ${delayLine(cluster)}`);
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  const pg = ingest.find((r) => r.kind === "postgresql")!;
  const sq = ingest.find((r) => r.kind === "sqlite")!;
  const path = writeMarkedSection(
    "spend",
    [
      "## #6 spend: ingest throughput and live-update delay",
      "",
      `Written by \`npm run bench:spend\` on ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.`,
      "",
      "| Measure | Result | Target | |",
      "|---|---|---|---|",
      `| Ingest into PostgreSQL | ${fmt(pg.perSecond, 0)} events/s (${fmt(pg.events, 0)} events, ${fmt(pg.seconds, 2)} s) | ≥ ${fmt(TARGETS.postgresql, 0)}/s | ${verdict(pg.perSecond >= TARGETS.postgresql)} |`,
      `| Ingest into SQLite | ${fmt(sq.perSecond, 0)} events/s (${fmt(sq.events, 0)} events, ${fmt(sq.seconds, 2)} s) | ≥ ${fmt(TARGETS.sqlite, 0)}/s | ${verdict(sq.perSecond >= TARGETS.sqlite)} |`,
      ...delayRows("embedded", delay, verdict),
      ...delayRows("distributed", cluster, verdict),
      "",
      `How: ingest is \`SpendIngest.ingest\` (the code both the in-process queue and the Redis Stream consumer call) on a fresh database with ${KEYS} keys (each with a user, 10 teams), batches of ${fmt(BATCH, 0)} events, one transaction a batch (rows with ON CONFLICT DO NOTHING, key/user/team totals, daily aggregates; PostgreSQL through \`unnest\` column arrays, SQLite through prepared statements in one IMMEDIATE transaction), timed after one warm-up batch. The delay is measured on the embedded gateway (SQLite, in-process queue, the node's 25 ms batching) at 200 requests/s for 10 s, from the client having read the whole response to the graphql-ws client receiving that request's update; client and gateway share this machine. Distributed: two data-plane processes and one control-plane process (\`cli/main.ts\` under \`node --import tsx\`, PostgreSQL, the shared Redis under a random prefix), requests alternating between the nodes, the subscription on the control plane: node batching (25 ms) → \`XADD\` → \`XREADGROUP\` (blocking) → one transaction → graphql-ws.`,
    ].join("\n"),
  );
  log(`wrote ${path}`);
}

function delayLine(d: Delay): string {
  return `p50 ${fmt(d.p50, 1)} ms, p99 ${fmt(d.p99, 1)} ms, max ${fmt(d.max, 1)} ms (${d.requests} requests, ${d.missing} missing)`;
}

function delayRows(name: string, d: Delay, verdict: (ok: boolean) => string): string[] {
  return [
    `| Response sent → \`spendUpdated\` received, ${name}, p50 | ${fmt(d.p50, 1)} ms | | |`,
    `| Response sent → \`spendUpdated\` received, ${name}, p99 | ${fmt(d.p99, 1)} ms (max ${fmt(d.max, 1)} ms; ${d.requests} requests, ${d.missing} without an update) | < ${TARGETS.delayP99Ms} ms | ${verdict(d.p99 < TARGETS.delayP99Ms && d.missing === 0)} |`,
  ];
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench:spend failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  },
);
