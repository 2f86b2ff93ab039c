import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-router-master";
const USER = [{ role: "user" as const, content: "hi" }];

let fake: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;

/** One deployment of group `name` on the fake, sending upstream model `upstream`. */
function deployment(name: string, upstream: string, extra = ""): string {
  return `
  - model_name: ${name}
    litellm_params: { model: openai/${upstream}, api_base: "${fake.url}", api_key: sk-up${extra} }
    model_info: { id: ${upstream} }`;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway(`
model_list:${deployment("solo", "solo")}${deployment("ordered", "first", ", order: 1")}${deployment("ordered", "second", ", order: 2")}${deployment("backup", "backup")}${deployment("quick", "quick", ", timeout: 0.3, stream_timeout: 0.3")}${deployment("small", "small")}
    ${""}
  - model_name: tiny-window
    litellm_params: { model: openai/tiny, api_base: "${fake.url}", api_key: sk-up }
    model_info: { id: tiny, max_input_tokens: 40 }${deployment("big", "big")}${deployment("strict", "strict")}${deployment("safe", "safe")}${deployment("mapped", "mapped")}${deployment("mapped-fallback", "mapped-fallback")}${deployment("any", "any")}${deployment("last-resort", "last-resort")}${deployment("chain", "chain")}${deployment("chain-1", "chain-1")}${deployment("chain-2", "chain-2")}${deployment("policy", "policy")}${deployment("cool", "cool-a", ", order: 1")}${deployment("cool", "cool-b", ", order: 2")}${deployment("cool-fallback", "cool-fallback")}${deployment("cooled", "cooled-a")}${deployment("cooled", "cooled-b")}${deployment("cooled-2", "cooled-c")}${deployment("cooled-2", "cooled-d")}${deployment("parallel", "par-a", ", max_parallel_requests: 3")}${deployment("parallel", "par-b", ", max_parallel_requests: 3")}${deployment("tagged", "t-free", ", tags: [free]")}${deployment("two-levels", "tfo-a", ", order: 1")}${deployment("two-levels", "tfo-b", ", order: 2")}${deployment("tagged", "t-paid", ", tags: [paid]")}
  - model_name: "wild/*"
    litellm_params: { model: "openai/*", api_base: "${fake.url}", api_key: sk-up }
router_settings:
  num_retries: 2
  retry_policy: { AuthenticationErrorRetries: 0, ContentPolicyViolationErrorRetries: 1 }
  fallbacks: [{ quick: [backup] }, { chain: [chain-1, chain-2] }, { ordered: [backup] }, { cooled: [cooled-2] }]
  context_window_fallbacks: [{ small: [big] }, { tiny-window: [big] }]
  content_policy_fallbacks: [{ strict: [safe] }]
  default_fallbacks: [last-resort]
  max_fallbacks: 1
  model_group_alias: { gpt-4: solo }
  cooldown_time: 30
  enable_tag_filtering: true
fallback_mapping:
  mapped: [mapped-fallback]
general_settings:
  master_key: ${MASTER}
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

/** The upstream model of every request the fake received, in order. */
function attempts(): string[] {
  return fake.requests.map((r) => String((r.body as { model?: unknown }).model));
}

async function chat(model: string, extra: Record<string, unknown> = {}) {
  return client.chat.completions.create({ model, messages: USER, ...extra }).withResponse();
}

function header(
  err: InstanceType<typeof OpenAI.APIError>,
  name: string,
): string | null | undefined {
  return err.headers?.get(name);
}

async function failure(
  model: string,
  extra: Record<string, unknown> = {},
): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await client.chat.completions
    .create({ model, messages: USER, ...extra })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe("retries", () => {
  it("retries a 500 on the same deployment and says so in the headers", async () => {
    fake.script({ kind: "error", status: 500 });
    const { data, response } = await chat("solo");
    expect(data.choices[0]!.message.content).toBe("Echo: hi");
    expect(attempts()).toEqual(["solo", "solo"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("solo");
    expect(response.headers.get("x-switchyard-model-id")).toBe("solo");
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("1");
    expect(response.headers.get("x-switchyard-attempted-fallbacks")).toBe("0");
  });

  it("waits out the upstream's Retry-After before retrying the same deployment", async () => {
    fake.script({ kind: "error", status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    const { response } = await chat("solo");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(attempts()).toEqual(["solo", "solo"]);
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("1");
  });

  it("does not hang on a Retry-After longer than 30 s: falls back instead", async () => {
    fake.script({ kind: "error", status: 429, headers: { "retry-after": "120" } });
    const { response } = await chat("solo");
    expect(attempts()).toEqual(["solo", "last-resort"]);
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("0");
    expect(response.headers.get("x-switchyard-attempted-fallbacks")).toBe("1");
  });

  it("gives up after num_retries on each group and answers with the upstream's last error", async () => {
    // solo has no fallbacks of its own: default_fallbacks sends it to last-resort.
    fake.script(...Array.from({ length: 6 }, () => ({ kind: "error" as const, status: 503 })));
    const err = await failure("solo");
    expect(err.status).toBe(503);
    expect(attempts()).toEqual([
      "solo",
      "solo",
      "solo",
      "last-resort",
      "last-resort",
      "last-resort",
    ]);
    expect(header(err, "x-switchyard-attempted-retries")).toBe("4");
    expect(header(err, "x-switchyard-attempted-fallbacks")).toBe("1");
    expect(header(err, "x-switchyard-model-id")).toBe("last-resort");
  });

  it("retries a connection reset on the next deployment of the group", async () => {
    fake.script({ kind: "reset" });
    const { response } = await chat("ordered");
    expect(attempts()).toEqual(["first", "second"]);
    expect(response.headers.get("x-switchyard-model-id")).toBe("second");
  });

  it("does not retry an authentication error (AuthenticationErrorRetries: 0), and falls back", async () => {
    fake.script({ kind: "error", status: 401 });
    const { response } = await chat("ordered");
    // The 401 sends the request to the fallback group, not to another try of `ordered`.
    expect(attempts()).toEqual(["first", "backup"]);
    expect(response.headers.get("x-switchyard-attempted-fallbacks")).toBe("1");
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("0");
  });

  it("does not count the client's own 400s against a deployment", async () => {
    // allowed_fails is 3 per minute: five 400s in a row must not cool `tfo-a` down.
    fake.script(...Array.from({ length: 5 }, () => ({ kind: "error" as const, status: 400 })));
    for (let i = 0; i < 5; i++) expect((await failure("two-levels")).status).toBe(400);
    await chat("two-levels");
    expect(attempts()).toEqual(Array.from({ length: 6 }, () => "tfo-a"));
  });

  it("neither retries nor falls back on the client's own 400", async () => {
    fake.script({ kind: "error", status: 400 });
    const err = await failure("solo");
    expect(err.status).toBe(400);
    expect(attempts()).toEqual(["solo"]);
  });

  it("resolves model_group_alias names to their group", async () => {
    const { response } = await chat("gpt-4");
    expect(attempts()).toEqual(["solo"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("solo");
  });

  it("lists aliases with the models, and retrieves aliases and wildcard names", async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain("gpt-4");
    expect(ids).toContain("solo");
    expect((await client.models.retrieve("gpt-4")).id).toBe("gpt-4");
    expect((await client.models.retrieve("wild/anything")).id).toBe("wild/anything");
    await expect(client.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("timeouts", () => {
  it("times out a silent deployment, retries it, then falls back (504s never reach the client)", async () => {
    fake.script({ kind: "stall" }, { kind: "stall" }, { kind: "stall" });
    const { response } = await chat("quick");
    expect(attempts()).toEqual(["quick", "quick", "quick", "backup"]);
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("2");
    expect(response.headers.get("x-switchyard-attempted-fallbacks")).toBe("1");
  });

  it("answers 504 when the request's own timeout runs out", async () => {
    fake.script({ kind: "stall" }, { kind: "stall" }, { kind: "stall" });
    const err = await failure("solo", { timeout: 0.3 });
    expect(err.status).toBe(504);
    expect(header(err, "retry-after")).toBeNull();
    expect(err.message).toMatch(/Request timed out after 0.3s/);
    // The router's params never reach the upstream.
    expect(fake.requests[0]!.body).not.toHaveProperty("timeout");
  });

  it("falls back when a stream stalls before its first byte", async () => {
    fake.script({ kind: "stall" }, { kind: "stall" }, { kind: "stall" });
    const stream = await client.chat.completions.create({
      model: "quick",
      messages: USER,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Echo: hi");
    expect(attempts()).toEqual(["quick", "quick", "quick", "backup"]);
  });

  it("never retries a stream that died after its first byte: the client gets an error event", async () => {
    fake.script({ kind: "die-mid-stream", chunks: 2 });
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "solo", stream: true, messages: USER }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("part1");
    expect(text).toMatch(/data: \{"error":\{"message":"[^"]+"/);
    expect(text).not.toContain("[DONE]");
    expect(attempts()).toEqual(["solo"]);
  });
});

describe("fallbacks", () => {
  it("falls back on a context-length error via context_window_fallbacks", async () => {
    fake.script({
      kind: "error",
      status: 400,
      body: {
        error: {
          message: "This model's maximum context length is 16385 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      },
    });
    const { response } = await chat("small");
    expect(attempts()).toEqual(["small", "big"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("big");
    expect(response.headers.get("x-switchyard-attempted-retries")).toBe("0");
  });

  it("skips a group whose context window the prompt plainly exceeds (counted with a tokenizer)", async () => {
    const long = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    const { response } = await chat("tiny-window", { messages: [{ role: "user", content: long }] });
    expect(attempts()).toEqual(["big"]);
    expect(response.headers.get("x-switchyard-attempted-fallbacks")).toBe("1");
    const short = await chat("tiny-window");
    expect(short.response.headers.get("x-switchyard-model-group")).toBe("tiny-window");
  });

  it("retries a content-policy refusal once, then uses content_policy_fallbacks", async () => {
    const refusal = {
      kind: "error" as const,
      status: 400,
      body: {
        error: {
          message: "Your request was rejected by the safety system.",
          type: "invalid_request_error",
          param: null,
          code: "content_policy_violation",
        },
      },
    };
    fake.script(refusal, refusal);
    const { response } = await chat("strict");
    expect(attempts()).toEqual(["strict", "strict", "safe"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("safe");
  });

  it("follows the tutorial's fallback_mapping", async () => {
    fake.script(
      { kind: "error", status: 500 },
      { kind: "error", status: 500 },
      { kind: "error", status: 500 },
    );
    await chat("mapped");
    expect(attempts()).toEqual(["mapped", "mapped", "mapped", "mapped-fallback"]);
  });

  it("uses default_fallbacks for a group without its own", async () => {
    fake.script({ kind: "error", status: 401 });
    const { response } = await chat("any");
    expect(attempts()).toEqual(["any", "last-resort"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("last-resort");
  });

  it("tries no more than max_fallbacks groups", async () => {
    fake.script({ kind: "error", status: 401 }, { kind: "error", status: 401 });
    const err = await failure("chain");
    expect(err.status).toBe(401);
    expect(attempts()).toEqual(["chain", "chain-1"]);
    expect(header(err, "x-switchyard-attempted-fallbacks")).toBe("1");
  });

  it("takes the request's own fallbacks over the configured ones, and keeps them from the upstream", async () => {
    fake.script({ kind: "error", status: 401 });
    const { response } = await chat("any", { fallbacks: ["backup"] });
    expect(attempts()).toEqual(["any", "backup"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("backup");
    for (const r of fake.requests) expect(r.body).not.toHaveProperty("fallbacks");
  });
});

describe("cooldowns", () => {
  it("cools a deployment down at once on a 429, sending the next requests to the other", async () => {
    fake.script({ kind: "error", status: 429 });
    await chat("cool");
    expect(attempts()).toEqual(["cool-a", "cool-b"]);
    fake.reset();
    for (let i = 0; i < 5; i++) await chat("cool");
    expect(attempts()).toEqual(["cool-b", "cool-b", "cool-b", "cool-b", "cool-b"]);
    // /health says which deployment is out of rotation, and until when.
    const health = (await (
      await fetch(`${gw.origin}/health`, { headers: { authorization: `Bearer ${MASTER}` } })
    ).json()) as {
      healthy_endpoints: { model_id: string; routing: { cooling_down_until: string | null } }[];
    };
    const routing = (id: string) =>
      health.healthy_endpoints.find((e) => e.model_id === id)?.routing;
    expect(Date.parse(routing("cool-a")!.cooling_down_until!)).toBeGreaterThan(Date.now());
    expect(routing("cool-b")!.cooling_down_until).toBeNull();
  });

  it("answers 429 with Retry-After when every deployment of a group and its fallbacks is cooling down", async () => {
    // Both deployments of `cooled` and both of its fallback answer 429: all four cool down.
    fake.script(...Array.from({ length: 4 }, () => ({ kind: "error" as const, status: 429 })));
    const first = await failure("cooled");
    expect(first.status).toBe(429);
    expect(attempts().slice(0, 2).sort()).toEqual(["cooled-a", "cooled-b"]);
    expect(attempts().slice(2).sort()).toEqual(["cooled-c", "cooled-d"]);
    fake.reset();
    const err = await failure("cooled");
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/No deployments available for model cooled, retry in \d+ s/);
    expect(Number(header(err, "retry-after"))).toBeGreaterThan(0);
    expect(attempts()).toEqual([]);
  });
});

describe("model groups", () => {
  it("routes by the x-switchyard-tags header and by metadata.tags", async () => {
    for (let i = 0; i < 10; i++) {
      await client.chat.completions.create(
        { model: "tagged", messages: USER },
        { headers: { "x-switchyard-tags": "paid" } },
      );
      await chat("tagged", { metadata: { tags: ["free"] } });
    }
    expect(attempts()).toEqual(Array.from({ length: 10 }, () => ["t-paid", "t-free"]).flat());
    // Routing tags are the gateway's: OpenAI's `metadata` takes only string values.
    for (const r of fake.requests) expect(r.body).not.toHaveProperty("metadata");
  });

  it("refuses a tagged request no deployment can serve", async () => {
    const err = await failure("tagged", { metadata: { tags: ["enterprise"] } });
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/No deployment of model tagged carries/);
    expect(attempts()).toEqual([]);
  });

  it("serves any name a wildcard group matches, sending the matched part upstream", async () => {
    const { data, response } = await chat("wild/some-model");
    expect(data.choices[0]!.message.content).toBe("Echo: hi");
    expect(attempts()).toEqual(["some-model"]);
    expect(response.headers.get("x-switchyard-model-group")).toBe("wild/some-model");
  });
});

describe("deployment limits", () => {
  it("never runs more than max_parallel_requests at once on a deployment; the rest get 429", async () => {
    fake.script(...Array.from({ length: 20 }, () => ({ kind: "delay" as const, ms: 1_000 })));
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        // `fallbacks: []` keeps default_fallbacks out of it.
        chat("parallel", { fallbacks: [] }).then(
          () => "ok",
          (e: unknown) => e,
        ),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(6);
    const refused = results.filter((r) => r !== "ok") as InstanceType<typeof OpenAI.APIError>[];
    for (const err of refused) {
      expect(err.status).toBe(429);
      expect(err.message).toMatch(/No deployments available for model parallel/);
    }
    expect(attempts().filter((m) => m === "par-a")).toHaveLength(3);
    expect(attempts().filter((m) => m === "par-b")).toHaveLength(3);
  });
});
