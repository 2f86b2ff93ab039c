import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import {
  batchEmbedRequest,
  embeddingsList,
  float32Base64,
} from "../../../data-plane/providers/gemini/embeddings.js";
import { geminiError, geminiHttpError } from "../../../data-plane/providers/gemini/errors.js";
import {
  GENERATION_PARAMS,
  generationConfig,
} from "../../../data-plane/providers/gemini/params.js";
import { geminiChatRequest } from "../../../data-plane/providers/gemini/request.js";
import {
  blockedError,
  chatCompletion,
  FINISH_REASONS,
  finishReason,
} from "../../../data-plane/providers/gemini/response.js";
import { geminiSchema } from "../../../data-plane/providers/gemini/schema.js";
import { geminiStream } from "../../../data-plane/providers/gemini/stream.js";
import { geminiTarget, methodPath } from "../../../data-plane/providers/gemini/target.js";
import { usageFromMetadata } from "../../../data-plane/providers/gemini/usage.js";
import type { GeminiResponse } from "../../../data-plane/providers/gemini/wire.js";

const FIXTURES = new URL("../../fixtures/gemini/", import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const fixture = <T = Record<string, unknown>>(name: string) => JSON.parse(fixtureText(name)) as T;

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: "gemini-1",
    modelName: "gemini-flash",
    provider: "gemini",
    model: "gemini-1.5-flash",
    apiKey: "AIzaSyTestKey0123456789abcdefghijklmno",
    timeoutMs: 10_000,
    streamTimeoutMs: 10_000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
    ...overrides,
  };
}

