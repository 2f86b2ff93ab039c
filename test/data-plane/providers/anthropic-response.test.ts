import { describe, expect, it } from "vitest";
import {
  anthropicHttpError,
  anthropicStreamError,
  ERROR_TYPES,
} from "../../../data-plane/providers/anthropic/errors.js";
import {
  chatCompletion,
  FINISH_REASONS,
  finishReason,
} from "../../../data-plane/providers/anthropic/response.js";
import { anthropicStream } from "../../../data-plane/providers/anthropic/stream.js";
import { openAIUsage } from "../../../data-plane/providers/anthropic/usage.js";
import type { AnthropicMessage } from "../../../data-plane/providers/anthropic/wire.js";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { fixtureJson, fixtureText } from "../../fakes/anthropic-upstream.js";

const deployment: Deployment = {
  id: "claude-1",
  modelName: "claude",
  provider: "anthropic",
  model: "claude-3-5-sonnet-20241022",
  apiKey: "sk-ant-test-0123456789",
  timeoutMs: 60_000,
  streamTimeoutMs: 60_000,
  weight: 1,
  extraHeaders: {},
  modelInfo: {},
};

describe("Anthropic response mapping", () => {
  it("maps stop reasons to finish reasons", () => {
    expect(FINISH_REASONS).toMatchObject({
      end_turn: "stop",
      stop_sequence: "stop",
      max_tokens: "length",
      tool_use: "tool_calls",
    });
    expect(finishReason(null)).toBeNull();
    expect(finishReason("something_new")).toBe("stop");
  });

  it("counts cached prompt tokens into prompt_tokens and names the cache hits", () => {
    expect(
      openAIUsage({
        input_tokens: 10,
        cache_read_input_tokens: 30,
        cache_creation_input_tokens: 5,
        output_tokens: 7,
      }),
    ).toEqual({
      prompt_tokens: 45,
      completion_tokens: 7,
      total_tokens: 52,
      prompt_tokens_details: { cached_tokens: 30, cache_creation_tokens: 5 },
    });
    expect(
      openAIUsage({ input_tokens: 3, output_tokens: 1, cache_read_input_tokens: null }),
    ).toEqual({
      prompt_tokens: 3,
      completion_tokens: 1,
      total_tokens: 4,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it("turns a text message into a chat.completion", () => {
    const { body, usage } = chatCompletion(
      fixtureJson("chat.response.json") as AnthropicMessage,
      1,
    );
    expect(body).toEqual({
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion",
      created: 1,
      model: "claude-3-5-sonnet-20241022",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Hello! How can I help you today?",
            refusal: null,
          },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage,
    });
    expect(usage).toEqual({
      prompt_tokens: 24,
      completion_tokens: 10,
      total_tokens: 34,
      prompt_tokens_details: { cached_tokens: 8, cache_creation_tokens: 4 },
    });
  });

  it("turns tool_use blocks into tool_calls with JSON-text arguments", () => {
    const { body } = chatCompletion(fixtureJson("tools.response.json") as AnthropicMessage, 1);
    const choice = (body.choices as Record<string, unknown>[])[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message).toEqual({
      role: "assistant",
      content: "The photo looks like Paris. Let me check both cities.",
      refusal: null,
      tool_calls: [
        {
          id: "toolu_01Paris",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
        },
        {
          id: "toolu_02Tokyo",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Tokyo","unit":"celsius"}' },
        },
      ],
    });
  });

  it("sends null content beside tool calls when there is no text", () => {
    const msg: AnthropicMessage = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "tool_use", id: "t", name: "f", input: {} }],
      stop_reason: "tool_use",
    };
    const choice = (chatCompletion(msg, 1).body.choices as { message: { content: unknown } }[])[0];
    expect(choice?.message.content).toBeNull();
  });
});

