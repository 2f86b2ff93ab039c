import { type Client, createClient } from "graphql-ws";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-spend-master";
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(`
model_list:
  - model_name: priced
    litellm_params: { model: mock/priced, mock_response: "a priced reply of six words" }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_output_tokens: 50 }
  - model_name: slow-stream
    litellm_params:
      model: mock/slow
      mock_response: "${"word ".repeat(200).trim()}"
      mock_tokens_per_second: 40
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
general_settings:
  master_key: ${MASTER}
`);
});

afterAll(async () => {
  await gw?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
type Json = any;

async function call(method: string, path: string, body?: unknown, key = MASTER) {
  const res = await fetch(`${gw.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Polls `read` until `done` holds of its value (generous deadline, no timing assumed). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("spend tracking (embedded)", () => {
  let userKey: string;

  beforeAll(async () => {
    await call("POST", "/team/new", { team_id: "spend-team" });
    const user = await call("POST", "/user/new", { user_id: "spend-user", auto_create_key: false });
    expect(user.status).toBe(200);
    const key = await call("POST", "/key/generate", {
      user_id: "spend-user",
      team_id: "spend-team",
    });
    expect(key.status).toBe(200);
    userKey = key.body.key;
  });

  it("records every request once; logs, key, user, team, daily and global totals agree", async () => {
    const client = new OpenAI({ apiKey: userKey, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
    const n = 40;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.chat.completions.create(
          {
            model: "priced",
            messages: [{ role: "user", content: `hello ${i}` }],
            user: "end-user-7",
            metadata: { tags: ["from-body"] },
          } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
          { headers: { "x-switchyard-tags": "batch-a, shared" } },
        ),
      ),
    );
    const logs = await until(
      () => call("GET", "/spend/logs?user_id=spend-user&limit=1000"),
      (r) => r.body.length >= n,
    );
    expect(logs.body).toHaveLength(n);
    const row = logs.body[0];
    expect(row).toMatchObject({
      call_type: "acompletion",
      model: "priced",
      model_group: "priced",
      custom_llm_provider: "mock",
      user: "spend-user",
      end_user: "end-user-7",
      team_id: "spend-team",
      status: "success",
      cache_hit: "false",
      request_tags: ["batch-a", "shared", "from-body"],
    });
    expect(row.api_key).toMatch(/^[0-9a-f]{64}$/);
    expect(row.metadata.messages).toBeUndefined();
    expect(Date.parse(row.endTime)).toBeGreaterThanOrEqual(Date.parse(row.startTime));
    const sum = logs.body.reduce((s: number, r: Json) => s + r.spend, 0);
    expect(sum).toBeGreaterThan(0);

    const userSpend = await call("GET", "/user/spend", undefined, userKey);
    expect(userSpend.status).toBe(200);
    expect(userSpend.body.total_spend).toBeCloseTo(sum, 10);
    const keyRow = await gw.gateway.controlPlane.db.virtualKey.findFirstOrThrow({
      where: { userId: "spend-user" },
    });
    expect(keyRow.spend).toBeCloseTo(sum, 10);
    const team = await gw.gateway.controlPlane.db.team.findUniqueOrThrow({
      where: { teamId: "spend-team" },
    });
    expect(team.spend).toBeCloseTo(sum, 10);
    const daily = await gw.gateway.controlPlane.db.dailySpend.aggregate({
      where: { teamId: "spend-team" },
      _sum: { spend: true, requests: true },
    });
    expect(daily._sum.requests).toBe(n);
    expect(daily._sum.spend).toBeCloseTo(sum, 10);
    const global = await call("GET", "/global/spend");
    expect(global.status).toBe(200);
    expect(global.body.spend).toBeGreaterThanOrEqual(sum - 1e-9);
  });

  it("bills an aborted stream for what was produced", async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${userKey}`,
        "content-type": "application/json",
        "x-switchyard-tags": "aborted-stream",
      },
      body: JSON.stringify({
        model: "slow-stream",
        stream: true,
        messages: [{ role: "user", content: "go" }],
      }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let chunks = 0;
    while (chunks < 5) {
      const { value } = await reader.read();
      chunks += new TextDecoder().decode(value).split("data: ").length - 1;
    }
    controller.abort();
    const logs = await until(
      () => call("GET", "/spend/logs?tags=aborted-stream"),
      (r) => r.body.length >= 1,
    );
    expect(logs.body).toHaveLength(1);
    const row = logs.body[0];
    expect(row.status).toBe("aborted");
    expect(row.completion_tokens).toBeGreaterThanOrEqual(3);
    expect(row.completion_tokens).toBeLessThan(200);
    expect(row.spend).toBeCloseTo(row.completion_tokens * 0.002, 10);
  });

  it("REST: /global/spend is for admins; /user/reset_budget zeroes spend and starts a new window", async () => {
    expect((await call("GET", "/global/spend", undefined, userKey)).status).toBe(403);
    const before = Date.now();
    const reset = await call("POST", "/user/reset_budget", { user_id: "spend-user" });
    expect(reset.status).toBe(200);
    expect(reset.body.spend).toBe(0);
    expect(Date.parse(reset.body.budget_reset_at)).toBeGreaterThanOrEqual(before - 1000);
    expect((await call("GET", "/user/spend", undefined, userKey)).body.total_spend).toBe(0);
    // A non-admin sees only its own rows.
    const own = await call("GET", "/spend/logs?user_id=someone-else", undefined, userKey);
    expect(own.status).toBe(200);
    expect(own.body).toEqual([]);
  });
});

