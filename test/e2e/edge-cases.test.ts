import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-edge-master";

/** An "OpenAI-compatible" server that ignores `stream: true` and answers JSON. */
function startJsonOnlyUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "x", object: "chat.completion", choices: [], usage: null }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/v1` });
    }),
  );
}

let jsonOnly: Awaited<ReturnType<typeof startJsonOnlyUpstream>>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  jsonOnly = await startJsonOnlyUpstream();
  gw = await startTestGateway(`
model_list:
  - model_name: meta-llama/Llama-3-8b
    litellm_params: { model: mock/llama }
  - model_name: embed
    litellm_params: { model: mock/embed, mock_embedding_dimensions: 8192 }
  - model_name: json-only
    litellm_params: { model: openai/json-only, api_base: "${jsonOnly.url}" }
general_settings:
  master_key: ${MASTER}
  max_request_size_mb: 1
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => jsonOnly?.server.close(r));
});

describe("edge cases a production gateway must survive", () => {
  it("refuses an embeddings request for absurd dimensions instead of exhausting memory", async () => {
    const err = await client.embeddings
      .create({ model: "embed", input: "x", dimensions: 100_000_000, encoding_format: "float" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).param).toBe("dimensions");
    // And the gateway still answers.
    expect((await fetch(`${gw.origin}/health/liveliness`)).status).toBe(200);
  });

  it("answers a body far over the limit with a 413 the SDK can read, not a reset connection", async () => {
    const big = "x".repeat(3 * 1024 * 1024);
    const err = await client.chat.completions
      .create({ model: "meta-llama/Llama-3-8b", messages: [{ role: "user", content: big }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionError);
    expect((err as APIError).status).toBe(413);
  });

  it("retrieves a model whose name holds a slash", async () => {
    const model = await client.models.retrieve("meta-llama/Llama-3-8b");
    expect(model.id).toBe("meta-llama/Llama-3-8b");
  });

  it("says so when an upstream answers a streaming request without a stream", async () => {
    const err = await client.chat.completions
      .create({ model: "json-only", stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((err as APIError).status).toBe(502);
    expect((err as APIError).code).toBe("upstream_not_streaming");
  });

  it("finishes sending a large answer to a slow reader before shutting down", async () => {
    const body = JSON.stringify({
      model: "embed",
      input: Array.from({ length: 256 }, (_, i) => `text ${i}`),
      encoding_format: "base64",
    });
    const received = new Promise<{ length: number; declared: number }>((resolve, reject) => {
      const req = request(
        `${gw.origin}/v1/embeddings`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        },
        (res) => {
          let length = 0;
          res.once("data", (first: Buffer) => {
            length += first.length;
            res.pause();
            // Shut down while most of the answer is still waiting to be read.
            void gw.gateway.server.stop(10_000);
            setTimeout(() => {
              res.on("data", (b: Buffer) => {
                length += b.length;
              });
              res.resume();
            }, 1000);
          });
          res.on("end", () => resolve({ length, declared: Number(res.headers["content-length"]) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    const { length, declared } = await received;
    expect(declared).toBeGreaterThan(8 * 1024 * 1024);
    expect(length).toBe(declared);
  });
});