describe("Anthropic error mapping", () => {
  it("has a status for every documented error type", () => {
    const statuses = Object.fromEntries(
      Object.entries(ERROR_TYPES).map(([type, e]) => [type, e.status]),
    );
    expect(statuses).toMatchObject({
      invalid_request_error: 400,
      authentication_error: 401,
      permission_error: 403,
      not_found_error: 404,
      request_too_large: 413,
      rate_limit_error: 429,
      api_error: 500,
      overloaded_error: 503,
    });
  });

  it("answers 529 overloaded_error with 503, keeping the type", () => {
    const e = anthropicHttpError(
      529,
      JSON.stringify(fixtureJson("error.overloaded.json")),
      "3",
      deployment,
    );
    expect([e.status, e.type, e.message, e.retryAfter]).toEqual([
      503,
      "overloaded_error",
      "Overloaded",
      3,
    ]);
  });

  it("passes Retry-After on a 429 and redacts the key from messages", () => {
    const body = JSON.stringify({
      type: "error",
      error: { type: "rate_limit_error", message: `slow down, ${deployment.apiKey}` },
    });
    const e = anthropicHttpError(429, body, "17", deployment);
    expect([e.status, e.type, e.retryAfter]).toEqual([429, "rate_limit_error", 17]);
    expect(e.message).not.toContain(deployment.apiKey);
  });

  it("maps request_too_large to 413 invalid_request_error, and survives a non-JSON body", () => {
    const body = JSON.stringify({
      type: "error",
      error: { type: "request_too_large", message: "Request exceeds the maximum size" },
    });
    const e = anthropicHttpError(413, body, undefined, deployment);
    expect([e.status, e.type, e.code]).toEqual([413, "invalid_request_error", "request_too_large"]);
    const html = anthropicHttpError(502, "<html>Bad gateway</html>", undefined, deployment);
    expect([html.status, html.type, html.message]).toEqual([
      502,
      "api_error",
      "Upstream returned HTTP 502",
    ]);
  });

  it("gives a stream error event the status of its type", () => {
    const e = anthropicStreamError({ type: "overloaded_error", message: "Overloaded" }, deployment);
    expect([e.status, e.type]).toEqual([503, "overloaded_error"]);
    expect(anthropicStreamError({ type: "new_kind", message: "?" }, deployment).status).toBe(502);
  });
});

async function* bytes(text: string, piece = 7): AsyncGenerator<Uint8Array> {
  const all = Buffer.from(text, "utf8");
  for (let at = 0; at < all.length; at += piece) yield all.subarray(at, at + piece);
}

async function collect(text: string, includeUsage: boolean) {
  const answer = anthropicStream(bytes(text), includeUsage, deployment);
  const chunks: Record<string, unknown>[] = [];
  for await (const c of answer.chunks) chunks.push(JSON.parse(c) as Record<string, unknown>);
  return { chunks, usage: answer.usage() };
}

describe("Anthropic stream mapping", () => {
  it("opens with the assistant role, streams text deltas and ends with finish_reason", async () => {
    const { chunks, usage } = await collect(fixtureText("chat.stream.sse"), false);
    const deltas = chunks.map(
      (c) => (c.choices as { delta: unknown; finish_reason: unknown }[])[0],
    );
    expect(deltas).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: "Hello" }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: " there, " }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: "friend!" }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    ]);
    expect(chunks[0]).toMatchObject({
      id: "msg_01StreamGreeting",
      object: "chat.completion.chunk",
      model: "claude-3-5-sonnet-20241022",
    });
    expect(usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 7,
      total_tokens: 27,
      prompt_tokens_details: { cached_tokens: 6 },
    });
  });

  it("adds the usage chunk only when asked", async () => {
    const { chunks } = await collect(fixtureText("chat.stream.sse"), true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 27 } });
  });

  it("numbers tool calls apart from content blocks and streams their arguments", async () => {
    const { chunks } = await collect(fixtureText("tools.stream.sse"), false);
    const toolDeltas = chunks.flatMap(
      (c) => (c.choices as { delta: { tool_calls?: unknown[] } }[])[0]?.delta.tool_calls ?? [],
    );
    expect(toolDeltas).toEqual([
      {
        index: 0,
        id: "toolu_03Weather",
        type: "function",
        function: { name: "get_weather", arguments: "" },
      },
      { index: 0, function: { arguments: '{"city": ' } },
      { index: 0, function: { arguments: '"Tokyo"}' } },
      {
        index: 1,
        id: "toolu_04Time",
        type: "function",
        function: { name: "get_time", arguments: "" },
      },
      { index: 1, function: { arguments: '{"ci' } },
      { index: 1, function: { arguments: 'ty": "Tokyo"}' } },
    ]);
    const last = (chunks.at(-1)?.choices as { finish_reason: unknown }[] | undefined)?.[0];
    expect(last?.finish_reason).toBe("tool_calls");
  });

  it("throws the error event as an ApiError after the chunks before it", async () => {
    const answer = anthropicStream(bytes(fixtureText("stream-error.sse")), false, deployment);
    const seen: string[] = [];
    const run = async () => {
      for await (const c of answer.chunks) seen.push(c);
    };
    await expect(run()).rejects.toMatchObject({ status: 503, type: "overloaded_error" });
    expect(seen).toHaveLength(2);
  });

  it("reports a stream cut before message_stop, with the usage known so far", async () => {
    const cut = fixtureText("chat.stream.sse").split("event: message_stop")[0]!;
    const answer = anthropicStream(bytes(cut), false, deployment);
    const run = async () => {
      for await (const _ of answer.chunks) {
        // drain
      }
    };
    await expect(run()).rejects.toBeInstanceOf(ApiError);
    expect(answer.usage()?.completion_tokens).toBe(7);
  });
});
