import { createServer, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-stream-master";
const CHUNK_CONTENT = "x".repeat(16 * 1024);
const BIG_CHUNKS = 4096; // 64 MiB of content

/**
 * An upstream that streams BIG_CHUNKS large chunks as fast as its socket takes them
 * (honouring its own backpressure) and counts the bytes it managed to write; or, for
 * /v1/die, three chunks and then a dropped connection.
 */
function startFloodUpstream(): Promise<{ server: Server; url: string; written: () => number }> {
  let written = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (req.url?.startsWith("/v1/die")) {
        for (let i = 0; i < 3; i++) res.write(chunk(`part${i} `));
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      flood(res, 0);
    });
  });
  function flood(res: ServerResponse, from: number): void {
    for (let i = from; i < BIG_CHUNKS; i++) {
      const data = chunk(CHUNK_CONTENT);
      written += data.length;
      if (!res.write(data)) {
        res.once("drain", () => flood(res, i + 1));
        return;
      }
    }
    res.end("data: [DONE]\n\n");
  }
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/v1`, written: () => written });
    });
  });
}

function chunk(content: string): string {
  return `data: ${JSON.stringify({
    id: "chatcmpl-flood",
    object: "chat.completion.chunk",
    created: 1,
    model: "flood",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;
}

let fake: FakeOpenAI;
let flood: Awaited<ReturnType<typeof startFloodUpstream>>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  flood = await startFloodUpstream();
  gw = await startTestGateway(`
model_list:
  - model_name: fake
    litellm_params: { model: openai/fake, api_base: "${fake.url}" }
  - model_name: flood
    litellm_params: { model: openai/flood, api_base: "${flood.url}" }
  - model_name: dies
    litellm_params: { model: openai/dies, api_base: "${flood.url.replace("/v1", "/v1/die")}" }
  - model_name: mock-stream
    litellm_params:
      model: mock/streamer
      mock_response: "one two three four five six seven eight nine ten"
      mock_ttft_ms: 20
      mock_tokens_per_second: 500
general_settings:
  master_key: ${MASTER}
`);
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.origin}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await new Promise((r) => flood?.server.close(r));
});

describe("streaming", () => {
  it("a slow-reading client gets every byte, and the gateway stops pulling from upstream while it waits", async () => {
    const body = JSON.stringify({
      model: "flood",
      stream: true,
      messages: [{ role: "user", content: "go" }],
    });
    const result = await new Promise<{ text: string; writtenWhilePaused: number }>(
      (resolve, reject) => {
        const req = request(
          `${gw.origin}/v1/chat/completions`,
          {
            method: "POST",
            headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
          },
          (res) => {
            const parts: Buffer[] = [];
            let writtenWhilePaused = -1;
            res.once("data", (first: Buffer) => {
              parts.push(first);
              res.pause();
              // Give a gateway that ignored backpressure time to pull the whole upstream.
              setTimeout(() => {
                writtenWhilePaused = flood.written();
                res.on("data", (b: Buffer) => parts.push(b));
                res.resume();
              }, 2000);
            });
            res.on("end", () =>
              resolve({ text: Buffer.concat(parts).toString("utf8"), writtenWhilePaused }),
            );
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      },
    );
    const events = result.text.split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    const content = events
      .slice(0, -1)
      .map(
        (e) =>
          (JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]!
            .delta.content,
      )
      .join("");
    expect(content.length).toBe(CHUNK_CONTENT.length * BIG_CHUNKS);
    // 64 MiB total; socket buffers on the two loopback hops hold a few MiB at most.
    const total = chunk(CHUNK_CONTENT).length * BIG_CHUNKS;
    expect(result.writtenWhilePaused).toBeGreaterThan(0);
    expect(result.writtenWhilePaused).toBeLessThan(total / 2);
  });

  it("a client that disconnects mid-stream makes the gateway abort its upstream request", async () => {
    fake.reset();
    fake.script({ kind: "slow-stream", chunks: 200, intervalMs: 25 });
    const controller = new AbortController();
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "fake",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("tok2")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString("utf8");
    }
    controller.abort();
    await fake.waitForAborts(1, 5000);
    expect(fake.aborted).toBe(1);
  });

  it("an upstream that dies mid-stream ends the client's stream with an error event, not a silent cut", async () => {
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "dies",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("part2");
    expect(text).toMatch(/data: \{"error":\{"message":"[^"]+","type":"api_error"/);
    expect(text).not.toContain("[DONE]");
    // The SDK turns that event into an exception.
    const stream = await client.chat.completions.create({
      model: "dies",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it("an upstream error before the first byte is a plain HTTP error the SDK raises", async () => {
    fake.reset();
    fake.script({ kind: "error", status: 429 });
    const err = await client.chat.completions
      .create({ model: "fake", stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("streams the mock provider's reply token by token, ending with [DONE]", async () => {
    const res = await fetch(`${gw.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "mock-stream",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "count" }],
      }),
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = (await res.text()).split("\n\n").filter((e) => e !== "");
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)) as OpenAI.ChatCompletionChunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "one two three four five six seven eight nine ten",
    );
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(10);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });
});
