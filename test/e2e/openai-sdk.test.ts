import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-test-master";
const UPSTREAM_KEY = "sk-upstream-secret-0123456789";

let upstream: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(`
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: ${upstream.url}
      api_key: ${UPSTREAM_KEY}
      organization: org-test
  - model_name: text-embedding-3-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: ${upstream.url}
      api_key: ${UPSTREAM_KEY}
  - model_name: gpt-3.5-turbo-instruct
    litellm_params:
      model: gpt-3.5-turbo-instruct
      api_base: ${upstream.url}
      api_key: ${UPSTREAM_KEY}
  - model_name: slow-model
    litellm_params:
      model: openai/slow
      api_base: ${upstream.url}
      api_key: ${UPSTREAM_KEY}
      timeout: 0.5
  - model_name: unreachable-model
    litellm_params:
      model: openai/nowhere
      api_base: http://127.0.0.1:1/v1
      api_key: ${UPSTREAM_KEY}
general_settings:
  master_key: ${MASTER}
  max_request_size_mb: 0.01
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

describe("chat completions through the official openai SDK", () => {
  it("answers a chat request and sends upstream the deployment's model and key, not the client's", async () => {
    const res = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(res.choices[0]?.message.content).toBe("Echo: hello there");
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect((sent.body as { model: string }).model).toBe("gpt-4o-2024-08-06");
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent.headers["openai-organization"]).toBe("org-test");
  });

  it("streams chunks and the usage chunk when stream_options.include_usage is set", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Echo: stream me please");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("asks upstream for usage on every stream but withholds the usage chunk from a client that did not ask", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "no usage for me" }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "Echo: no usage for me",
    );
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    const sent = upstream.requests[0]!.body as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
  });

  it("answers legacy completions, plain and streamed", async () => {
    const res = await client.completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this",
    });
    expect(res.choices[0]?.text).toContain("Say this");
    expect(upstream.requests[0]!.path).toBe("/v1/completions");
    const stream = await client.completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say that",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toContain("Say that");
  });

  it("returns embeddings in the SDK's default base64 encoding and as floats", async () => {
    const b64 = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["a", "b"],
    });
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0]!.embedding).toHaveLength(8);
    expect((upstream.requests[0]!.body as { encoding_format?: string }).encoding_format).toBe(
      "base64",
    );
    const floats = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: "a",
      encoding_format: "float",
    });
    expect(floats.data[0]!.embedding).toEqual(b64.data[0]!.embedding);
  });

  it("lists and retrieves the models the caller may use", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id).sort();
    expect(ids).toEqual(
      [
        "gpt-3.5-turbo-instruct",
        "gpt-4o",
        "slow-model",
        "text-embedding-3-small",
        "unreachable-model",
      ].sort(),
    );
    const one = await client.models.retrieve("gpt-4o");
    expect(one.id).toBe("gpt-4o");
    await expect(client.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("serves the same API without the /v1 prefix", async () => {
    const bare = new OpenAI({ apiKey: MASTER, baseURL: gw.origin, maxRetries: 0 });
    const res = await bare.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "no prefix" }],
    });
    expect(res.choices[0]?.message.content).toBe("Echo: no prefix");
    const models = await bare.models.list();
    expect(models.data.length).toBe(5);
  });
});

describe("response headers", () => {
  it("echoes the client's request id and names the deployment that served, with the gateway's own time", async () => {
    const { data, response } = await client.chat.completions
      .create(
        { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-request-id": "trace-abc-123" } },
      )
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: hi");
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
    expect(response.headers.get("x-switchyard-model-id")).toMatch(/^[0-9a-f]{16}$/);
    expect(Number(response.headers.get("x-switchyard-overhead-ms"))).toBeGreaterThanOrEqual(0);
  });

  it("makes a request id when the client sent none", async () => {
    const res = await fetch(`${gw.origin}/v1/models`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{12}[0-9a-z]{6,}$/);
  });
});

describe("errors surface as the SDK's own exception classes", () => {
  it("401 AuthenticationError for a wrong key, and for no key", async () => {
    const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: `${gw.origin}/v1`, maxRetries: 0 });
    const err = await wrong.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as APIError).code).toBe("invalid_api_key");
    const none = await fetch(`${gw.origin}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
    expect(upstream.requests).toHaveLength(0);
  });

  it("accepts the master key in x-api-key too", async () => {
    const res = await fetch(`${gw.origin}/v1/models`, { headers: { "x-api-key": MASTER } });
    expect(res.status).toBe(200);
  });

  it("404 NotFoundError with code model_not_found for an unknown model", async () => {
    const err = await client.chat.completions
      .create({ model: "gpt-5-ultra", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as APIError).code).toBe("model_not_found");
  });

  it("400 BadRequestError for a missing model or messages", async () => {
    const noMessages = await client.chat.completions
      .create({ model: "gpt-4o" } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noMessages as APIError).param).toBe("messages");
    const noModel = await client.chat.completions
      .create({
        messages: [{ role: "user", content: "x" }],
      } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noModel as APIError).param).toBe("model");
  });

  it("400 with an OpenAI-shaped error for malformed JSON", async () => {
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: '{"model": "gpt-4o", "messages": [',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/could not parse the JSON body/);
  });

  it("413 for a body over the configured limit", async () => {
    const big = "x".repeat(20_000);
    const err = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: big }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as APIError).status).toBe(413);
    expect((err as APIError).code).toBe("request_too_large");
    expect(upstream.requests).toHaveLength(0);
  });

  it("passes an upstream error's status and message through, with upstream secrets removed", async () => {
    upstream.script({
      kind: "error",
      status: 429,
      headers: { "retry-after": "7" },
      body: {
        error: {
          message: `Rate limit reached for key ${UPSTREAM_KEY} (sk-proj-abcdefghijklmnop)`,
          type: "requests",
          param: null,
          code: "rate_limit_exceeded",
        },
      },
    });
    const err = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiErr = err as APIError;
    expect(apiErr.code).toBe("rate_limit_exceeded");
    expect(apiErr.message).toContain("Rate limit reached");
    expect(apiErr.message).not.toContain(UPSTREAM_KEY);
    expect(apiErr.message).not.toContain("abcdefghijklmnop");
    expect(apiErr.headers?.get("retry-after")).toBe("7");
  });

  it("maps an upstream 500 with a non-JSON body to a clean 500", async () => {
    upstream.script({ kind: "error", status: 500, body: "<html>Internal Server Error</html>" });
    const err = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as APIError).message).not.toContain("<html>");
  });

  it("504 when the upstream does not answer within the deployment's timeout", async () => {
    upstream.script({ kind: "stall" });
    const err = await client.chat.completions
      .create({ model: "slow-model", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as APIError).status).toBe(504);
    expect((err as APIError).code).toBe("upstream_timeout");
  });

  it("502 when the upstream cannot be reached, and when it resets the connection", async () => {
    const err = await client.chat.completions
      .create({ model: "unreachable-model", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((err as APIError).status).toBe(502);
    expect((err as APIError).code).toBe("upstream_unreachable");
    upstream.script({ kind: "reset" });
    const reset = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((reset as APIError).status).toBe(502);
  });

  it("answers an unknown route with an OpenAI-shaped 404", async () => {
    const res = await fetch(`${gw.origin}/v1/nothing-here`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "Invalid URL (GET /v1/nothing-here)",
    );
  });
});

describe("health endpoints", () => {
  it("liveliness and readiness answer without a key", async () => {
    const live = await fetch(`${gw.origin}/health/liveliness`);
    expect(live.status).toBe(200);
    expect(await live.json()).toBe("I'm alive!");
    const ready = await fetch(`${gw.origin}/health/readiness`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe("healthy");
  });

  it("/health needs the master key and reports each deployment", async () => {
    expect((await fetch(`${gw.origin}/health`)).status).toBe(401);
    const res = await fetch(`${gw.origin}/health`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      healthy_count: number;
      unhealthy_count: number;
      unhealthy_endpoints: { model: string; error: string }[];
    };
    expect(body.healthy_count).toBe(4);
    expect(body.unhealthy_count).toBe(1);
    expect(body.unhealthy_endpoints[0]!.model).toBe("unreachable-model");
    expect(JSON.stringify(body)).not.toContain(UPSTREAM_KEY);
  });
});
