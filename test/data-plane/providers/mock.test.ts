import { describe, expect, it } from "vitest";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment, MockSettings } from "../../../schema/snapshot.js";
import { mockProvider } from "../../../data-plane/providers/mock/index.js";
import type {
  CallType,
  JsonAnswer,
  ProviderCall,
  StreamAnswer,
} from "../../../data-plane/providers/types.js";
import { CallAbort } from "../../../data-plane/upstream/call-abort.js";
import { UpstreamPools } from "../../../data-plane/upstream/pools.js";

function deployment(mock: Partial<MockSettings> = {}): Deployment {
  return {
    id: "mock-1",
    modelName: "demo",
    provider: "mock",
    model: "demo-model",
    timeoutMs: 10_000,
    streamTimeoutMs: 10_000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
    mock: { ttftMs: 0, errorRate: 0, errorStatus: 500, embeddingDimensions: 16, ...mock },
  };
}

function call(
  callType: CallType,
  body: Record<string, unknown>,
  d = deployment(),
  stream = false,
  includeUsage = false,
): ProviderCall {
  return {
    callType,
    body,
    deployment: d,
    stream,
    includeUsage,
    rawBody: JSON.stringify(body),
    signal: new CallAbort(),
    pools: new UpstreamPools(),
  };
}

/** A JSON answer's body as text. */
function text(body: string | Uint8Array): string {
  return typeof body === "string" ? body : Buffer.from(body).toString("utf8");
}

const hello = { model: "demo", messages: [{ role: "user", content: "hello mock" }] };

describe("mock provider", () => {
  it("answers deterministically, quoting the last user message", async () => {
    const a = (await mockProvider.call(call("chat", hello))) as JsonAnswer;
    const b = (await mockProvider.call(call("chat", hello))) as JsonAnswer;
    const content = (body: string) =>
      (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message
        .content;
    expect(content(text(a.body))).toBe(content(text(b.body)));
    expect(content(text(a.body))).toContain('"hello mock"');
    expect(a.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("uses mock_response and cuts it at max_tokens with finish_reason length", async () => {
    const d = deployment({ response: "a b c d e f" });
    const answer = (await mockProvider.call(
      call("chat", { ...hello, max_tokens: 3 }, d),
    )) as JsonAnswer;
    const parsed = JSON.parse(text(answer.body)) as {
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(parsed.choices[0]!.message.content).toBe("a b c ");
    expect(parsed.choices[0]!.finish_reason).toBe("length");
    expect(parsed.usage.completion_tokens).toBe(3);
  });

  it("fails every call with the configured status when mock_error_rate is 1", async () => {
    const d = deployment({ errorRate: 1, errorStatus: 429 });
    const err = await mockProvider.call(call("chat", hello, d)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).retryAfter).toBe(1);
    expect(
      (await mockProvider.healthCheck(d, new UpstreamPools(), new AbortController().signal))
        .healthy,
    ).toBe(false);
  });

  it("streams a usage chunk only when asked", async () => {
    const collect = async (answer: StreamAnswer) => {
      const out: string[] = [];
      for await (const c of answer.chunks) out.push(c);
      return out.map((c) => JSON.parse(c) as { choices: unknown[]; usage?: unknown });
    };
    const withUsage = await collect(
      (await mockProvider.call(call("chat", hello, deployment(), true, true))) as StreamAnswer,
    );
    expect(withUsage.at(-1)!.choices).toEqual([]);
    expect(withUsage.at(-1)!.usage).toBeTruthy();
    const without = (await mockProvider.call(
      call("chat", hello, deployment(), true, false),
    )) as StreamAnswer;
    const chunks = await collect(without);
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true);
    expect(without.usage()?.completion_tokens).toBeGreaterThan(0);
  });

  it("embeds the same text the same way, as unit vectors, in float or base64", async () => {
    const floats = (await mockProvider.call(
      call("embedding", { model: "demo", input: ["same", "other"] }),
    )) as JsonAnswer;
    const again = (await mockProvider.call(
      call("embedding", { model: "demo", input: "same" }),
    )) as JsonAnswer;
    const vectors = (body: string) =>
      (JSON.parse(body) as { data: { embedding: number[] | string }[] }).data.map(
        (d) => d.embedding,
      );
    const [same, other] = vectors(text(floats.body)) as number[][];
    expect(vectors(text(again.body))[0]).toEqual(same);
    expect(same).not.toEqual(other);
    expect(same!.length).toBe(16);
    expect(Math.hypot(...same!)).toBeCloseTo(1, 5);
    const b64 = (await mockProvider.call(
      call("embedding", { model: "demo", input: "same", encoding_format: "base64" }),
    )) as JsonAnswer;
    const buf = Buffer.from(vectors(text(b64.body))[0] as string, "base64");
    const decoded = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4));
    expect(decoded).toEqual(same);
  });

  it("stops waiting out its time to first token when the call is aborted", async () => {
    const controller = new CallAbort();
    const c = { ...call("chat", hello, deployment({ ttftMs: 60_000 })), signal: controller };
    const pending = mockProvider.call(c);
    controller.abort(new Error("client gone"));
    await expect(pending).rejects.toThrow();
  });
});
