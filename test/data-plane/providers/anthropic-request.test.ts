import { describe, expect, it } from "vitest";
import { mapMessages } from "../../../data-plane/providers/anthropic/messages.js";
import {
  anthropicBody,
  anthropicTarget,
  DEFAULT_MAX_TOKENS,
  IGNORED_PARAMS,
  PARAMS,
  stopSequences,
  toolChoice,
  tools,
  UNSUPPORTED_PARAMS,
} from "../../../data-plane/providers/anthropic/request.js";
import type { ProviderCall } from "../../../data-plane/providers/types.js";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";

const deployment: Deployment = {
  id: "claude-1",
  modelName: "claude",
  provider: "anthropic",
  model: "claude-3-5-sonnet-20241022",
  apiKey: "sk-ant-test",
  timeoutMs: 60_000,
  streamTimeoutMs: 60_000,
  weight: 1,
  extraHeaders: {},
  modelInfo: {},
};

function body(b: Record<string, unknown>, d: Deployment = deployment) {
  return anthropicBody({ body: b, deployment: d } as unknown as ProviderCall);
}

describe("Anthropic parameter table", () => {
  const user = [{ role: "user", content: "hi" }];

  it("has one row per supported OpenAI field", () => {
    expect(PARAMS.flatMap((r) => r.from)).toEqual([
      "max_completion_tokens",
      "max_tokens",
      "temperature",
      "top_p",
      "stop",
      "user",
      "tools",
      "tool_choice",
      "stream",
    ]);
  });

  it("defaults max_tokens, which Anthropic requires, and prefers max_completion_tokens", () => {
    expect(body({ messages: user }).max_tokens).toBe(DEFAULT_MAX_TOKENS);
    expect(body({ messages: user, max_tokens: 100 }).max_tokens).toBe(100);
    expect(body({ messages: user, max_tokens: 100, max_completion_tokens: 50 }).max_tokens).toBe(
      50,
    );
  });

  it("maps temperature, top_p, stop, user and stream, and drops unsupported fields with drop_params", () => {
    const out = body(
      {
        model: "claude",
        messages: user,
        temperature: 0.5,
        top_p: 0.8,
        stop: ["a", "b"],
        user: "u-1",
        stream: true,
        stream_options: { include_usage: true },
        frequency_penalty: 1,
        presence_penalty: 1,
        seed: 7,
        logprobs: true,
        response_format: { type: "text" },
      },
      { ...deployment, dropParams: true },
    );
    expect(out).toEqual({
      model: "claude-3-5-sonnet-20241022",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: DEFAULT_MAX_TOKENS,
      temperature: 0.5,
      top_p: 0.8,
      stop_sequences: ["a", "b"],
      metadata: { user_id: "u-1" },
      stream: true,
    });
    expect(body({ messages: user, stream: false }).stream).toBeUndefined();
  });

  it("takes stop as a string or an array, and refuses anything else", () => {
    expect(stopSequences("END")).toEqual(["END"]);
    expect(stopSequences(["x", "y"])).toEqual(["x", "y"]);
    expect(stopSequences([])).toBeUndefined();
    expect(() => stopSequences(3)).toThrow(ApiError);
  });

  it("maps tool_choice row by row", () => {
    expect(toolChoice("auto")).toEqual({ type: "auto" });
    expect(toolChoice("none")).toEqual({ type: "none" });
    expect(toolChoice("required")).toEqual({ type: "any" });
    expect(toolChoice({ type: "function", function: { name: "get_weather" } })).toEqual({
      type: "tool",
      name: "get_weather",
    });
    expect(() => toolChoice("sometimes")).toThrow(ApiError);
  });

  it("maps function tools to name, description and input_schema", () => {
    const schema = { type: "object", properties: { q: { type: "string" } } };
    expect(
      tools([
        { type: "function", function: { name: "search", description: "Find", parameters: schema } },
        { type: "function", function: { name: "now" } },
      ]),
    ).toEqual([
      { name: "search", description: "Find", input_schema: schema },
      { name: "now", input_schema: { type: "object", properties: {} } },
    ]);
    expect(tools([])).toBeUndefined();
    expect(() => tools([{ type: "code_interpreter" }])).toThrow(ApiError);
  });

  it("turns parallel_tool_calls: false into disable_parallel_tool_use", () => {
    const t = [{ type: "function", function: { name: "f" } }];
    expect(body({ messages: user, tools: t, parallel_tool_calls: false }).tool_choice).toEqual({
      type: "auto",
      disable_parallel_tool_use: true,
    });
    expect(
      body({ messages: user, tools: t, tool_choice: "required", parallel_tool_calls: false })
        .tool_choice,
    ).toEqual({ type: "any", disable_parallel_tool_use: true });
  });

  it("refuses n > 1, which Anthropic cannot honour, and takes n: 1", () => {
    expect(() => body({ messages: user, n: 2 })).toThrow(/n is not supported.*one choice/);
    expect(body({ messages: user, n: 1 })).not.toHaveProperty("n");
  });

  it("refuses each unsupported param with a 400 naming it, unless drop_params is set", () => {
    const sent: Record<string, unknown> = {
      n: 3,
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      logit_bias: { "50256": -100 },
      logprobs: true,
      top_logprobs: 2,
      seed: 7,
      response_format: { type: "json_object" },
      modalities: ["text", "audio"],
      audio: { voice: "alloy", format: "mp3" },
      prediction: { type: "content", content: "x" },
      reasoning_effort: "low",
      verbosity: "low",
      web_search_options: {},
      functions: [{ name: "f" }],
      function_call: "auto",
    };
    expect(UNSUPPORTED_PARAMS.map((r) => r.param)).toEqual(Object.keys(sent));
    for (const [param, value] of Object.entries(sent)) {
      let error: unknown;
      try {
        body({ messages: user, [param]: value });
      } catch (err) {
        error = err;
      }
      expect(error, param).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({
        status: 400,
        type: "invalid_request_error",
        code: "unsupported_parameter",
        param,
      });
      expect((error as ApiError).message).toContain("drop_params");
      const dropped = body({ messages: user, [param]: value }, { ...deployment, dropParams: true });
      expect(dropped).not.toHaveProperty(param);
    }
  });

  it("takes OpenAI's defaults and null as not set, and ignores OpenAI-only bookkeeping", () => {
    const out = body({
      messages: user,
      n: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      logprobs: false,
      response_format: { type: "text" },
      modalities: ["text"],
      seed: null,
      store: true,
      metadata: { run: "1" },
      service_tier: "auto",
    });
    expect(out).toEqual({
      model: "claude-3-5-sonnet-20241022",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: DEFAULT_MAX_TOKENS,
    });
    expect(IGNORED_PARAMS).toContain("store");
  });
});

