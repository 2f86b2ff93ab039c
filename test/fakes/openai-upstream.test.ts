import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  RateLimitError,
} from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "./openai-upstream.js";

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // No retries: each scripted behaviour must meet exactly one request.
  client = new OpenAI({ apiKey: "sk-test", baseURL: fake.url, maxRetries: 0 });
});
afterEach(() => fake.reset());
afterAll(() => fake.stop());

const messages = [
  { role: "system" as const, content: "be brief" },
  { role: "user" as const, content: "hello there" },
];

describe("fake OpenAI upstream wire format", () => {
  it("answers a chat completion with an echo of the last user message", async () => {
    const res = await client.chat.completions.create({ model: "gpt-4o-mini", messages });

    expect(res.object).toBe("chat.completion");
    expect(res.id).toMatch(/^chatcmpl-fake-\d+$/);
    expect(res.model).toBe("gpt-4o-mini");
    expect(res.system_fingerprint).toBeTruthy();
    expect(res.choices[0]?.message).toMatchObject({
      role: "assistant",
      content: "Echo: hello there",
    });
    expect(res.choices[0]?.finish_reason).toBe("stop");
    // "be brief" + "hello there" = 19 chars -> 5 tokens; "Echo: hello there" = 17 chars -> 5
    expect(res.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-test");
  });

  it("streams chat as word chunks, a stop chunk, then a usage-only chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant", content: "" });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Echo: hello there");
    expect(chunks.length).toBe(1 + 3 + 1 + 1); // role, 3 words, stop, usage
    const stop = chunks.at(-2);
    expect(stop?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("frames the stream as SSE data lines ending in [DONE]", async () => {
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages, stream: true }),
    });
    const body = await res.text();

    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(body.startsWith("data: {")).toBe(true);
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    // Without include_usage there is no usage chunk and no usage field.
    expect(body).not.toContain('"usage"');
  });

  it("answers legacy completions, plain and streamed", async () => {
    const plain = await client.completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "hi",
    });
    expect(plain.object).toBe("text_completion");
    expect(plain.choices[0]).toMatchObject({ text: "Echo: hi", finish_reason: "stop", index: 0 });
    expect(plain.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });

    const stream = await client.completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "hi",
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Echo: hi");
    expect(usage?.total_tokens).toBe(3);
  });

  it("returns the same deterministic vectors as base64 (SDK default) and as floats", async () => {
    const input = ["alpha", "beta"];
    const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input });
    const floats = await client.embeddings.create({
      model: "text-embedding-3-small",
      input,
      encoding_format: "float",
    });

    expect(
      fake.requests.map((r) => (r.body as { encoding_format: string }).encoding_format),
    ).toEqual(["base64", "float"]);
    expect(decoded.data.map((d) => d.embedding)).toEqual(floats.data.map((d) => d.embedding));
    expect(floats.data[0]?.embedding).toHaveLength(8);
    expect(floats.data[0]?.embedding).not.toEqual(floats.data[1]?.embedding);
    expect(Math.hypot(...(floats.data[0]?.embedding ?? []))).toBeCloseTo(1, 5);
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 }); // "alpha" 2 + "beta" 1

    const wide = await client.embeddings.create({ model: "m", input: "alpha", dimensions: 16 });
    expect(wide.data[0]?.embedding).toHaveLength(16);
  });

  it("lists models", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain("gpt-4o-mini");
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "system" });
  });

  it("surfaces errors as the SDK's exception classes", async () => {
    fake.script({ kind: "error", status: 429 });
    const err = await client.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).code).toBe("rate_limit_exceeded");

    const guarded = await startFakeOpenAI({ apiKey: "sk-right" });
    try {
      const wrong = new OpenAI({ apiKey: "sk-wrong-key", baseURL: guarded.url, maxRetries: 0 });
      const authErr = await wrong.models.list().catch((e: unknown) => e);
      expect(authErr).toBeInstanceOf(AuthenticationError);
      expect((authErr as AuthenticationError).message).toContain(
        "Incorrect API key provided: sk-...-key",
      );
    } finally {
      await guarded.stop();
    }

    const missing = await fetch(`${fake.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        message: "Invalid URL (GET /v1/nope)",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
  });
});

describe("fake OpenAI upstream behaviours", () => {
  it("applies scripted behaviours in order, then the default", async () => {
    fake.script({ kind: "error", status: 500 }, { kind: "delay", ms: 50 });
    await expect(client.models.list()).rejects.toMatchObject({ status: 500 });
    const started = Date.now();
    await client.models.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await expect(client.models.list()).resolves.toBeDefined();
  });

  it("counts a stalled request as aborted once the client times out", async () => {
    fake.script({ kind: "stall" });
    const call = client.models.list({ timeout: 100 });
    await expect(call).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await fake.waitForAborts(1);
  });

  it("resets the connection without a response", async () => {
    fake.script({ kind: "reset" });
    await expect(client.models.list()).rejects.toBeInstanceOf(APIConnectionError);
    expect(fake.aborted).toBe(0);
  });

  it("slow-streams every token and stops when the client disconnects", async () => {
    fake.script({ kind: "slow-stream", chunks: 5, intervalMs: 5 });
    const full = await client.chat.completions.create({ model: "m", messages, stream: true });
    let text = "";
    for await (const chunk of full) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("tok0 tok1 tok2 tok3 tok4 ");

    fake.script({ kind: "slow-stream", chunks: 1000, intervalMs: 20 });
    const cut = await client.chat.completions.create({ model: "m", messages, stream: true });
    let seen = 0;
    for await (const _ of cut) if (++seen === 3) break; // breaking aborts the request
    await fake.waitForAborts(1);
  });

  it("stops promptly with a stalled request still open", async () => {
    const other = await startFakeOpenAI();
    other.script({ kind: "stall" });
    const stalled = fetch(`${other.url}/models`).catch((e: unknown) => e);
    await expect.poll(() => other.requests.length).toBe(1);
    await other.stop();
    expect(await stalled).toBeInstanceOf(Error);
  });
});
