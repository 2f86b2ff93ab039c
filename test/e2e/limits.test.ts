import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-limits-master";

/** Collects what is POSTed to it (the soft-budget webhook). */
const alerts: unknown[] = [];
let webhook: Server;
let gw: TestGateway;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      alerts.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", r));
  const hookPort = (webhook.address() as AddressInfo).port;
  gw = await startTestGateway(`
model_list:
  - model_name: fast
    litellm_params: { model: mock/fast, mock_response: "four words of reply" }
  - model_name: slow
    litellm_params: { model: mock/slow, mock_response: "slow reply", mock_ttft_ms: 400 }
  - model_name: unpriced
    litellm_params: { model: openai/my-finetune, api_base: "http://127.0.0.1:1/v1" }
  - model_name: priced
    litellm_params: { model: mock/priced, mock_response: "a priced reply" }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_output_tokens: 10 }
general_settings:
  master_key: ${MASTER}
  alerting_webhook_url: http://127.0.0.1:${hookPort}/alerts
user_config:
  - user_id: paced-user
    user_role: app_user
    rpm_limit: 2
`);
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => webhook?.close(r));
});

async function admin<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${gw.origin}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function newKey(settings: Record<string, unknown>): Promise<string> {
  return (await admin<{ key: string }>("/key/generate", settings)).key;
}

