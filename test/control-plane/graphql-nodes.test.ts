import type { FormattedExecutionResult } from "graphql";
import { type Client, createClient } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { busChannels } from "../../bus/channels.js";
import { InProcessBus } from "../../bus/in-process-bus.js";
import type { ChangeEvent, ControlPlane } from "../../control-plane/control-plane.js";
import { NodeRegistry } from "../../control-plane/nodes/node-registry.js";
import type { NodeHeartbeat } from "../../schema/bus-messages.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-master-graphql-nodes-test";
const CONFIG_CHANGED = "subscription { configChanged { version change at } }";

interface GraphQLAnswer {
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary answer shapes.
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

let gw: TestGateway;
let cp: ControlPlane;
/** `configChanged` listeners the control plane holds right now. */
let listeners = 0;
/** A key of an internal_user (not an admin). */
let userKey = "";
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startTestGateway(`
model_list:
  - model_name: m
    litellm_params: { model: mock/m, mock_response: "hi" }
general_settings:
  master_key: ${MASTER}
`);
  cp = gw.gateway.controlPlane;
  // Count live listeners by wrapping onChange and its unsubscribe.
  const onChange = cp.onChange.bind(cp);
  vi.spyOn(cp, "onChange").mockImplementation((listener: (event: ChangeEvent) => void) => {
    const off = onChange(listener);
    listeners++;
    let removed = false;
    return () => {
      if (!removed) listeners--;
      removed = true;
      return off();
    };
  });
  const user = await gql(
    `mutation { createUser(input: { userId: "nodes-alice", userRole: INTERNAL_USER }) { __typename } }`,
  );
  expect(user.data.createUser.__typename).toBe("User");
  const key = await gql(
    `mutation { generateKey(input: { userId: "nodes-alice" }) { ... on GeneratedKey { key } } }`,
  );
  userKey = key.data.generateKey.key;
  expect(userKey).toMatch(/^sk-/);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await gw?.stop();
});

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  key = MASTER,
): Promise<GraphQLAnswer> {
  const res = await fetch(`${gw.origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLAnswer;
}

function wsClient(connectionParams: Record<string, unknown>): Client {
  const client = createClient({
    url: `${gw.origin.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

/** Subscribes and records what arrives; `ended` settles on complete or error. */
function record(client: Client, query: string) {
  const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  let unsubscribe = () => {};
  const ended = new Promise<unknown>((resolve) => {
    unsubscribe = client.subscribe<Record<string, unknown>>(
      { query },
      {
        next: (r) => results.push(r),
        error: (err) => resolve(err),
        complete: () => resolve(undefined),
      },
    );
  });
  return { results, ended, unsubscribe };
}

describe("configChanged over graphql-transport-ws", () => {
  it("streams each committed change to an admin, in order, and lets go when the client leaves", async () => {
    const client = wsClient({ authorization: `Bearer ${MASTER}` });
    const sub = record(client, CONFIG_CHANGED);
    // The subscription is live once the control plane holds its listener.
    await vi.waitFor(() => expect(listeners).toBe(1));

    const created = await gql(
      `mutation { createUser(input: { userId: "nodes-bob" }) { __typename } }`,
    );
    expect(created.data.createUser.__typename).toBe("User");
    const generated = await gql(
      `mutation { generateKey(input: { userId: "nodes-bob" }) { __typename } }`,
    );
    expect(generated.data.generateKey.__typename).toBe("GeneratedKey");

    await vi.waitFor(() => expect(sub.results).toHaveLength(2));
    const events = sub.results.map((r) => {
      expect(r.errors).toBeUndefined();
      return r.data?.configChanged as { version: number; change: string; at: string };
    });
    expect(events.map((e) => e.change)).toEqual(["user.create", "key.generate"]);
    const [first, second] = events as [(typeof events)[0], (typeof events)[0]];
    expect(second.version).toBe(first.version + 1);
    expect(second.version).toBe(cp.snapshot().version);
    expect(new Date(first.at).toISOString()).toBe(first.at);

    await client.dispose();
    await vi.waitFor(() => expect(listeners).toBe(0));
  });

  it("accepts the key as connectionParams.apiKey too", async () => {
    const client = wsClient({ apiKey: MASTER });
    const sub = record(client, CONFIG_CHANGED);
    await vi.waitFor(() => expect(listeners).toBe(1));
    await gql(
      `mutation { updateUser(userId: "nodes-bob", input: { maxBudget: 5 }) { __typename } }`,
    );
    await vi.waitFor(() => expect(sub.results).toHaveLength(1));
    expect(sub.results[0]?.data?.configChanged).toMatchObject({ change: "user.update" });
    // Unsubscribing one operation (the socket stays open) lets go too.
    sub.unsubscribe();
    await vi.waitFor(() => expect(listeners).toBe(0));
    await client.dispose();
  });

  it("refuses the subscription to an internal_user's key", async () => {
    const client = wsClient({ authorization: `Bearer ${userKey}` });
    const sub = record(client, CONFIG_CHANGED);
    const err = await sub.ended;
    const errors = err === undefined ? sub.results[0]?.errors : (err as GraphQLAnswer["errors"]);
    expect(errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(errors?.[0]?.message).toMatch(/proxy admin/);
    expect(sub.results.every((r) => r.data == null)).toBe(true);
    expect(listeners).toBe(0);
    await client.dispose();
  });

  it("refuses the connection to a key it does not know", async () => {
    const client = wsClient({ authorization: "Bearer sk-not-a-key" });
    const sub = record(client, CONFIG_CHANGED);
    const err = (await sub.ended) as { code?: number };
    expect(err.code).toBe(4403);
    expect(listeners).toBe(0);
  });

  it("answers a syntax error without closing the socket", async () => {
    const client = wsClient({ authorization: `Bearer ${MASTER}` });
    const bad = record(client, "subscription { configChanged {");
    const err = (await bad.ended) as GraphQLAnswer["errors"];
    expect(err?.[0]?.message).toMatch(/Syntax Error/);
    const good = record(client, "{ nodes { nodeId } }");
    await good.ended;
    expect(good.results[0]).toEqual({ data: { nodes: [] } });
    await client.dispose();
  });
});

describe("plain HTTP beside the websocket route", () => {
  it("still answers GET /graphql (queries and GraphiQL)", async () => {
    const query = encodeURIComponent("{ nodes { nodeId } }");
    const res = await fetch(`${gw.origin}/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${MASTER}`, accept: "application/json" },
    });
    expect(await res.json()).toEqual({ data: { nodes: [] } });
    const page = await fetch(`${gw.origin}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
  });
});

describe("configChanged over SSE", () => {
  it("streams a change to an admin and lets go when the request is aborted", async () => {
    const abort = new AbortController();
    const res = await fetch(`${gw.origin}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${MASTER}`,
      },
      body: JSON.stringify({ query: CONFIG_CHANGED }),
      signal: abort.signal,
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    await vi.waitFor(() => expect(listeners).toBe(1));
    await gql(`mutation { deleteUser(userId: "nodes-bob") { __typename } }`);

    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("user.delete")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toMatch(/"change":"user.delete"/);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await vi.waitFor(() => expect(listeners).toBe(0));
  });
});

describe("nodes", () => {
  const NODES = "{ nodes { nodeId address snapshotVersion lag stale lastSyncAt lastHeartbeat } }";

  it("is empty when embedded (no node registry)", async () => {
    expect(cp.nodes).toBeUndefined();
    expect(await gql(NODES)).toEqual({ data: { nodes: [] } });
  });

  it("lists the nodes heard on the bus, with how far behind each is", async () => {
    const bus = new InProcessBus({ logger: pino({ level: "silent" }) });
    await bus.start();
    const channels = busChannels(`test-${process.pid}-`);
    const registry = new NodeRegistry(bus, channels.nodes, () => cp.snapshot().version);
    await registry.start();
    cp.nodes = registry;
    try {
      const latest = cp.snapshot().version;
      expect(latest).toBeGreaterThan(2);
      const now = Date.now();
      const beat: NodeHeartbeat = {
        nodeId: "node-1",
        address: "10.0.0.7:4000",
        version: latest - 2,
        stale: true,
        lastSyncAt: now - 5_000,
        at: now,
      };
      await bus.publish(channels.nodes, JSON.stringify(beat));
      await vi.waitFor(() => expect(registry.list()).toHaveLength(1));

      expect(await gql(NODES)).toEqual({
        data: {
          nodes: [
            {
              nodeId: "node-1",
              address: "10.0.0.7:4000",
              snapshotVersion: latest - 2,
              lag: 2,
              stale: true,
              lastSyncAt: new Date(now - 5_000).toISOString(),
              lastHeartbeat: new Date(now).toISOString(),
            },
          ],
        },
      });
      const refused = await gql(NODES, {}, userKey);
      expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      cp.nodes = undefined;
      await registry.stop();
      await bus.stop();
    }
  });
});
