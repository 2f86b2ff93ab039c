import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { costOf } from "../../../data-plane/pricing/cost.js";
import { priceOf } from "../../../data-plane/pricing/deployment-price.js";
import { chatCompletion as anthropicCompletion } from "../../../data-plane/providers/anthropic/response.js";
import { anthropicStream } from "../../../data-plane/providers/anthropic/stream.js";
import type { AnthropicMessage } from "../../../data-plane/providers/anthropic/wire.js";
import { geminiStream } from "../../../data-plane/providers/gemini/stream.js";
import { usageFromMetadata } from "../../../data-plane/providers/gemini/usage.js";
import type { GeminiResponse } from "../../../data-plane/providers/gemini/wire.js";
import { openAIStream } from "../../../data-plane/providers/openai/stream.js";
import { usageFromBody } from "../../../data-plane/providers/openai/usage.js";
import type { StreamAnswer, Usage } from "../../../data-plane/providers/types.js";
import type { Deployment } from "../../../schema/snapshot.js";

// Each provider's fixture answer, plain and streamed → the Usage its adapter reports → what
// costOf charges for it at the built-in list price of the deployment's model. Prices per
// million tokens: claude-3-5-sonnet 3 in / 15 out / 0.30 cache read / 3.75 cache write;
// gemini-2.5-flash 0.30 / 2.50 / 0.075 cached; gpt-4o-mini 0.15 / 0.60 / 0.075 cached;
// deepseek-chat 0.27 / 1.10 / 0.07 cache hit.

const text = (path: string) =>
  readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), "utf8");
const M = 1e-6;

function deployment(provider: string, model: string): Deployment {
  return {
    id: `${provider}-1`,
    modelName: model,
    provider,
    model,
    apiKey: "sk-test",
    timeoutMs: 60_000,
    streamTimeoutMs: 60_000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
  };
}

async function* bytes(s: string, piece = 23): AsyncGenerator<Uint8Array> {
  const all = new TextEncoder().encode(s);
  for (let i = 0; i < all.length; i += piece) yield all.subarray(i, i + piece);
}

async function streamedUsage(answer: StreamAnswer): Promise<Usage | undefined> {
  for await (const _ of answer.chunks) {
    // drained for the usage
  }
  return answer.usage();
}

const claude = deployment("anthropic", "claude-3-5-sonnet-20241022");
const gemini = deployment("gemini", "gemini-2.5-flash");

describe("usage and cost per provider", () => {
  it("anthropic: prices cache reads and cache writes apart from plain input", () => {
    const message = JSON.parse(text("anthropic/chat.response.json")) as AnthropicMessage;
    const { usage } = anthropicCompletion(message, 1);
    expect(usage).toEqual({
      prompt_tokens: 24,
      completion_tokens: 10,
      total_tokens: 34,
      prompt_tokens_details: { cached_tokens: 8, cache_creation_tokens: 4 },
    });
    expect(costOf(priceOf(claude), usage)).toBeCloseTo(
      12 * 3 * M + 8 * 0.3 * M + 4 * 3.75 * M + 10 * 15 * M,
      12,
    );
  });

  it("anthropic stream: the final usage counts message_start's cache reads", async () => {
    const usage = await streamedUsage(
      anthropicStream(bytes(text("anthropic/chat.stream.sse")), false, claude),
    );
    expect(usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 7,
      total_tokens: 27,
      prompt_tokens_details: { cached_tokens: 6 },
    });
    expect(costOf(priceOf(claude), usage)).toBeCloseTo(14 * 3 * M + 6 * 0.3 * M + 7 * 15 * M, 12);
  });

  it("gemini: cachedContentTokenCount is priced as cached input", () => {
    const answer = JSON.parse(text("gemini/chat.gemini-response.json")) as GeminiResponse;
    const usage = usageFromMetadata(answer.usageMetadata);
    expect(usage).toEqual({
      prompt_tokens: 271,
      completion_tokens: 2,
      total_tokens: 273,
      prompt_tokens_details: { cached_tokens: 256 },
    });
    expect(costOf(priceOf(gemini), usage)).toBeCloseTo(
      15 * 0.3 * M + 256 * 0.075 * M + 2 * 2.5 * M,
      12,
    );
  });

  it("gemini stream: thoughts tokens are billed as output", async () => {
    const usage = await streamedUsage(
      geminiStream(bytes(text("gemini/stream-text.sse")), gemini, false),
    );
    expect(usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 12,
      total_tokens: 17,
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    expect(costOf(priceOf(gemini), usage)).toBeCloseTo(5 * 0.3 * M + 12 * 2.5 * M, 12);
  });

  for (const provider of ["openai", "azure"]) {
    const d = deployment(provider, "gpt-4o-mini");

    it(`${provider}: cached_tokens are taken as sent and priced as cached input`, () => {
      const usage = usageFromBody(Buffer.from(text("openai/chat.response.json")));
      expect(usage).toMatchObject({
        prompt_tokens: 2006,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 1920 },
      });
      expect(costOf(priceOf(d), usage)).toBeCloseTo(
        86 * 0.15 * M + 1920 * 0.075 * M + 300 * 0.6 * M,
        12,
      );
    });

    it(`${provider} stream: the usage chunk's cached_tokens are priced as cached input`, async () => {
      const usage = await streamedUsage(openAIStream(bytes(text("openai/chat.stream.sse")), false));
      expect(usage).toMatchObject({
        prompt_tokens: 1200,
        completion_tokens: 50,
        prompt_tokens_details: { cached_tokens: 1024 },
      });
      expect(costOf(priceOf(d), usage)).toBeCloseTo(
        176 * 0.15 * M + 1024 * 0.075 * M + 50 * 0.6 * M,
        12,
      );
    });
  }

  it("deepseek: prompt_cache_hit_tokens are priced as cached input", async () => {
    const d = deployment("deepseek", "deepseek-chat");
    const expected = 200 * 0.27 * M + 800 * 0.07 * M + 100 * 1.1 * M;
    const plain = usageFromBody(Buffer.from(text("openai/deepseek.response.json")));
    expect(plain?.prompt_tokens_details).toEqual({ cached_tokens: 800 });
    expect(costOf(priceOf(d), plain)).toBeCloseTo(expected, 12);
    const streamed = await streamedUsage(
      openAIStream(bytes(text("openai/deepseek.stream.sse")), false),
    );
    expect(streamed?.prompt_tokens_details).toEqual({ cached_tokens: 800 });
    expect(costOf(priceOf(d), streamed)).toBeCloseTo(expected, 12);
  });
});