const chat = (extra: Record<string, unknown>) => ({
  model: "gemini-flash",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function caught(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

async function* bytesOf(text: string, pieceSize = 17): AsyncGenerator<Uint8Array> {
  // Small pieces, so events split across reads as they do on the wire.
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += pieceSize) yield bytes.subarray(i, i + pieceSize);
}

async function collect(chunks: AsyncIterable<string>) {
  const out: Record<string, unknown>[] = [];
  for await (const c of chunks) out.push(JSON.parse(c) as Record<string, unknown>);
  return out;
}

describe("gemini request mapping", () => {
  it("maps system, multi-turn text and a data: URL image to the exact body Gemini expects", () => {
    expect(geminiChatRequest(fixture("chat.openai-request.json"))).toEqual(
      fixture("chat.gemini-request.json"),
    );
  });

  it("maps tools, tool calls and tool results, stripping schema keys Gemini refuses", () => {
    expect(geminiChatRequest(fixture("tools.openai-request.json"))).toEqual(
      fixture("tools.gemini-request.json"),
    );
  });

  it("joins system and developer messages into systemInstruction", () => {
    const req = geminiChatRequest({
      messages: [
        { role: "system", content: "one" },
        { role: "developer", content: [{ type: "text", text: "two" }] },
        { role: "user", content: "hi" },
      ],
    });
    expect(req.systemInstruction).toEqual({ parts: [{ text: "one" }, { text: "two" }] });
    expect(req.contents).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
  });

  it("refuses an image given as a web URL, which the Gemini API cannot fetch", () => {
    const err = caught(() =>
      geminiChatRequest({
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }],
          },
        ],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain("data: URL");
  });

  it("refuses a tool result whose tool_call_id no assistant message issued", () => {
    const err = caught(() =>
      geminiChatRequest({
        messages: [
          { role: "user", content: "hi" },
          { role: "tool", tool_call_id: "call_missing", content: "x" },
        ],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe("messages[1].tool_call_id");
  });

  it("sends a tool call's thought signature back on its functionCall part", () => {
    const req = geminiChatRequest({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            {
              id: "c1",
              type: "function",
              function: { name: "f", arguments: "{}" },
              extra_content: { google: { thought_signature: "sig==" } },
            },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: "[1,2]" },
      ],
    });
    expect(req.contents[1]).toEqual({
      role: "model",
      parts: [{ functionCall: { name: "f", args: {} }, thoughtSignature: "sig==" }],
    });
    expect(req.contents[2]!.parts[0]).toEqual({
      functionResponse: { name: "f", response: { content: [1, 2] } },
    });
  });
});

describe("gemini generationConfig table", () => {
  it.each([
    ["temperature", 0.3, { temperature: 0.3 }],
    ["top_p", 0.8, { topP: 0.8 }],
    ["top_k", 40, { topK: 40 }],
    ["max_tokens", 100, { maxOutputTokens: 100 }],
    ["max_completion_tokens", 200, { maxOutputTokens: 200 }],
    ["stop", "END", { stopSequences: ["END"] }],
    ["stop", ["A", "B"], { stopSequences: ["A", "B"] }],
    ["n", 2, { candidateCount: 2 }],
    ["presence_penalty", 0.5, { presencePenalty: 0.5 }],
    ["frequency_penalty", -0.5, { frequencyPenalty: -0.5 }],
    ["seed", 7, { seed: 7 }],
    ["response_format", { type: "json_object" }, { responseMimeType: "application/json" }],
    ["response_format", { type: "text" }, undefined],
  ])("%s = %j → %j", (field, value, expected) => {
    expect(generationConfig(chat({ [field]: value }))).toEqual(expected);
  });

  it("maps a json_schema response format to a mime type and a cleaned responseSchema", () => {
    const config = generationConfig(
      chat({
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "x",
            strict: true,
            schema: {
              type: "object",
              properties: { a: { type: "integer" } },
              required: ["a"],
              additionalProperties: false,
            },
          },
        },
      }),
    );
    expect(config).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] },
    });
  });

  it("prefers max_completion_tokens over max_tokens and skips nulls", () => {
    expect(
      generationConfig(chat({ max_tokens: 10, max_completion_tokens: 20, temperature: null })),
    ).toEqual({ maxOutputTokens: 20 });
  });

  it("refuses a value of the wrong type with a 400 naming the field", () => {
    const err = caught(() => generationConfig(chat({ temperature: "hot" })));
    expect(err.status).toBe(400);
    expect(err.param).toBe("temperature");
  });

  it("lists every mapped OpenAI field once per Gemini field", () => {
    const pairs = GENERATION_PARAMS.map((r) => `${r.openai}→${r.gemini}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

describe("gemini tool_choice mapping", () => {
  const tools = [{ type: "function", function: { name: "f", parameters: {} } }];
  it.each([
    ["auto", { mode: "AUTO" }],
    ["none", { mode: "NONE" }],
    ["required", { mode: "ANY" }],
    [
      { type: "function", function: { name: "f" } },
      { mode: "ANY", allowedFunctionNames: ["f"] },
    ],
  ])("%j → %j", (choice, expected) => {
    const req = geminiChatRequest(chat({ tools, tool_choice: choice }));
    expect(req.toolConfig).toEqual({ functionCallingConfig: expected });
    expect(req.tools).toEqual([{ functionDeclarations: [{ name: "f" }] }]);
  });
});

describe("gemini schema cleanup", () => {
  it("inlines local $refs, turns oneOf into anyOf and const into enum", () => {
    const schema = geminiSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { Pet: { type: "object", properties: { kind: { const: "cat" } } } },
      properties: {
        pet: { $ref: "#/$defs/Pet", description: "the pet" },
        id: { oneOf: [{ type: "string" }, { type: "integer" }] },
        tags: { type: "array", items: { type: "string", additionalProperties: false } },
      },
    });
    expect(schema).toEqual({
      type: "object",
      properties: {
        pet: {
          type: "object",
          properties: { kind: { enum: ["cat"] } },
          description: "the pet",
        },
        id: { anyOf: [{ type: "string" }, { type: "integer" }] },
        tags: { type: "array", items: { type: "string" } },
      },
    });
  });

  it("stops inlining a recursive $ref", () => {
    const schema = geminiSchema({
      type: "object",
      properties: { next: { $ref: "#" } },
    });
    expect(JSON.stringify(schema).length).toBeLessThan(2000);
  });
});

describe("gemini response mapping", () => {
  it("joins text parts and maps usage, with cached tokens", () => {
    const r = fixture<GeminiResponse>("chat.gemini-response.json");
    const usage = usageFromMetadata(r.usageMetadata);
    const body = JSON.parse(chatCompletion(r, "gemini-1.5-flash", usage));
    expect(body).toMatchObject({
      id: "chatcmpl-fLw8Z8CBIbCfz7IPl8_n4Ao",
      object: "chat.completion",
      model: "gemini-1.5-flash-002",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello!" },
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 271,
        completion_tokens: 2,
        total_tokens: 273,
        prompt_tokens_details: { cached_tokens: 256 },
      },
    });
  });

  it("maps function calls to tool_calls with generated ids and JSON arguments", () => {
    const r = fixture<GeminiResponse>("tools.gemini-response.json");
    const body = JSON.parse(chatCompletion(r, "m", usageFromMetadata(r.usageMetadata)));
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"celsius"}' },
      },
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_time", arguments: "{}" },
      },
    ]);
    expect(choice.message.tool_calls[0].id).not.toBe(choice.message.tool_calls[1].id);
  });

  it("leaves thought summaries out of the answer text", () => {
    const body = JSON.parse(
      chatCompletion(
        {
          candidates: [
            {
              content: { parts: [{ text: "thinking...", thought: true }, { text: "42" }] },
              finishReason: "STOP",
            },
          ],
        },
        "m",
        undefined,
      ),
    );
    expect(body.choices[0].message.content).toBe("42");
  });

  it.each([
    ["STOP", "stop"],
    ["MAX_TOKENS", "length"],
    ["SAFETY", "content_filter"],
    ["RECITATION", "content_filter"],
    ["BLOCKLIST", "content_filter"],
    ["PROHIBITED_CONTENT", "content_filter"],
    ["SPII", "content_filter"],
    ["OTHER", "stop"],
    ["MALFORMED_FUNCTION_CALL", "stop"],
  ])("finishReason %s → %s", (gemini, openai) => {
    expect(finishReason(gemini, false)).toBe(openai);
    if (gemini === "STOP") expect(finishReason(gemini, true)).toBe("tool_calls");
  });

  it("has a row for every content-filter reason the brief names", () => {
    for (const r of ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"]) {
      expect(FINISH_REASONS[r]).toBe("content_filter");
    }
  });

  it.each([
    ["a blocked prompt", "blocked-prompt.gemini-response.json", "blockReason SAFETY"],
    [
      "a candidate stopped for safety with no content",
      "blocked-candidate.gemini-response.json",
      "finishReason SAFETY",
    ],
  ])("turns %s into a 400 content_policy_violation", (_, file, text) => {
    const err = blockedError(fixture<GeminiResponse>(file));
    expect(err).toBeInstanceOf(ApiError);
    expect(err?.status).toBe(400);
    expect(err?.code).toBe("content_policy_violation");
    expect(err?.type).toBe("content_filter");
    expect(err?.message).toContain(text);
  });

  it("answers normally, with finish_reason content_filter, when a filtered candidate has text", () => {
    const r: GeminiResponse = {
      candidates: [{ content: { parts: [{ text: "partial" }] }, finishReason: "SAFETY" }],
    };
    expect(blockedError(r)).toBeUndefined();
    expect(JSON.parse(chatCompletion(r, "m", undefined)).choices[0].finish_reason).toBe(
      "content_filter",
    );
  });

  it("counts thinking tokens as completion and reasoning tokens", () => {
    expect(
      usageFromMetadata({
        promptTokenCount: 10,
        candidatesTokenCount: 5,
        thoughtsTokenCount: 20,
        totalTokenCount: 35,
      }),
    ).toEqual({
      prompt_tokens: 10,
      completion_tokens: 25,
      total_tokens: 35,
      completion_tokens_details: { reasoning_tokens: 20 },
    });
  });
});

describe("gemini stream mapping", () => {
  it("sends role first, text deltas, finish_reason, and usage only when asked", async () => {
    const withUsage = geminiStream(bytesOf(fixtureText("stream-text.sse")), deployment(), true);
    const chunks = await collect(withUsage.chunks);
    const choices = chunks.map((c) => (c.choices as Record<string, unknown>[])[0]);
    expect(choices[0]).toMatchObject({ delta: { role: "assistant", content: "Hello" } });
    expect(
      choices.map((c) => (c?.delta as { content?: string } | undefined)?.content ?? "").join(""),
    ).toBe("Hello there, friend.");
    expect(choices[2]).toMatchObject({ finish_reason: "stop" });
    expect(chunks[3]).toMatchObject({
      id: "chatcmpl-stream-1",
      object: "chat.completion.chunk",
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 },
    });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    const without = geminiStream(bytesOf(fixtureText("stream-text.sse")), deployment(), false);
    const plain = await collect(without.chunks);
    expect(plain).toHaveLength(3);
    expect(without.usage()).toMatchObject({ total_tokens: 17 });
  });

  it("sends each whole function call as one tool_call delta with all its arguments", async () => {
    const answer = geminiStream(bytesOf(fixtureText("stream-tools.sse")), deployment(), false);
    const choices = (await collect(answer.chunks)).map(
      (c) => (c.choices as Record<string, unknown>[])[0] as { delta: Record<string, unknown> },
    );
    expect(choices[0]!.delta).toEqual({ role: "assistant", content: "Checking." });
    expect(choices[1]!.delta.tool_calls).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
      },
    ]);
    expect(choices[2]).toMatchObject({
      delta: { tool_calls: [{ index: 1, function: { name: "get_time", arguments: "{}" } }] },
      finish_reason: "tool_calls",
    });
    expect(answer.usage()).toEqual({ prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 });
  });

  it("fails before the first chunk when Gemini blocks the prompt", async () => {
    const answer = geminiStream(bytesOf(fixtureText("stream-blocked.sse")), deployment(), true);
    await expect(collect(answer.chunks)).rejects.toMatchObject({
      status: 400,
      code: "content_policy_violation",
    });
  });

  it("turns an error event into the matching HTTP status", async () => {
    const sse = `data: ${JSON.stringify({ error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } })}\r\n\r\n`;
    const answer = geminiStream(bytesOf(sse), deployment(), false);
    await expect(collect(answer.chunks)).rejects.toMatchObject({ status: 503, type: "api_error" });
  });
});

describe("gemini error mapping", () => {
  it.each([
    ["INVALID_ARGUMENT", 400, "invalid_request_error"],
    ["PERMISSION_DENIED", 403, "permission_error"],
    ["NOT_FOUND", 404, "not_found_error"],
    ["RESOURCE_EXHAUSTED", 429, "rate_limit_error"],
    ["INTERNAL", 500, "api_error"],
    ["UNAVAILABLE", 503, "api_error"],
  ])("%s → %i %s", (status, http, type) => {
    const err = geminiError({ message: "m", status }, undefined, undefined, deployment());
    expect([err.status, err.type, err.code]).toEqual([http, type, status.toLowerCase()]);
    const fromHttp = geminiHttpError(
      http,
      JSON.stringify({ error: { code: http, message: "m", status } }),
      undefined,
      deployment(),
    );
    expect(fromHttp.status).toBe(http);
  });

  it("takes the wait from Google's RetryInfo and redacts keys from the message", () => {
    const d = deployment();
    const body = fixture("error-429.gemini-response.json");
    const err = geminiHttpError(429, JSON.stringify(body), undefined, d);
    expect(err.retryAfter).toBe(2);
    expect(err.message).not.toMatch(/AIza/);
    expect(err.message).toContain("Resource has been exhausted");
    expect(geminiHttpError(429, JSON.stringify(body), "7", d).retryAfter).toBe(7);
  });

  it("removes the deployment's own key wherever it appears", () => {
    const d = deployment({ apiKey: "plain-secret-value" });
    const err = geminiHttpError(
      400,
      JSON.stringify({
        error: { message: "bad key plain-secret-value", status: "INVALID_ARGUMENT" },
      }),
      undefined,
      d,
    );
    expect(err.message).toBe("bad key [redacted]");
  });

  it("keeps a generic message for a body that is not JSON", () => {
    const err = geminiHttpError(502, "<html>bad gateway</html>", undefined, deployment());
    expect([err.status, err.message]).toEqual([502, "Upstream returned HTTP 502"]);
  });
});

describe("gemini embeddings and target", () => {
  it("builds batchEmbedContents with the model name and outputDimensionality", () => {
    expect(
      batchEmbedRequest(
        { model: "e", input: ["first text", "second text"], dimensions: 4 },
        "models/text-embedding-004",
      ),
    ).toEqual(fixture("embed.gemini-request.json"));
    expect(() => batchEmbedRequest({ input: [1, 2, 3] }, "models/x")).toThrow(ApiError);
  });

  it("encodes base64 as little-endian float32, as the openai SDK decodes it", () => {
    const values = [0.5, -0.25, 1e-7];
    const bytes = Buffer.from(float32Base64(values), "base64");
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, values.length));
    expect(decoded.map((v, i) => v - values[i]!).every((d) => Math.abs(d) < 1e-9)).toBe(true);
    const list = JSON.parse(embeddingsList(fixture("embed.gemini-response.json"), "float", "m"));
    expect(list.data[1]).toEqual({
      object: "embedding",
      index: 1,
      embedding: [0.5, -0.25, 0.125, -1],
    });
  });

  it("puts the key in a header, never the URL, and does not double the version path", () => {
    const t = geminiTarget(deployment({ apiBase: "https://proxy.example.com/google/v1beta/" }));
    expect(methodPath(t, "streamGenerateContent")).toBe(
      "/google/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse",
    );
    expect(t.headers["x-goog-api-key"]).toBe("AIzaSyTestKey0123456789abcdefghijklmno");
    const d = geminiTarget(deployment());
    expect(d.origin).toBe("https://generativelanguage.googleapis.com");
    expect(methodPath(d, "generateContent")).toBe(
      "/v1beta/models/gemini-1.5-flash:generateContent",
    );
    expect(methodPath(d, "generateContent")).not.toContain("key=");
  });
});
