import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Cluster,
  describeWhenAvailable,
  type PrivateRedis,
  redisServerUnavailable,
  type ServerProcess,
  startClusterServices,
  startingProcesses,
  stopClusterServices,
} from "../helpers/cluster.js";
import { postgresUnavailable, type TestDatabase } from "../helpers/postgres.js";

/**
 * Spend across real processes: two data-plane nodes append to the Redis Stream, a control
 * plane consumes it into PostgreSQL. Prices are powers of two, so every cost and every sum
 * is exact in floating point and totals can be compared with `toBe`.
 */

const MASTER = "sk-spend-cluster-master";
const CONFIG = `
model_list:
  - model_name: priced
    litellm_params: { model: mock/priced, mock_response: "a reply of some words" }
    model_info: { input_cost_per_token: 0.0078125, output_cost_per_token: 0.015625 }
general_settings:
  master_key: ${MASTER}
`;
/** The control plane keeps its consumer name across restarts (it rereads what it left pending). */
const CP_ARGS = ["--spend-consumer", "cp-main", "--spend-claim-idle-ms", "2000"];

const unavailable = redisServerUnavailable() ?? (await postgresUnavailable());

describeWhenAvailable(
  "spend across data-plane nodes and control-plane restarts",
  unavailable,
  suite,
);

function suite(): void {
  let db: TestDatabase | undefined;
  let redisDir: string | undefined;
  let redis: PrivateRedis | undefined;
  let cluster: Cluster | undefined;
  let controlPlane: ServerProcess | undefined;
  let nodes: ServerProcess[] = [];
  let sql: pg.Client | undefined;
  let key = "";
  let keyId = "";
  let sent = 0;

  beforeAll(async () => {
    redisDir = await mkdtemp(join(tmpdir(), "switchyard-spend-redis-"));
    const services = await startClusterServices("switchyard_spend_cluster", CONFIG, {
      persistDir: redisDir,
    });
    ({ db, redis, cluster } = services);
    const c = services.cluster;
    await startingProcesses(c, async () => {
      controlPlane = await c.startControlPlane(CP_ARGS);
      nodes = await Promise.all([c.startNode("spend-a"), c.startNode("spend-b")]);
    });
    await admin("/team/new", { team_id: "t-spend" });
    await admin("/user/new", { user_id: "u-spend", auto_create_key: false });
    const made = await admin<{ key: string; token: string }>("/key/generate", {
      user_id: "u-spend",
      team_id: "t-spend",
    });
    key = made.key;
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    keyId = (
      await one<{ id: string }>("SELECT id FROM virtual_keys WHERE token = $1", [made.token])
    ).id;
    await servedEverywhere();
  }, 120_000);

  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    try {
      await stopClusterServices({ cluster, redis, db });
    } finally {
      if (redisDir !== undefined) await rm(redisDir, { recursive: true, force: true });
    }
  }, 60_000);

  async function admin<T = unknown>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${cluster!.controlPlaneOrigin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
    return json;
  }

  async function one<T>(text: string, params: unknown[] = []): Promise<T> {
    return (await sql!.query(text, params)).rows[0] as T;
  }

  async function servedEverywhere(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const res = await fetch(`${node.origin}/v1/models`, {
          headers: { authorization: `Bearer ${key}` },
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error(`${node.name} does not know the key`);
        await sleep(50);
      }
    }
  }

  /**
   * At least `total` chat calls, `concurrency` at a time, alternating nodes; `during` starts
   * a third of the way in, and calls go on until it is over (so they run through it).
   */
  async function traffic(total: number, concurrency: number, during?: () => Promise<void>) {
    let made = 0;
    let duringOver = during === undefined;
    let middle: Promise<void> | undefined;
    let through = 0;
    const worker = async () => {
      while (made < total || !duringOver) {
        const i = made++;
        const node = nodes[i % nodes.length]!;
        const res = await fetch(`${node.origin}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "priced", messages: [{ role: "user", content: `q${i}` }] }),
        });
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        sent++;
        if (middle !== undefined && !duringOver) through++;
        if (i === Math.floor(total / 3) && during !== undefined) {
          middle = during().finally(() => {
            duringOver = true;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await middle;
    // Calls were answered while it happened (nodes do not need Redis or the control plane).
    if (during !== undefined) expect(through).toBeGreaterThan(0);
  }

  /** Polls until every request sent has its row (generous deadline), then checks the sums. */
  async function expectExactTotals(): Promise<void> {
    const deadline = Date.now() + 90_000;
    let rows = 0;
    for (;;) {
      rows = Number((await one<{ n: string }>("SELECT count(*) AS n FROM spend_logs")).n);
      if (rows >= sent || Date.now() > deadline) break;
      await sleep(200);
    }
    expect(rows, cluster!.describe()).toBe(sent);
    // Totals are written in the same transaction as the rows: once they are in, so are they.
    const t = await one<Record<string, number>>(
      `SELECT
        (SELECT sum(spend) FROM spend_logs) AS logs,
        (SELECT spend FROM virtual_keys WHERE id = $1) AS key,
        (SELECT spend FROM users WHERE user_id = 'u-spend') AS user,
        (SELECT spend FROM teams WHERE team_id = 't-spend') AS team,
        (SELECT sum(spend) FROM daily_spend) AS daily,
        (SELECT sum(requests) FROM daily_spend) AS requests,
        (SELECT count(DISTINCT request_id) FROM spend_logs) AS distinct_ids`,
      [keyId],
    );
    expect(t.logs).toBeGreaterThan(0);
    expect({ key: t.key, user: t.user, team: t.team, daily: t.daily }).toEqual({
      key: t.logs,
      user: t.logs,
      team: t.logs,
      daily: t.logs,
    });
    expect(Number(t.requests)).toBe(sent);
    expect(Number(t.distinct_ids)).toBe(sent);
  }

  it("sums exactly: spend logs = key = user = team = daily aggregate, over two nodes", async () => {
    await traffic(300, 30);
    await expectExactTotals();
  }, 180_000);

  it("loses and doubles nothing when the control plane is killed mid-ingest and restarted", async () => {
    await traffic(300, 30, async () => {
      await controlPlane!.process.kill();
      await sleep(500);
      controlPlane = await cluster!.startControlPlane(CP_ARGS);
    });
    await expectExactTotals();
  }, 180_000);

  it("loses and doubles nothing when Redis goes down under traffic and comes back", async () => {
    await traffic(300, 30, async () => {
      await redis!.kill();
      await sleep(1_000);
      await redis!.restart();
    });
    await expectExactTotals();
  }, 180_000);
}
