import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type FakeAzure, startFakeAzure } from "../fakes/azure-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-test-master";
const AZURE_KEY = "0123456789abcdef0123456789abcdef";
const GROQ_KEY = "gsk_from_the_environment";

let azure: FakeAzure;
let upstream: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  azure = await startFakeAzure({ apiKey: AZURE_KEY });
  upstream = await startFakeOpenAI({ apiKey: GROQ_KEY });
  // The data plane reads a family's key variable from its own environment.
  vi.stubEnv("GROQ_API_KEY", GROQ_KEY);
  gw = await startTestGateway(`
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/my-gpt4o
      api_base: ${azure.url}
      api_key: ${AZURE_KEY}
      api_version: "2024-10-21"
  - model_name: old-azure
    litellm_params:
      model: azure/my-gpt4o
      api_base: ${azure.url}
      api_key: ${AZURE_KEY}
      api_version: "2024-06-01"
  - model_name: embed
    litellm_params:
      model: azure/my-embeddings
      api_base: ${azure.url}
      api_key: ${AZURE_KEY}
      api_version: "2024-10-21"
  - model_name: no-version
    litellm_params:
      model: azure/my-gpt4o
      api_base: ${azure.url}
      api_key: ${AZURE_KEY}
  - model_name: llama
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_base: ${upstream.url}
  - model_name: llama-lenient
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_base: ${upstream.url}
      drop_params: true
general_settings:
  master_key: ${MASTER}
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await azure?.stop();
  await upstream?.stop();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  azure.reset();
  upstream.reset();
});

describe("Azure OpenAI through the gateway", () => {
  it("calls the deployment's path with api-version and the api-key header, body as sent", async () => {
    const res = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0,
    });
    expect(res.choices[0]?.message.content).toBe("Hello there");
    expect(res.usage?.total_tokens).toBe(11);
    expect(azure.requests).toHaveLength(1);
    const req = azure.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
    expect(req.headers["api-key"]).toBe(AZURE_KEY);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: "my-gpt4o",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0,
    });
  });

  it("streams, asking Azure for the usage chunk and keeping it from a client that did not ask", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usageChunks++;
    }
    expect(text).toBe("Hello there");
    expect(usageChunks).toBe(0);
    expect(azure.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("passes the usage chunk to a client that asked for it", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let total: number | undefined;
    for await (const chunk of stream) if (chunk.usage) total = chunk.usage.total_tokens;
    expect(total).toBe(11);
  });

  it("does not send stream_options to an API version that refuses it", async () => {
    const stream = await client.chat.completions.create({
      model: "old-azure",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    expect(azure.requests[0]!.url).toContain("api-version=2024-06-01");
    expect(azure.requests[0]!.body).not.toHaveProperty("stream_options");
  });

  it("embeds through the deployment's embeddings path", async () => {
    const res = await client.embeddings.create({
      model: "embed",
      input: "hello",
      encoding_format: "float",
    });
    expect(res.data[0]?.embedding).toHaveLength(3);
    expect(azure.requests[0]!.url).toBe(
      "/openai/deployments/my-embeddings/embeddings?api-version=2024-10-21",
    );
    expect(azure.requests[0]!.body).toEqual({
      model: "my-embeddings",
      input: "hello",
      encoding_format: "float",
    });
  });

  it("passes a content-filter refusal through with its code", async () => {
    azure.failNext(400, {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        type: null,
        param: "prompt",
        code: "content_filter",
        status: 400,
        innererror: { code: "ResponsibleAIPolicyViolation" },
      },
    });
    const err = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "bad" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    const e = err as APIError;
    expect(e.status).toBe(400);
    expect(e.code).toBe("content_filter");
    expect(e.param).toBe("prompt");
    expect(e.type).toBe("invalid_request_error");
    expect(e.message).toContain("content management policy");
  });

  it("refuses a deployment without api_version with a clear error, calling nothing", async () => {
    const err = await client.chat.completions
      .create({ model: "no-version", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    const e = err as APIError;
    expect(e.status).toBe(500);
    expect(e.code).toBe("deployment_misconfigured");
    expect(e.message).toContain("needs api_version");
    expect(azure.requests).toHaveLength(0);
  });
});

describe("an OpenAI-compatible family through the gateway", () => {
  it("sends the model after the prefix, with the key from GROQ_API_KEY", async () => {
    const res = await client.chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.choices[0]?.message.content).toBeTypeOf("string");
    const req = upstream.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${GROQ_KEY}`);
    expect((req.body as { model: string }).model).toBe("llama-3.1-8b-instant");
  });

  it("refuses a param Groq does not take, naming it, unless drop_params is set", async () => {
    const body = {
      messages: [{ role: "user" as const, content: "hi" }],
      logit_bias: { "50256": -100 },
    };
    const err = await client.chat.completions
      .create({ model: "llama", ...body })
      .catch((e: unknown) => e);
    const e = err as APIError;
    expect(e.status).toBe(400);
    expect(e.param).toBe("logit_bias");
    expect(e.type).toBe("invalid_request_error");
    expect((e.error as { message: string }).message).toBe(
      "logit_bias is not supported by provider groq; set drop_params: true to drop it",
    );
    expect(upstream.requests).toHaveLength(0);

    await client.chat.completions.create({ model: "llama-lenient", ...body });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body).not.toHaveProperty("logit_bias");
  });
});

describe("litellm_settings.drop_params", () => {
  let lenient: TestGateway;
  afterAll(async () => {
    await lenient?.stop();
  });

  it("drops unsupported params for every deployment", async () => {
    lenient = await startTestGateway(`
model_list:
  - model_name: llama
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_base: ${upstream.url}
      api_key: ${GROQ_KEY}
litellm_settings:
  drop_params: true
`);
    const open = new OpenAI({ apiKey: "unused", baseURL: `${lenient.origin}/v1`, maxRetries: 0 });
    await open.chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: "hi" }],
      top_logprobs: 2,
      logprobs: true,
    });
    expect(upstream.requests[0]!.body).not.toHaveProperty("logprobs");
    expect(upstream.requests[0]!.body).not.toHaveProperty("top_logprobs");
  });
});