describe("Anthropic messages mapping", () => {
  it("joins system and developer messages into system", () => {
    const out = mapMessages([
      { role: "system", content: "Be brief." },
      { role: "developer", content: [{ type: "text", text: "No emoji." }] },
      { role: "user", content: "hi" },
    ]);
    expect(out.system).toBe("Be brief.\nNo emoji.");
    expect(out.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("merges consecutive messages of the same role", () => {
    const out = mapMessages([
      { role: "user", content: "one" },
      { role: "user", content: [{ type: "text", text: "two" }] },
      { role: "assistant", content: "three" },
      { role: "assistant", content: "" },
    ]);
    expect(out.system).toBeUndefined();
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      { role: "assistant", content: "three" },
    ]);
  });

  it("turns data: image URLs into base64 blocks and http URLs into url sources", () => {
    const out = mapMessages([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
          { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
        ],
      },
    ]);
    expect(out.messages[0]?.content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
      { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
    ]);
    expect(() =>
      mapMessages([
        { role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x" } }] },
      ]),
    ).toThrow(ApiError);
  });

  it("carries tool calls as tool_use and tool answers as tool_result in the next user turn", () => {
    const out = mapMessages([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "w", arguments: '{"city":"Oslo"}' } },
          { id: "call_2", type: "function", function: { name: "t", arguments: "" } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "cold" },
      { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "noon" }] },
      { role: "user", content: "thanks" },
    ]);
    expect(out.messages).toEqual([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "w", input: { city: "Oslo" } },
          { type: "tool_use", id: "call_2", name: "t", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "cold" },
          { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "noon" }] },
          { type: "text", text: "thanks" },
        ],
      },
    ]);
  });

  it("refuses what it cannot map, naming the message", () => {
    expect(() => mapMessages([{ role: "function", content: "x" }])).toThrow(/Invalid message 0/);
    expect(() =>
      mapMessages([
        {
          role: "assistant",
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{" } }],
        },
      ]),
    ).toThrow(/valid JSON/);
    expect(() =>
      mapMessages([{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }]),
    ).toThrow(/not supported/);
  });
});

describe("Anthropic upstream target", () => {
  it("sends the key and API version, and lets extra_headers override and add (anthropic-beta)", () => {
    const t = anthropicTarget({
      ...deployment,
      apiBase: "https://proxy.example.com/anthropic/v1/",
      extraHeaders: {
        "Anthropic-Version": "2024-01-01",
        "anthropic-beta": "prompt-caching-2024-07-31",
      },
    });
    expect(t.origin).toBe("https://proxy.example.com");
    expect(t.messagesPath).toBe("/anthropic/v1/messages");
    expect(t.modelsPath).toBe("/anthropic/v1/models");
    expect(t.headers).toEqual({
      "content-type": "application/json",
      "anthropic-version": "2024-01-01",
      "anthropic-beta": "prompt-caching-2024-07-31",
      "x-api-key": "sk-ant-test",
    });
  });

  it("defaults to api.anthropic.com", () => {
    const t = anthropicTarget({ ...deployment });
    expect(t.origin).toBe("https://api.anthropic.com");
    expect(t.messagesPath).toBe("/v1/messages");
    expect(t.headers["anthropic-version"]).toBe("2023-06-01");
  });
});