function client(key: string) {
  return new OpenAI({ apiKey: key, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
}

function chat(key: string, model = "fast", extra: Record<string, unknown> = {}) {
  return client(key)
    .chat.completions.create({ model, messages: [{ role: "user", content: "hello" }], ...extra })
    .withResponse();
}

async function refusal(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error("the request was let through");
}

describe("rate limits", () => {
  it("counts a key's requests per minute, says what is left, and refuses past rpm_limit with a 429", async () => {
    const key = await newKey({ rpm_limit: 3 });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await chat(key);
      expect(response.headers.get("x-ratelimit-limit-requests")).toBe("3");
      remaining.push(response.headers.get("x-ratelimit-remaining-requests"));
      expect(response.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(s|ms)$/);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const err = await refusal(chat(key));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe("rate_limit_exceeded");
    expect(err.type).toBe("requests");
    expect(err.message).toMatch(/requests per minute \(RPM\): limit 3/);
    expect(Number(err.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(err.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  it("refuses past tpm_limit once the real tokens of earlier calls are counted", async () => {
    const key = await newKey({ tpm_limit: 120 });
    let admitted = 0;
    let err: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 20 && err === undefined; i++) {
      try {
        const { response } = await chat(key);
        expect(response.headers.get("x-ratelimit-limit-tokens")).toBe("120");
        admitted++;
      } catch (e) {
        if (!(e instanceof OpenAI.APIError)) throw e;
        err = e;
      }
    }
    expect(admitted).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err?.type).toBe("tokens");
    expect(err?.message).toMatch(/tokens per minute \(TPM\): limit 120/);
  });

  it("refuses a second request in parallel past max_parallel_requests, and admits it once the first is done", async () => {
    const key = await newKey({ max_parallel_requests: 1 });
    const first = chat(key, "slow");
    await new Promise((r) => setTimeout(r, 100));
    const err = await refusal(chat(key, "slow"));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toMatch(/max_parallel_requests/);
    await first;
    await expect(chat(key, "slow")).resolves.toBeDefined();
  });

  it("applies a user's limits (user_config) to every key of that user together", async () => {
    const a = await newKey({ user_id: "paced-user" });
    const b = await newKey({ user_id: "paced-user" });
    await chat(a);
    await chat(b);
    const err = await refusal(chat(a));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toMatch(/user paced-user/);
  });

  it("applies a team's limits to its members' keys", async () => {
    const team = await admin<{ team_id: string }>("/team/new", { rpm_limit: 1 });
    const key = await newKey({ team_id: team.team_id });
    await chat(key);
    const err = await refusal(chat(key));
    expect(err.message).toMatch(new RegExp(`team ${team.team_id}`));
  });

  it("does not rate limit the master key", async () => {
    const key = await newKey({ rpm_limit: 1 });
    await chat(key);
    for (let i = 0; i < 5; i++) await chat(MASTER);
    await refusal(chat(key));
  });
});

describe("budgets", () => {
  it("refuses with 400 budget_exceeded once a key's spend reaches max_budget, and reports the cost", async () => {
    // Each call: a few prompt tokens at $0.001 and 3 output tokens at $0.002.
    const key = await newKey({ max_budget: 0.03 });
    let spent = 0;
    let err: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 30 && err === undefined; i++) {
      try {
        const { response } = await chat(key, "priced");
        const cost = Number(response.headers.get("x-switchyard-response-cost"));
        expect(cost).toBeGreaterThan(0);
        spent += cost;
      } catch (e) {
        if (!(e instanceof OpenAI.APIError)) throw e;
        err = e;
      }
    }
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err?.code).toBe("budget_exceeded");
    expect(err?.message).toMatch(/Budget exceeded for key/);
    // Admitted while something was left: at most one call's cost beyond the budget.
    expect(spent).toBeGreaterThanOrEqual(0.03);
    expect(spent).toBeLessThan(0.03 + 0.05);
  });

  it("holds a budget under concurrency: in-flight reservations stop requests that could overspend", async () => {
    // Worst case per call: ~30 prompt tokens + 10 output tokens ≈ $0.05; real ≈ $0.02.
    const key = await newKey({ max_budget: 0.1 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => chat(key, "priced")));
    const costs = results.flatMap((r) =>
      r.status === "fulfilled"
        ? [Number(r.value.response.headers.get("x-switchyard-response-cost"))]
        : [],
    );
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    const total = costs.reduce((a, b) => a + b, 0);
    // Bound on one node: the budget plus the worst case of one request.
    expect(total).toBeLessThanOrEqual(0.1 + 0.06);
  });

  it("refuses every key of an organization's teams once the organization's budget is spent", async () => {
    const res = await fetch(`${gw.origin}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({
        query: `mutation { createOrganization(input: {organizationAlias: "acme", maxBudget: 0.005}) {
          ... on Organization { organizationId } ... on Error { message } } }`,
      }),
    });
    const org = ((await res.json()) as { data: { createOrganization: { organizationId: string } } })
      .data.createOrganization.organizationId;
    const team = await admin<{ team_id: string }>("/team/new", { organization_id: org });
    const first = await newKey({ team_id: team.team_id });
    const second = await newKey({ team_id: team.team_id });
    await chat(first, "priced");
    const err = await refusal(chat(second, "priced"));
    expect(err.code).toBe("budget_exceeded");
    expect(err.message).toMatch(new RegExp(`organization ${org}`));
  });

  it("resets a budget when its budget_duration window ends", async () => {
    const key = await newKey({ max_budget: 0.005, budget_duration: "3s" });
    await chat(key, "priced");
    const err = await refusal(chat(key, "priced"));
    expect(err.code).toBe("budget_exceeded");
    expect(err.message).toMatch(/resets at/);
    const deadline = Date.now() + 10_000;
    let admitted = false;
    while (!admitted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      admitted = await chat(key, "priced").then(
        () => true,
        () => false,
      );
    }
    expect(admitted).toBe(true);
  });

  it("sends one soft-budget alert per window to the webhook, however many requests cross it", async () => {
    const key = await newKey({ soft_budget: 0.02, key_alias: "soft-alerted" });
    for (let i = 0; i < 6; i++) await chat(key, "priced");
    const deadline = Date.now() + 5_000;
    const mine = () =>
      alerts.filter((a) =>
        (a as { subject: { kind: string; name: string } }).subject.name.startsWith("key "),
      );
    while (mine().length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toHaveLength(1);
    expect(mine()[0]).toMatchObject({ type: "soft_budget_crossed", soft_budget: 0.02 });
  });
});

describe("prices and metrics", () => {
  it("flags a model without a known price in /health and /metrics, and counts refusals", async () => {
    const health = (await (
      await fetch(`${gw.origin}/health`, { headers: { authorization: `Bearer ${MASTER}` } })
    ).json()) as { unpriced_models: { model: string; upstream_model: string }[] };
    const unpriced = health.unpriced_models.map((m) => m.model);
    expect(unpriced).toContain("unpriced");
    expect(unpriced).not.toContain("priced");
    expect(health.unpriced_models.find((m) => m.model === "unpriced")?.upstream_model).toBe(
      "openai/my-finetune",
    );

    const key = await newKey({ rpm_limit: 1 });
    await chat(key);
    await refusal(chat(key));
    const res = await fetch(`${gw.origin}/metrics`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/switchyard_deployment_unpriced\{model="unpriced",[^}]*\} 1/);
    expect(text).not.toMatch(/switchyard_deployment_unpriced\{model="priced"/);
    expect(text).toMatch(/switchyard_limit_refusals_total\{limit="rpm",subject="key"\} [1-9]/);
    expect(text).toMatch(/switchyard_limits_mode\{mode="local"\} 1/);

    const denied = await fetch(`${gw.origin}/metrics`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(denied.status).toBe(403);
  });
});
