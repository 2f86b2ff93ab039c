import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Anthropic, { AuthenticationError, NotFoundError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeAnthropic,
  fixtureJson,
  fixtureText,
  startFakeAnthropic,
} from "../fakes/anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-anthropic-entry-master";
const OPENAI_KEY = "sk-openai-upstream-0123456789";
const ANTHROPIC_KEY = "sk-ant-upstream-0123456789";

const WEATHER_TOOL = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: {
    type: "object" as const,
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let tools: ToolUpstream;
let gw: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  tools = await startToolUpstream();
  gw = await startTestGateway(`
model_list:
  - model_name: mock-model
    litellm_params: { model: mock/llama, mock_response: "hi from the mock" }
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: ${openai.url}
      api_key: ${OPENAI_KEY}
  - model_name: gpt-tools
    litellm_params:
      model: openai/gpt-tools
      api_base: ${tools.url}
      api_key: ${OPENAI_KEY}
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-sonnet-20241022
      api_base: ${anthropic.url}
      api_key: ${ANTHROPIC_KEY}
general_settings:
  master_key: ${MASTER}
`);
  client = new Anthropic({ apiKey: MASTER, baseURL: gw.origin, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await openai?.stop();
  await anthropic?.stop();
  await tools?.stop();
});

beforeEach(() => {
  openai.reset();
  anthropic.reset();
  tools.requests.length = 0;
});

describe("/v1/messages with a mock deployment", () => {
  it("answers a plain message in Anthropic's format", async () => {
    const msg = await client.messages.create({
      model: "mock-model",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(msg.type).toBe("message");
    expect(msg.role).toBe("assistant");
    expect(msg.content).toEqual([{ type: "text", text: "hi from the mock" }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
  });

  it("streams the answer as Anthropic events", async () => {
    const stream = client.messages.stream({
      model: "mock-model",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello" }],
    });
    const events: string[] = [];
    stream.on("streamEvent", (e) => events.push(e.type));
    const msg = await stream.finalMessage();
    expect(msg.content).toEqual([{ type: "text", text: "hi from the mock" }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(events).toContain("content_block_delta");
  });

  it("reports max_tokens when the answer is cut", async () => {
    const msg = await client.messages.create({
      model: "mock-model",
      max_tokens: 2,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(msg.stop_reason).toBe("max_tokens");
  });
});

describe("/v1/messages with an OpenAI deployment", () => {
  it("sends upstream the OpenAI translation of the request", async () => {
    const msg = await client.messages.create({
      model: "gpt-4o",
      max_tokens: 256,
      system: [{ type: "text", text: "Be brief." }],
      // Sampling params the API takes, though this SDK version's types no longer list them.
      ...({ temperature: 0.5, top_p: 0.9 } as object),
      stop_sequences: ["END"],
      metadata: { user_id: "user-42" },
      messages: [
        { role: "user", content: "What is the weather in Paris?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "18°C" },
            { type: "text", text: "and now?" },
            {
              type: "image",
              source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
            },
          ],
        },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    });
    expect(msg.content).toEqual([{ type: "text", text: "Echo: and now?" }]);
    expect(openai.requests[0]?.body).toEqual({
      model: "gpt-4o-2024-08-06",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is the weather in Paris?" },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            {
              id: "toolu_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "18°C" },
        {
          role: "user",
          content: [
            { type: "text", text: "and now?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
      max_tokens: 256,
      temperature: 0.5,
      top_p: 0.9,
      stop: ["END"],
      user: "user-42",
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather for a city",
            parameters: WEATHER_TOOL.input_schema,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
    });
  });

  it("maps tool_choice any to required", async () => {
    await client.messages.create({
      model: "gpt-4o",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "any" },
    });
    expect(openai.requests[0]?.body).toMatchObject({ tool_choice: "required" });
  });

  it("streams with the usage the upstream reports at the end", async () => {
    const stream = client.messages.stream({
      model: "gpt-4o",
      max_tokens: 64,
      messages: [{ role: "user", content: "stream me please" }],
    });
    const msg = await stream.finalMessage();
    expect(msg.content).toEqual([{ type: "text", text: "Echo: stream me please" }]);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    const sent = openai.requests[0]?.body as { stream?: boolean; stream_options?: unknown };
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it("answers tool calls as tool_use blocks", async () => {
    const msg = await client.messages.create({
      model: "gpt-tools",
      max_tokens: 64,
      messages: [{ role: "user", content: "weather in Paris and Tokyo?" }],
      tools: [WEATHER_TOOL],
    });
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.content).toEqual([
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Tokyo" } },
    ]);
    expect(msg.usage).toMatchObject({ input_tokens: 20, output_tokens: 10 });
  });

  it("streams tool calls as tool_use blocks with their input reassembled", async () => {
    const stream = client.messages.stream({
      model: "gpt-tools",
      max_tokens: 64,
      messages: [{ role: "user", content: "weather in Paris and Tokyo?" }],
      tools: [WEATHER_TOOL],
    });
    const deltas: string[] = [];
    stream.on("streamEvent", (e) => {
      if (e.type === "content_block_delta") deltas.push(e.delta.type);
    });
    const msg = await stream.finalMessage();
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.content).toEqual([
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Tokyo" } },
    ]);
    expect(deltas).toContain("input_json_delta");
    expect(msg.usage).toMatchObject({ input_tokens: 20, output_tokens: 10 });
  });
});

describe("/v1/messages with an Anthropic deployment", () => {
  it("answers a plain message", async () => {
    const msg = await client.messages.create({
      model: "claude",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello claude" }],
    });
    expect(msg.content).toEqual([{ type: "text", text: "Echo: hello claude" }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage).toMatchObject({ input_tokens: 5, output_tokens: 3 });
    const sent = anthropic.requests[0]?.body as { model: string; max_tokens: number };
    expect(sent.model).toBe("claude-3-5-sonnet-20241022");
    expect(sent.max_tokens).toBe(100);
  });

  it("streams a message", async () => {
    const msg = await client.messages
      .stream({
        model: "claude",
        max_tokens: 100,
        messages: [{ role: "user", content: "stream claude" }],
      })
      .finalMessage();
    expect(msg.content).toEqual([{ type: "text", text: "Echo: stream claude" }]);
    expect(msg.usage).toMatchObject({ input_tokens: 5, output_tokens: 3 });
  });

  it("round-trips tools: the upstream gets the client's request, the client its tool_use blocks", async () => {
    anthropic.script({ kind: "json", body: fixtureJson("tools.response.json") });
    const request = fixtureJson("tools.request.json") as Anthropic.MessageCreateParamsNonStreaming;
    const msg = await client.messages.create({ ...request, model: "claude" });
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.content).toEqual(
      (fixtureJson("tools.response.json") as { content: unknown[] }).content,
    );
    expect(anthropic.requests[0]?.body).toEqual(request);
  });

  it("streams tool_use blocks with their input reassembled", async () => {
    anthropic.script({ kind: "sse", text: fixtureText("tools.stream.sse") });
    const msg = await client.messages
      .stream({
        model: "claude",
        max_tokens: 100,
        messages: [{ role: "user", content: "weather?" }],
        tools: [WEATHER_TOOL],
      })
      .finalMessage();
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.content).toEqual([
      { type: "text", text: "Paris is 18°C. Checking Tokyo." },
      { type: "tool_use", id: "toolu_03Weather", name: "get_weather", input: { city: "Tokyo" } },
      { type: "tool_use", id: "toolu_04Time", name: "get_time", input: { city: "Tokyo" } },
    ]);
    expect(msg.usage).toMatchObject({ input_tokens: 640, output_tokens: 58 });
  });

  it("reports an error in the middle of a stream as an error event", async () => {
    anthropic.script({ kind: "sse", text: fixtureText("stream-error.sse") });
    const stream = client.messages.stream({
      model: "claude",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toContain("overloaded_error");
  });
});

describe("/v1/messages passthrough to an Anthropic deployment", () => {
  // What a round trip through OpenAI's format would lose: top_k, thinking, system blocks
  // with cache_control, the metadata object, a thinking block in the answer, cache counts.
  const request = {
    model: "claude",
    max_tokens: 1024,
    system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: [{ type: "text", text: "Why is the sky blue?" }] }],
    top_k: 5,
    thinking: { type: "enabled", budget_tokens: 512 },
    metadata: { user_id: "user-42" },
    stop_sequences: ["END"],
  };
  const answer = {
    id: "msg_01Passthrough",
    type: "message",
    role: "assistant",
    model: "claude-3-5-sonnet-20241022",
    content: [
      { type: "thinking", thinking: "Rayleigh scattering.", signature: "sig-1" },
      { type: "text", text: "Rayleigh scattering." },
    ],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 12,
      cache_creation_input_tokens: 4,
      cache_read_input_tokens: 8,
      output_tokens: 10,
      service_tier: "standard",
    },
  };
  const post = (body: unknown) =>
    fetch(`${gw.origin}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": MASTER, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("forwards the client's body with only the model replaced, and the answer as sent", async () => {
    anthropic.script({ kind: "json", body: answer });
    const res = await post(request);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(JSON.stringify(answer));
    expect(anthropic.requests[0]?.body).toEqual({
      ...request,
      model: "claude-3-5-sonnet-20241022",
    });
    expect(anthropic.requests[0]?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(anthropic.requests[0]?.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
  });

  it("passes the event stream through unchanged, thinking deltas and pings included", async () => {
    const events = [
      [
        "message_start",
        {
          type: "message_start",
          message: {
            ...answer,
            content: [],
            stop_reason: null,
            usage: { input_tokens: 12, output_tokens: 1 },
          },
        },
      ],
      [
        "content_block_start",
        {
          type: "content_block_start",
          index: 0,
          content_block: { type: "thinking", thinking: "", signature: "" },
        },
      ],
      ["ping", { type: "ping" }],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "thinking_delta", thinking: "Rayleigh." },
        },
      ],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "signature_delta", signature: "sig-1" },
        },
      ],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      [
        "content_block_start",
        { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      ],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 1,
          delta: { type: "text_delta", text: 'Rayleigh "scattering".' },
        },
      ],
      ["content_block_stop", { type: "content_block_stop", index: 1 }],
      [
        "message_delta",
        {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: 10 },
        },
      ],
      ["message_stop", { type: "message_stop" }],
    ] as const;
    const text = events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
    anthropic.script({ kind: "sse", text });
    const res = await post({ ...request, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(await res.text()).toBe(text);
    expect(anthropic.requests[0]?.body).toEqual({
      ...request,
      stream: true,
      model: "claude-3-5-sonnet-20241022",
    });
  });

  it("serves the Anthropic SDK's stream helper from the upstream's own events", async () => {
    const msg = await client.messages
      .stream({
        model: "claude",
        max_tokens: 100,
        messages: [{ role: "user", content: "stream claude" }],
      })
      .finalMessage();
    expect(msg.content).toEqual([{ type: "text", text: "Echo: stream claude" }]);
    expect(anthropic.requests[0]?.body).toEqual({
      model: "claude-3-5-sonnet-20241022",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream claude" }],
      stream: true,
    });
  });
});

describe("/v1/messages errors", () => {
  it("raises AuthenticationError for a bad key", async () => {
    const bad = new Anthropic({ apiKey: "sk-wrong", baseURL: gw.origin, maxRetries: 0 });
    const err = await bad.messages
      .create({ model: "mock-model", max_tokens: 8, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).error).toMatchObject({
      type: "error",
      error: { type: "authentication_error" },
    });
  });

  it("raises NotFoundError for an unknown model", async () => {
    const err = await client.messages
      .create({ model: "nope", max_tokens: 8, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
  });

  it("answers Anthropic's error shape for a malformed request, also without /v1", async () => {
    const res = await fetch(`${gw.origin}/messages`, {
      method: "POST",
      headers: { "x-api-key": MASTER, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-model", max_tokens: 8, messages: [] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
  });

  it("passes an upstream's overload on as overloaded_error with its status", async () => {
    anthropic.script({
      kind: "json",
      status: 529,
      body: fixtureJson("error.overloaded.json"),
    });
    const res = await fetch(`${gw.origin}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": MASTER, "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude",
        max_tokens: 8,
        messages: [{ role: "user", content: "x" }],
      }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });
  });
});

interface ToolUpstream {
  url: string;
  requests: unknown[];
  stop(): Promise<void>;
}

/**
 * An OpenAI upstream that always calls two tools (the shared fake answers text only):
 * a chat.completion, or chunks that split each call's arguments, then a usage chunk.
 */
async function startToolUpstream(): Promise<ToolUpstream> {
  const requests: unknown[] = [];
  const head = { id: "chatcmpl-tools", created: 1, model: "gpt-tools" };
  const usage = { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString("utf8");
    });
    req.on("end", () => {
      const body = JSON.parse(raw) as { stream?: boolean };
      requests.push(body);
      if (body.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            ...head,
            object: "chat.completion",
            choices: [
              {
                index: 0,
                message: {
                  role: "assistant",
                  content: "Checking.",
                  tool_calls: [call(1, "Paris"), call(2, "Tokyo")],
                },
                finish_reason: "tool_calls",
              },
            ],
            usage,
          }),
        );
        return;
      }
      const chunk = (delta: unknown, finish: string | null = null) =>
        `data: ${JSON.stringify({ ...head, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const toolDelta = (index: number, fields: unknown) =>
        chunk({ tool_calls: [{ index, ...(fields as object) }] });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "" }));
      res.write(chunk({ content: "Checking." }));
      for (const [index, city] of [
        [0, "Paris"],
        [1, "Tokyo"],
      ] as const) {
        res.write(
          toolDelta(index, {
            id: `call_${index + 1}`,
            type: "function",
            function: { name: "get_weather", arguments: "" },
          }),
        );
        res.write(toolDelta(index, { function: { arguments: '{"city":' } }));
        res.write(toolDelta(index, { function: { arguments: `"${city}"}` } }));
      }
      res.write(chunk({}, "tool_calls"));
      res.write(`data: ${JSON.stringify({ ...head, choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function call(n: number, city: string) {
  return {
    id: `call_${n}`,
    type: "function",
    function: { name: "get_weather", arguments: JSON.stringify({ city }) },
  };
}
