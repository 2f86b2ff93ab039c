import OpenAI, { APIError, AuthenticationError, InternalServerError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../../data-plane/providers/anthropic/index.js";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { UpstreamPools } from "../../../data-plane/upstream/pools.js";
import type { Deployment } from "../../../schema/snapshot.js";
import {
  type FakeAnthropic,
  fixtureJson,
  fixtureText,
  startFakeAnthropic,
} from "../../fakes/anthropic-upstream.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";

const MASTER = "sk-test-master";
const UPSTREAM_KEY = "sk-ant-test";
const WRONG_KEY = "sk-ant-wrong-0123456789";

let upstream: FakeAnthropic;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeAnthropic({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(`
model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-sonnet-20241022
      api_base: ${upstream.url}
      api_key: ${UPSTREAM_KEY}
      extra_headers:
        anthropic-beta: prompt-caching-2024-07-31
  - model_name: claude-wrong-key
    litellm_params:
      model: anthropic/claude-3-5-sonnet-20241022
      api_base: ${upstream.url}
      api_key: ${WRONG_KEY}
general_settings:
  master_key: ${MASTER}
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["city"],
    },
  },
} as const;

describe("Anthropic through the gateway, with the official openai SDK", () => {
  it("answers a chat request, sending Anthropic the body, key and headers it expects", async () => {
    upstream.script({ kind: "json", body: fixtureJson("chat.response.json") });
    const res = await client.chat.completions.create({
      model: "claude",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: "Answer in English." },
        { role: "user", content: "Hello, Claude" },
      ],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: "END",
      user: "user-42",
    });
    expect(res.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.model).toBe("claude-3-5-sonnet-20241022");
    expect(res.usage).toMatchObject({
      prompt_tokens: 24,
      completion_tokens: 10,
      total_tokens: 34,
      prompt_tokens_details: { cached_tokens: 8 },
    });
    const sent = upstream.requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/messages");
    expect(sent.body).toEqual(fixtureJson("chat.request.json"));
    expect(sent.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(sent.headers.authorization).toBeUndefined();
  });

  it("streams a chat answer without the usage chunk when not asked for it", async () => {
    upstream.script({ kind: "sse", text: fixtureText("chat.stream.sse") });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "Stream a greeting" }],
      stream: true,
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "Hello there, friend!",
    );
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(upstream.requests[0]?.body).toEqual(fixtureJson("chat.stream.request.json"));
  });

  it("streams a chat answer and ends with the usage chunk when include_usage is set", async () => {
    upstream.script({ kind: "sse", text: fixtureText("chat.stream.sse") });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "Stream a greeting" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 7,
      total_tokens: 27,
      prompt_tokens_details: { cached_tokens: 6 },
    });
    // Anthropic has no stream_options; the adapter builds the usage chunk itself.
    expect(upstream.requests[0]?.body).toEqual(fixtureJson("chat.stream.request.json"));
  });

  it("maps tools, images and tool_choice, and returns tool calls", async () => {
    upstream.script({ kind: "json", body: fixtureJson("tools.response.json") });
    const res = await client.chat.completions.create({
      model: "claude",
      messages: [
        { role: "system", content: "Use the tools when they help." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is the weather where this photo was taken, and in Tokyo?" },
            {
              type: "image_url",
              image_url: { url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" },
            },
            { type: "image_url", image_url: { url: "https://example.com/paris.jpg" } },
          ],
        },
      ],
      tools: [WEATHER, { type: "function", function: { name: "get_time" } }],
      tool_choice: "required",
      max_completion_tokens: 1024,
    });
    expect(upstream.requests[0]?.body).toEqual(fixtureJson("tools.request.json"));
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("The photo looks like Paris. Let me check both cities.");
    const calls = choice.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === "function" ? [c.id, c.function.name] : []))).toEqual([
      ["toolu_01Paris", "get_weather"],
      ["toolu_02Tokyo", "get_weather"],
    ]);
    const first = calls[0];
    expect(first?.type === "function" && JSON.parse(first.function.arguments)).toEqual({
      city: "Paris",
      unit: "celsius",
    });
    expect(res.usage?.total_tokens).toBe(608);
  });

  it("streams tool calls whose arguments reassemble into JSON, after a tool-result turn", async () => {
    upstream.script({ kind: "sse", text: fixtureText("tools.stream.sse") });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [
        { role: "user", content: "Weather in Paris, then the time in Tokyo?" },
        {
          role: "assistant",
          content: "Checking Paris.",
          tool_calls: [
            {
              id: "toolu_01Paris",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "toolu_01Paris", content: "18°C, cloudy" },
        { role: "user", content: "Now Tokyo, please." },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather for a city",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
            },
          },
        },
        {
          type: "function",
          function: {
            name: "get_time",
            description: "Local time in a city",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
            },
          },
        },
      ],
      tool_choice: "auto",
      parallel_tool_calls: false,
      stream: true,
    });
    let text = "";
    let finish: string | null | undefined;
    const calls: { id?: string; name?: string; args: string }[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      finish = choice?.finish_reason ?? finish;
      for (const d of choice?.delta.tool_calls ?? []) {
        const call = calls[d.index] ?? { args: "" };
        calls[d.index] = call;
        if (d.id !== undefined) call.id = d.id;
        if (d.function?.name !== undefined) call.name = d.function.name;
        call.args += d.function?.arguments ?? "";
      }
    }
    expect(upstream.requests[0]?.body).toEqual(fixtureJson("tools.stream.request.json"));
    expect(text).toBe("Paris is 18°C. Checking Tokyo.");
    expect(finish).toBe("tool_calls");
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.args)])).toEqual([
      ["toolu_03Weather", "get_weather", { city: "Tokyo" }],
      ["toolu_04Time", "get_time", { city: "Tokyo" }],
    ]);
  });

  it("turns a 529 overloaded_error into a 503 the SDK raises as InternalServerError", async () => {
    upstream.script({
      kind: "json",
      status: 529,
      body: fixtureJson("error.overloaded.json"),
      headers: { "retry-after": "2" },
    });
    const err: unknown = await client.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    const e = err as APIError;
    expect(e.status).toBe(503);
    expect(e.type).toBe("overloaded_error");
    expect(e.message).toContain("Overloaded");
    expect(e.headers?.get("retry-after")).toBe("2");
  });

  it("ends a stream with an error event when Anthropic sends one mid-stream", async () => {
    upstream.script({ kind: "sse", text: fixtureText("stream-error.sse") });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "tell a story" }],
      stream: true,
    });
    let text = "";
    const run = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(run()).rejects.toBeInstanceOf(APIError);
    expect(text).toBe("Once upon");
  });

  it("passes a 401 on as AuthenticationError, with the upstream key redacted", async () => {
    const err: unknown = await client.chat.completions
      .create({ model: "claude-wrong-key", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const e = err as APIError;
    expect(e.status).toBe(401);
    expect(e.type).toBe("authentication_error");
    expect(e.message).toContain("invalid x-api-key");
    expect(e.message).not.toContain(WRONG_KEY);
    expect(upstream.requests[0]?.headers["x-api-key"]).toBe(WRONG_KEY);
  });

  it("refuses completions and embeddings with a 400 naming the provider", async () => {
    const err: unknown = await client.embeddings
      .create({ model: "claude", input: "hi" })
      .catch((e: unknown) => e);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message).toContain('Provider "anthropic"');
    const err2: unknown = await client.completions
      .create({ model: "claude", prompt: "hi" })
      .catch((e: unknown) => e);
    expect((err2 as APIError).status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("Anthropic health check", () => {
  const deployment = (apiKey: string): Deployment => ({
    id: `health-${apiKey}`,
    modelName: "claude",
    provider: "anthropic",
    model: "claude-3-5-sonnet-20241022",
    apiBase: upstream.url,
    apiKey,
    timeoutMs: 5000,
    streamTimeoutMs: 5000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
  });

  it("lists models with the key, and reports a bad key as unhealthy", async () => {
    const pools = new UpstreamPools();
    try {
      const signal = AbortSignal.timeout(5000);
      expect(await anthropicProvider.healthCheck(deployment(UPSTREAM_KEY), pools, signal)).toEqual({
        healthy: true,
      });
      expect(upstream.requests[0]?.path).toBe("/v1/models?limit=1");
      const bad = await anthropicProvider.healthCheck(deployment(WRONG_KEY), pools, signal);
      expect(bad.healthy).toBe(false);
      expect(bad.error).toMatch(/^HTTP 401/);
      expect(bad.error).not.toContain(WRONG_KEY);
    } finally {
      await pools.stop();
    }
  });
});
