import { setTimeout as sleep } from "node:timers/promises";
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
 * Cluster-wide limits with real processes: three data-plane nodes on one Redis, hammered
 * at once. The bounds asserted are the README's ("Limits and budgets"): rpm overshoot at
 * most (nodes − 1) × max(1, ⌊2% × limit ÷ nodes⌋); budget overspend at most one request's
 * worst-case cost per node.
 */

const MASTER = "sk-limits-cluster-master";
const CONFIG = `
model_list:
  - model_name: counted
    litellm_params: { model: mock/counted, mock_response: "ok" }
  - model_name: priced
    litellm_params: { model: mock/priced, mock_response: "a priced reply" }
    model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.01, max_output_tokens: 5 }
general_settings:
  master_key: ${MASTER}
`;
const NODES = 3;

const unavailable = redisServerUnavailable() ?? (await postgresUnavailable());

describeWhenAvailable("limits and budgets across data-plane nodes", unavailable, suite);

function suite(): void {
  let db: TestDatabase | undefined;
  let redis: PrivateRedis | undefined;
  let cluster: Cluster | undefined;
  let controlPlane: ServerProcess | undefined;
  let nodes: ServerProcess[] = [];

  beforeAll(async () => {
    const services = await startClusterServices("switchyard_limits_cluster", CONFIG);
    ({ db, redis, cluster } = services);
    const c = services.cluster;
    await startingProcesses(c, async () => {
      controlPlane = await c.startControlPlane();
      nodes = await Promise.all(
        Array.from({ length: NODES }, (_, i) => c.startNode(`limits-${i}`)),
      );
    });
    // Every node has seen the others (node count drives each node's allowance).
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const r = (await (await fetch(`${node.origin}/health/readiness`)).json()) as {
          limits: { mode: string; nodes: number };
        };
        if (r.limits.mode === "cluster" && r.limits.nodes === NODES) break;
        if (Date.now() > deadline) throw new Error(`node ${node.name}: ${JSON.stringify(r)}`);
        await sleep(100);
      }
    }
  }, 120_000);

  afterAll(() => stopClusterServices({ cluster, redis, db }), 60_000);

  async function newKey(settings: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${controlPlane!.origin}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify(settings),
    });
    const body = (await res.json()) as { key: string };
    if (!res.ok) throw new Error(JSON.stringify(body));
    return body.key;
  }

  /** One chat call to a node: its status and the cost it reported. */
  async function call(node: ServerProcess, key: string, model: string) {
    const res = await fetch(`${node.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    const cost = Number(res.headers.get("x-switchyard-response-cost") ?? 0);
    await res.arrayBuffer();
    return { status: res.status, cost };
  }

  /** Waits until every node serves `key` (the snapshot delta reached them). */
  async function servedEverywhere(key: string): Promise<void> {
    const deadline = Date.now() + 10_000;
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

  /** `clients` concurrent loops, spread over the nodes, each making calls until `total` are made. */
  async function hammer(key: string, model: string, clients: number, total: number) {
    let started = 0;
    const results: { status: number; cost: number }[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const node = nodes[i % nodes.length]!;
        while (started < total) {
          started++;
          results.push(await call(node, key, model));
        }
      }),
    );
    return results;
  }

  it("holds rpm 600 for one key hammered by 240 clients over three nodes", async ({ annotate }) => {
    const limit = 600;
    const key = await newKey({ rpm_limit: limit });
    await servedEverywhere(key);
    // Stay inside one clock minute (rate windows are aligned to the minute).
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 35_000) await sleep(60_000 - intoMinute + 200);
    const windowStart = Math.floor(Date.now() / 60_000);
    const results = await hammer(key, "counted", 240, 1_500);
    expect(Math.floor(Date.now() / 60_000)).toBe(windowStart);
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429).length;
    expect(admitted + refused).toBe(results.length);
    const allowance = Math.max(1, Math.floor((limit * 0.02) / NODES));
    await annotate(`admitted ${admitted} of ${results.length} (limit ${limit})`);
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(limit + (NODES - 1) * allowance);
  }, 120_000);

  it("keeps a $1 budget within one worst-case request per node when concurrent requests cost far more", async ({
    annotate,
  }) => {
    const key = await newKey({ max_budget: 1 });
    await servedEverywhere(key);
    const results = await hammer(key, "priced", 90, 300);
    const spent = results.reduce((sum, r) => sum + (r.status === 200 ? r.cost : 0), 0);
    const refused = results.filter((r) => r.status === 400).length;
    await annotate(`spent $${spent.toFixed(4)} of $1 over ${results.length - refused} calls`);
    expect(refused).toBeGreaterThan(0);
    // Worst case of one call: the body (~110 bytes ÷ 3 → 37 tokens) + 5 output tokens, at $0.01.
    const worstCase = (Math.ceil(110 / 3) + 5) * 0.01;
    expect(spent).toBeGreaterThanOrEqual(0.9);
    expect(spent).toBeLessThanOrEqual(1 + NODES * worstCase);
  }, 120_000);

  it("enforces each node's share while Redis is down, says so in readiness, and returns to cluster mode", async () => {
    const key = await newKey({ rpm_limit: 30 });
    await servedEverywhere(key);
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(60_000 - intoMinute + 200);
    await redis!.kill();
    await everyNodeIn("local-share");
    const results = await hammer(key, "counted", 30, 90);
    const admitted = results.filter((r) => r.status === 200).length;
    // Each of the three nodes admits its share, ⌈30 ÷ 3⌉, from its own counts.
    expect(admitted).toBe(30);
    await redis!.restart();
    await everyNodeIn("cluster");
  }, 120_000);

  async function everyNodeIn(mode: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const r = (await (await fetch(`${node.origin}/health/readiness`)).json()) as {
          limits: { mode: string };
        };
        if (r.limits.mode === mode) break;
        if (Date.now() > deadline)
          throw new Error(`${node.name} never in ${mode}: ${JSON.stringify(r)}`);
        await sleep(100);
      }
    }
  }
}
