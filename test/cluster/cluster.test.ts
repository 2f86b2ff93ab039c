import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
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
 * Distributed mode end to end: a control plane and data-plane nodes as real processes, on
 * PostgreSQL and a private Redis, driven through GraphQL, LiteLLM REST and the OpenAI SDK.
 * The tests share one cluster and run in order: each leaves it as the next expects.
 */

const MASTER = "sk-cluster-master";
const MODEL = "cluster-mock";
const REPLY = "hi from the cluster";
const CONFIG = `
model_list:
  - model_name: ${MODEL}
    litellm_params: { model: mock/cluster, mock_response: "${REPLY}" }
general_settings:
  master_key: ${MASTER}
`;

/** What "propagates within ~2 s" means on a busy shared box. */
const PROPAGATION_MS = 2_500;
/** Reconnect, refetch and resync after an outage. */
const RESYNC_MS = 15_000;
/** How long Redis stays down. */
const OUTAGE_MS = 3_000;
const TEST_TIMEOUT_MS = 60_000;

const unavailable = redisServerUnavailable() ?? (await postgresUnavailable());

describeWhenAvailable(
  "a cluster of a control plane and data-plane nodes",
  unavailable,
  clusterSuite,
);

function clusterSuite(): void {
  let db: TestDatabase | undefined;
  let redis: PrivateRedis | undefined;
  let cluster: Cluster | undefined;
  let controlPlane: ServerProcess | undefined;
  let nodes: ServerProcess[] = [];

  beforeAll(async () => {
    const services = await startClusterServices("switchyard_cluster", CONFIG);
    ({ db, redis, cluster } = services);
    const c = services.cluster;
    await startingProcesses(c, async () => {
      controlPlane = await c.startControlPlane();
      nodes = await Promise.all([c.startNode("node-a"), c.startNode("node-b")]);
    });
    await eachNode("both nodes are healthy", async (node) => {
      expect((await readiness(node)).status).toBe("healthy");
    });
  }, 120_000);

  afterAll(() => stopClusterServices({ cluster, redis, db }), 60_000);

  it(
    "serves a key generated through GraphQL on every node",
    async ({ annotate }) => {
      const key = await generateKey();
      const ms = await eachNode("the new key works", async (node) => {
        const reply = await chat(node, key);
        expect(reply.choices[0]?.message.content).toBe(REPLY);
      });
      await record(annotate, `new key usable on both nodes ${ms} ms after generateKey answered`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses a blocked key and a deleted key on every node within ~2 s",
    async ({ annotate }) => {
      const blocked = await generateKey();
      const deleted = await generateKey();
      await eachNode("the keys work", async (node) => {
        await chat(node, blocked);
        await chat(node, deleted);
      });

      await admin("/key/block", { key: blocked });
      const blockMs = await eachNode(
        "the blocked key is refused",
        (node) => expectRefused(node, blocked),
        { timeoutMs: PROPAGATION_MS, intervalMs: 20 },
      );
      await admin("/key/delete", { keys: [deleted] });
      const deleteMs = await eachNode(
        "the deleted key is refused",
        (node) => expectRefused(node, deleted),
        { timeoutMs: PROPAGATION_MS, intervalMs: 20 },
      );
      await record(
        annotate,
        `revoked key refused on both nodes ${blockMs} ms after /key/block, ${deleteMs} ms after /key/delete answered`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "routes to a model added through /model/new on every node",
    async () => {
      await admin("/model/new", {
        model_name: "added-later",
        litellm_params: { model: "mock/added", mock_response: "hi from the new model" },
      });
      await eachNode(
        "the new model is served",
        async (node) => {
          const reply = await chat(node, MASTER, "added-later");
          expect(reply.choices[0]?.message.content).toBe("hi from the new model");
        },
        { timeoutMs: PROPAGATION_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "keeps serving while Redis is down, says it is stale, and resyncs when Redis is back",
    async ({ annotate }) => {
      const kept = await generateKey();
      const blockedMeanwhile = await generateKey();
      await eachNode("the keys work", async (node) => {
        await chat(node, kept);
        await chat(node, blockedMeanwhile);
      });

      await redis?.kill();
      await eachNode(
        "the nodes report a stale snapshot",
        async (node) => {
          const ready = await readiness(node);
          expect(ready.status).toBe("stale");
          expect(ready.snapshot.stale).toBe(true);
          expect(ready.snapshot.stale_reason).toEqual(expect.any(String));
        },
        { timeoutMs: RESYNC_MS },
      );
      // A change the nodes cannot hear of over the bus.
      await admin("/key/block", { key: blockedMeanwhile });
      // Through a few rounds of the nodes' retry timer (2 s): still serving, still stale
      // (a whole snapshot fetched over HTTP does not make up for a lost bus).
      const outageEnds = Date.now() + OUTAGE_MS;
      while (Date.now() < outageEnds) {
        for (const node of nodes) {
          expect((await chat(node, kept)).choices[0]?.message.content).toBe(REPLY);
          expect((await chat(node, MASTER, "added-later")).choices[0]?.message.content).toBe(
            "hi from the new model",
          );
          expect((await readiness(node)).status).toBe("stale");
        }
        await sleep(250);
      }

      await redis?.restart();
      const ms = await eachNode(
        "the nodes are healthy again, with the change made during the outage",
        async (node) => {
          expect((await readiness(node)).status).toBe("healthy");
          await expectRefused(node, blockedMeanwhile);
          await chat(node, kept);
        },
        { timeoutMs: RESYNC_MS },
      );
      await record(annotate, `nodes healthy and in sync ${ms} ms after Redis was back`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "keeps serving while the control plane restarts, then resyncs",
    async ({ annotate }) => {
      const kept = await generateKey();
      await eachNode("the key works", (node) => chat(node, kept));
      const versionBefore = (await readiness(nodes[0]!)).snapshot.version;

      const exit = await controlPlane!.process.stop();
      expect(exit.code, cluster?.describe()).toBe(0);

      // Down: every request still answered, until the nodes notice the silence.
      let served = 0;
      await eachNode(
        "the nodes notice that the control plane is gone",
        async (node) => {
          for (const n of nodes) {
            expect((await chat(n, kept)).choices[0]?.message.content).toBe(REPLY);
            served++;
          }
          expect((await readiness(node)).status).toBe("stale");
        },
        { timeoutMs: RESYNC_MS, intervalMs: 200 },
      );
      expect(served).toBeGreaterThan(0);

      controlPlane = await cluster!.startControlPlane();
      const after = await generateKey();
      const ms = await eachNode(
        "a key made after the restart works",
        async (node) => {
          await chat(node, after);
          expect((await readiness(node)).status).toBe("healthy");
        },
        { timeoutMs: RESYNC_MS },
      );
      for (const node of nodes) await chat(node, kept);
      await record(
        annotate,
        `nodes served ${served} requests while the control plane was down (at snapshot v${versionBefore}); a change made after its restart reached both in ${ms} ms`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "gives a node started late the whole snapshot, and lists it in `nodes`",
    async () => {
      const early = await generateKey();
      const revoked = await generateKey();
      await admin("/key/block", { key: revoked });

      const late = await cluster!.startNode("node-c");
      nodes.push(late);
      // It fetched the snapshot before it listened: no waiting for deltas.
      expect((await chat(late, early)).choices[0]?.message.content).toBe(REPLY);
      expect((await chat(late, MASTER, "added-later")).choices[0]?.message.content).toBe(
        "hi from the new model",
      );
      await expectRefused(late, revoked);

      await eventually(
        "every node is listed, in sync",
        async () => {
          const listed = await listNodes();
          expect(listed.map((n) => n.nodeId)).toEqual(["node-a", "node-b", "node-c"]);
          // The very snapshot the control plane has, not merely "no lag" (the lag is 0 too
          // for a node ahead of a restarted control plane).
          const version = (await readiness(controlPlane!)).snapshot.version;
          for (const n of listed) {
            expect(n).toMatchObject({ stale: false, lag: 0, snapshotVersion: version });
          }
        },
        { timeoutMs: RESYNC_MS, intervalMs: 250 },
      );
    },
    TEST_TIMEOUT_MS,
  );

  // --- helpers ---

  /** Polls `check` on every node at once; resolves with the time the slowest took. */
  async function eachNode(
    what: string,
    check: (node: ServerProcess) => Promise<unknown>,
    options: { timeoutMs?: number; intervalMs?: number } = { timeoutMs: PROPAGATION_MS },
  ): Promise<number> {
    try {
      const times = await Promise.all(
        nodes.map((node) => eventually(`${node.name}: ${what}`, () => check(node), options)),
      );
      return Math.max(...times);
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\n${cluster?.describe()}`,
      );
    }
  }

  async function generateKey(): Promise<string> {
    const data = await graphql<{ generateKey: { key?: string; message?: string } }>(
      `mutation { generateKey(input: { models: ["${MODEL}"] }) {
        ... on GeneratedKey { key }
        ... on Error { message }
      } }`,
    );
    const key = data.generateKey.key;
    if (key === undefined) throw new Error(`generateKey: ${data.generateKey.message}`);
    return key;
  }

  async function listNodes() {
    const data = await graphql<{
      nodes: { nodeId: string; snapshotVersion: number; lag: number; stale: boolean }[];
    }>("{ nodes { nodeId snapshotVersion lag stale } }");
    return data.nodes;
  }

  async function graphql<T>(query: string): Promise<T> {
    const res = await fetch(`${controlPlane?.origin}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (!res.ok || body.errors !== undefined || body.data === undefined) {
      throw new Error(
        `GraphQL: HTTP ${res.status} ${JSON.stringify(body)}\n${controlPlane?.process.describe()}`,
      );
    }
    return body.data;
  }

  async function admin(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${controlPlane?.origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (!res.ok) {
      throw new Error(
        `${path}: HTTP ${res.status} ${JSON.stringify(json)}\n${controlPlane?.process.describe()}`,
      );
    }
    return json;
  }
}

function chat(node: ServerProcess, key: string, model = MODEL) {
  return new OpenAI({
    apiKey: key,
    baseURL: `${node.origin}/v1`,
    maxRetries: 0,
    timeout: 10_000,
  }).chat.completions.create({ model, messages: [{ role: "user", content: "hello" }] });
}

async function expectRefused(node: ServerProcess, key: string): Promise<void> {
  await expect(chat(node, key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
}

interface Readiness {
  status: "healthy" | "stale" | "draining";
  snapshot: {
    version: number;
    stale: boolean;
    stale_reason: string | null;
    seconds_since_sync: number;
  };
}

async function readiness(node: ServerProcess): Promise<Readiness> {
  const res = await fetch(`${node.origin}/health/readiness`);
  return (await res.json()) as Readiness;
}

/** A timing, in the report (annotation) and on the console. */
async function record(annotate: TestContext["annotate"], text: string): Promise<void> {
  console.info(`cluster: ${text}`);
  await annotate(text);
}
