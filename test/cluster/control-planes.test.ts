import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Cluster,
  describeWhenAvailable,
  eventually,
  type PrivateRedis,
  redisServerUnavailable,
  type ServerProcess,
  startClusterServices,
  startingProcesses,
  stopClusterServices,
} from "../helpers/cluster.js";
import { postgresUnavailable, type TestDatabase } from "../helpers/postgres.js";

/**
 * Two control planes on one database and Redis, two data-plane nodes fetching from the
 * first: changes made through either reach every node, and both control planes serve the
 * same snapshot afterwards — also when changes are made on both at once.
 */

const MASTER = "sk-two-cp-master";
const CONFIG = `
model_list:
  - model_name: two-cp
    litellm_params: { model: mock/two-cp, mock_response: "ok" }
general_settings:
  master_key: ${MASTER}
`;

const unavailable = redisServerUnavailable() ?? (await postgresUnavailable());

describeWhenAvailable("several control planes", unavailable, suite);

function suite(): void {
  let db: TestDatabase | undefined;
  let redis: PrivateRedis | undefined;
  let cluster: Cluster | undefined;
  let cps: ServerProcess[] = [];
  let nodes: ServerProcess[] = [];

  beforeAll(async () => {
    const services = await startClusterServices("switchyard_two_cp", CONFIG);
    ({ db, redis, cluster } = services);
    const c = services.cluster;
    await startingProcesses(c, async () => {
      const a = await c.startControlPlane();
      const b = await c.startPeerControlPlane("control-plane-b");
      cps = [a, b];
      nodes = await Promise.all([c.startNode("cp-node-a"), c.startNode("cp-node-b")]);
    });
  }, 120_000);

  afterAll(() => stopClusterServices({ cluster, redis, db }), 60_000);

  async function admin<T>(cp: ServerProcess, path: string, body: unknown): Promise<T> {
    const res = await fetch(`${cp.origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function chatStatus(node: ServerProcess, key: string): Promise<number> {
    const res = await fetch(`${node.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "two-cp", messages: [{ role: "user", content: "hi" }] }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** The snapshot a control plane serves to nodes: version and build time. */
  async function served(cp: ServerProcess): Promise<string> {
    const res = await fetch(`${cp.origin}/internal/snapshot`, {
      headers: { authorization: `Bearer ${cluster!.nodeToken}` },
    });
    const body = (await res.json()) as { version: number; builtAt: string; keys: unknown[] };
    return `${body.version}@${body.builtAt} (${body.keys.length} keys)`;
  }

  async function everywhere(key: string, status: number): Promise<void> {
    for (const node of nodes) {
      await eventually(
        `${node.name} answers ${status} for the key`,
        async () => expect(await chatStatus(node, key)).toBe(status),
        { timeoutMs: 5_000, intervalMs: 25 },
      );
    }
  }

  it("serves on every node a key generated on the second control plane, and refuses it once blocked on the first", async () => {
    const { key } = await admin<{ key: string }>(cps[1]!, "/key/generate", {});
    await everywhere(key, 200);
    await admin(cps[0]!, "/key/block", { key });
    await everywhere(key, 401);
    await eventually("both control planes serve the same snapshot", async () => {
      expect(await served(cps[0]!)).toBe(await served(cps[1]!));
    });
  }, 60_000);

  it("converges when both control planes take changes at the same time", async () => {
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        admin<{ key: string }>(cps[i % 2]!, "/key/generate", { key_alias: `both-${i}` }),
      ),
    );
    for (const { key } of made) await everywhere(key, 200);
    await eventually(
      "both control planes serve the same snapshot",
      async () => expect(await served(cps[0]!)).toBe(await served(cps[1]!)),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    // Nodes settle on that snapshot too (no refetching back and forth).
    const versions = async () =>
      Promise.all(
        nodes.map(async (n) => {
          const r = (await (await fetch(`${n.origin}/health/readiness`)).json()) as {
            snapshot: { version: number };
          };
          return r.snapshot.version;
        }),
      );
    await sleep(1_500);
    const first = await versions();
    expect(new Set(first).size).toBe(1);
    expect(`${first[0]}`).toBe((await served(cps[0]!)).split("@")[0]);
  }, 60_000);
}
