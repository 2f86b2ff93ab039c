import { readFileSync } from "node:fs";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { geminiProvider } from "../../../data-plane/providers/gemini/index.js";
import { UpstreamPools } from "../../../data-plane/upstream/pools.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { type FakeGemini, startFakeGemini } from "../../fakes/gemini-upstream.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";

const FIXTURES = new URL("../../fixtures/gemini/", import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const fixture = (name: string) => JSON.parse(fixtureText(name)) as Record<string, unknown>;

const KEY = "test-key";

let gemini: FakeGemini;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  gemini = await startFakeGemini({ apiKey: KEY });
  gw = await startTestGateway(`
model_list:
  - model_name: gemini-flash
    litellm_params:
      model: gemini/gemini-1.5-flash
      api_base: ${gemini.url}
      api_key: ${KEY}
  - model_name: gemini-drop
    litellm_params:
      model: gemini/gemini-1.5-flash
      api_base: ${gemini.url}
      api_key: ${KEY}
      drop_params: true
  - model_name: gemini-embed
    litellm_params:
      model: gemini/text-embedding-004
      api_base: ${gemini.url}
      api_key: ${KEY}
`);
  client = new OpenAI({ apiKey: "sk-anything", baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await gemini?.stop();
});

beforeEach(() => gemini.reset());

const sent = (i = 0) => gemini.requests[i]!;

describe("gemini through the gateway with the official openai SDK", () => {
  it("answers a chat request, sending Gemini the exact body and the key in x-goog-api-key", async () => {
    gemini.reply({ json: fixture("chat.gemini-response.json") });
    const res = await client.chat.completions.create({
      model: "gemini-flash",
      ...fixture("chat.openai-request.json"),
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(res.choices[0]?.message.content).toBe("Hello!");
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage).toMatchObject({
      prompt_tokens: 271,
      completion_tokens: 2,
      total_tokens: 273,
      prompt_tokens_details: { cached_tokens: 256 },
    });
    expect(sent().method).toBe("POST");
    expect(sent().path).toBe("/v1beta/models/gemini-1.5-flash:generateContent");
    expect(sent().headers["x-goog-api-key"]).toBe(KEY);
    expect(sent().headers.authorization).toBeUndefined();
    expect(sent().body).toEqual(fixture("chat.gemini-request.json"));
  });

  it("streams a chat answer with the usage chunk when include_usage is set", async () => {
    gemini.reply({ sse: fixtureText("stream-text.sse") });
    const stream = await client.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "greet me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    const finishes: (string | null | undefined)[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finishes.push(chunk.choices[0]?.finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello there, friend.");
    expect(finishes).toContain("stop");
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 });
    expect(sent().path).toBe("/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse");
    expect(sent().body).toEqual({
      contents: [{ role: "user", parts: [{ text: "greet me" }] }],
    });
  });

  it("withholds the usage chunk from a stream client that did not ask", async () => {
    gemini.reply({ sse: fixtureText("stream-text.sse") });
    const stream = await client.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "greet me" }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length > 0 && !c.usage)).toBe(true);
  });

  it("maps tools and tool results in, and function calls out as tool_calls", async () => {
    gemini.reply({ json: fixture("tools.gemini-response.json") });
    const res = await client.chat.completions.create({
      model: "gemini-flash",
      ...fixture("tools.openai-request.json"),
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(sent().body).toEqual(fixture("tools.gemini-request.json"));
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const calls = (choice.message.tool_calls ??
      []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["get_weather", { city: "Oslo", unit: "celsius" }],
      ["get_time", {}],
    ]);
    expect(calls.every((c) => c.id.startsWith("call_") && c.type === "function")).toBe(true);
  });

  it("streams function calls as tool_call deltas the SDK can assemble", async () => {
    gemini.reply({ sse: fixtureText("stream-tools.sse") });
    const stream = await client.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "weather and time" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
        { type: "function", function: { name: "get_time" } },
      ],
      stream: true,
    });
    const calls = new Map<number, { id?: string; name: string; args: string }>();
    let finish: string | null | undefined;
    let text = "";
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      for (const d of choice?.delta.tool_calls ?? []) {
        const c = calls.get(d.index) ?? { name: "", args: "" };
        if (d.id) c.id = d.id;
        c.name += d.function?.name ?? "";
        c.args += d.function?.arguments ?? "";
        calls.set(d.index, c);
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(text).toBe("Checking.");
    expect([...calls.values()].map((c) => [c.name, JSON.parse(c.args)])).toEqual([
      ["get_weather", { city: "Oslo" }],
      ["get_time", {}],
    ]);
    expect(finish).toBe("tool_calls");
    expect((sent().body as { tools: unknown }).tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
          { name: "get_time" },
        ],
      },
    ]);
  });

  it("raises BadRequestError with code content_policy_violation when Gemini blocks", async () => {
    gemini.reply(
      { json: fixture("blocked-prompt.gemini-response.json") },
      { sse: fixtureText("stream-blocked.sse") },
    );
    const plain = await client.chat.completions
      .create({ model: "gemini-flash", messages: [{ role: "user", content: "bad" }] })
      .catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(OpenAI.BadRequestError);
    expect((plain as APIError).code).toBe("content_policy_violation");

    const streamed = await (async () => {
      const stream = await client.chat.completions.create({
        model: "gemini-flash",
        messages: [{ role: "user", content: "bad" }],
        stream: true,
      });
      for await (const _ of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((streamed as APIError).code).toBe("content_policy_violation");
  });

  it("embeds with the SDK's default base64 encoding and with floats", async () => {
    const response = fixture("embed.gemini-response.json") as {
      embeddings: { values: number[] }[];
    };
    gemini.reply({ json: response }, { json: response });
    const b64 = await client.embeddings.create({
      model: "gemini-embed",
      input: ["first text", "second text"],
      dimensions: 4,
    });
    expect(sent().path).toBe("/v1beta/models/text-embedding-004:batchEmbedContents");
    expect(sent().body).toEqual(fixture("embed.gemini-request.json"));
    expect(b64.data).toHaveLength(2);
    for (const [i, d] of b64.data.entries()) {
      const expected = response.embeddings[i]!.values;
      expect(d.embedding).toHaveLength(4);
      for (const [j, v] of d.embedding.entries()) expect(v).toBeCloseTo(expected[j]!, 6);
    }

    const floats = await client.embeddings.create({
      model: "gemini-embed",
      input: "first text",
      encoding_format: "float",
    });
    expect(floats.data[0]?.embedding).toEqual(response.embeddings[0]!.values);
    expect(sent(1).body).toEqual({
      requests: [
        { model: "models/text-embedding-004", content: { parts: [{ text: "first text" }] } },
      ],
    });
  });

  it("passes a 429 through with Retry-After, and the SDK's retry then succeeds", async () => {
    gemini.reply({ status: 429, json: fixture("error-429.gemini-response.json") });
    const err = await client.chat.completions
      .create({ model: "gemini-flash", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiErr = err as APIError;
    expect(apiErr.headers?.get("retry-after")).toBe("2");
    expect(apiErr.message).not.toMatch(/AIza/);

    gemini.reset();
    gemini.reply(
      {
        status: 429,
        headers: { "retry-after": "0" },
        json: { error: { code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED" } },
      },
      { json: fixture("chat.gemini-response.json") },
    );
    const retrying = client.withOptions({ maxRetries: 1 });
    const res = await retrying.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.choices[0]?.message.content).toBe("Hello!");
    expect(gemini.requests).toHaveLength(2);
  });

  it("passes Gemini's 400 through as BadRequestError with its message", async () => {
    gemini.reply({ status: 400, json: fixture("error-400.gemini-response.json") });
    const err = await client.chat.completions
      .create({ model: "gemini-flash", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).message).toContain("contents is not specified");
  });

  it("refuses a param Gemini cannot honour with a 400 naming it, and drops it with drop_params", async () => {
    const request = {
      messages: [{ role: "user" as const, content: "hi" }],
      logit_bias: { "50256": -100 },
    };
    const err = (await client.chat.completions
      .create({ model: "gemini-flash", ...request })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(400);
    expect(err.param).toBe("logit_bias");
    expect(err.code).toBe("unsupported_parameter");
    expect(err.message).toContain("logit_bias is not supported by provider gemini");
    expect(gemini.requests).toHaveLength(0);

    gemini.reply({ json: fixture("chat.gemini-response.json") });
    const res = await client.chat.completions.create({ model: "gemini-drop", ...request });
    expect(res.choices[0]?.message.content).toBe("Hello!");
    expect(JSON.stringify(sent().body)).not.toContain("50256");
  });

  it("refuses legacy completions without calling Gemini", async () => {
    const err = await client.completions
      .create({ model: "gemini-flash", prompt: "hi" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).message).toContain("not supported by provider gemini");
    expect(gemini.requests).toHaveLength(0);
  });
});

describe("gemini health check", () => {
  function deployment(apiKey: string): Deployment {
    return {
      id: "gemini-health",
      modelName: "gemini-flash",
      provider: "gemini",
      model: "gemini-1.5-flash",
      apiBase: gemini.url,
      apiKey,
      timeoutMs: 5_000,
      streamTimeoutMs: 5_000,
      weight: 1,
      extraHeaders: {},
      modelInfo: {},
    };
  }

  it("lists models with the key header, and reports a refused key as unhealthy", async () => {
    const pools = new UpstreamPools();
    try {
      const ok = await geminiProvider.healthCheck(
        deployment(KEY),
        pools,
        AbortSignal.timeout(5000),
      );
      expect(ok).toEqual({ healthy: true });
      expect(sent()).toMatchObject({ method: "GET", path: "/v1beta/models" });
      expect(sent().headers["x-goog-api-key"]).toBe(KEY);
      const bad = await geminiProvider.healthCheck(
        deployment("wrong-key"),
        pools,
        AbortSignal.timeout(5000),
      );
      expect(bad.healthy).toBe(false);
      expect(bad.error).toContain("HTTP 400: API key not valid");
    } finally {
      await pools.stop();
    }
  });
});