describe("budget reset", () => {
  it("/user/reset_budget lets a user over budget back in: nodes start a new window", async () => {
    await call("POST", "/user/new", {
      user_id: "capped-user",
      auto_create_key: false,
      max_budget: 0.001,
    });
    const made = await call("POST", "/key/generate", { user_id: "capped-user" });
    const client = new OpenAI({ apiKey: made.body.key, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
    const ask = () =>
      client.chat.completions
        .create({ model: "priced", messages: [{ role: "user", content: "hi" }] })
        .then(
          () => 200,
          (err: { status?: number }) => err.status ?? 0,
        );
    expect(await ask()).toBe(200);
    expect(await ask()).toBe(400);
    await until(
      () => call("GET", "/spend/logs?user_id=capped-user"),
      (r) => r.body.length >= 2,
    );
    const reset = await call("POST", "/user/reset_budget", { user_id: "capped-user" });
    expect(reset.status).toBe(200);
    expect(await ask()).toBe(200);
  });
});

describe("live spend over graphql-transport-ws", () => {
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.dispose();
  });

  function subscribe(key: string, query: string) {
    const client = createClient({
      url: `${gw.origin.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const results: Json[] = [];
    const errors: unknown[] = [];
    client.subscribe<Json>(
      { query },
      { next: (r) => results.push(r), error: (e) => errors.push(e), complete: () => {} },
    );
    return { results, errors };
  }

  it("pushes each request's cost and the key's running total, in order; budget crossings too", async () => {
    const made = await call("POST", "/key/generate", { soft_budget: 0.05, max_budget: 1000 });
    const keyRow = await gw.gateway.controlPlane.db.virtualKey.findFirstOrThrow({
      where: { keyName: made.body.key_name },
    });
    const sub = subscribe(
      MASTER,
      `subscription { spendUpdated(keyId: "${keyRow.id}") { requestId spend keyTotal model status } }`,
    );
    const alerts = subscribe(
      MASTER,
      "subscription { budgetAlert { level subject id spend budget } }",
    );
    const client = new OpenAI({ apiKey: made.body.key, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({
        model: "priced",
        messages: [{ role: "user", content: "hi" }],
      });
    // The subscription is live once a request's update arrives.
    let warmups = 0;
    await until(
      async () => {
        await ask();
        warmups++;
        return sub.results.length;
      },
      (n) => n > 0,
    );
    const logIds = async () =>
      (await call("GET", `/spend/logs?key_id=${keyRow.id}&limit=1000`)).body.map(
        (r: Json) => r.request_id,
      ) as string[];
    const warmIds = new Set(await until(logIds, (ids) => ids.length >= warmups));
    const n = 25;
    await Promise.all(Array.from({ length: n }, ask));
    const updates = await until(
      async () => sub.results.map((r) => r.data.spendUpdated),
      (u) => u.filter((x: Json) => !warmIds.has(x.requestId)).length >= n,
    );
    const fresh = updates.filter((x: Json) => !warmIds.has(x.requestId));
    expect(fresh).toHaveLength(n);
    expect(new Set(fresh.map((u: Json) => u.requestId))).toEqual(
      new Set((await logIds()).filter((id) => !warmIds.has(id))),
    );
    expect(sub.errors).toEqual([]);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i].keyTotal).toBeCloseTo(updates[i - 1].keyTotal + updates[i].spend, 10);
    }
    const total = (
      await gw.gateway.controlPlane.db.virtualKey.findUniqueOrThrow({
        where: { id: keyRow.id },
      })
    ).spend;
    expect(updates.at(-1).keyTotal).toBeCloseTo(total, 10);
    expect(new Set(updates.map((u: Json) => u.requestId)).size).toBe(updates.length);
    const soft = await until(
      async () => alerts.results.map((r) => r.data.budgetAlert),
      (a) => a.some((x: Json) => x.id === keyRow.id),
    );
    expect(soft.filter((x: Json) => x.id === keyRow.id)).toEqual([
      { level: "soft", subject: "key", id: keyRow.id, spend: expect.any(Number), budget: 0.05 },
    ]);
  });

  it("refuses to follow another user's spend", async () => {
    const other = await call("POST", "/key/generate", {});
    const sub = subscribe(
      other.body.key,
      `subscription { spendUpdated(userId: "spend-user") { spend } }`,
    );
    const answered = await until(
      async () => sub.results.length + sub.errors.length,
      (x) => x > 0,
    );
    expect(answered).toBeGreaterThan(0);
    const first = sub.results[0] ?? {};
    expect(JSON.stringify(first.errors ?? sub.errors)).toMatch(/admins/i);
  });
});
