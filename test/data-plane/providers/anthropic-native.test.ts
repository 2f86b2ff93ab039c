import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseMessagesRequest } from "../../../data-plane/anthropic-entry/request.js";
import { costOf } from "../../../data-plane/pricing/cost.js";
import { priceOf } from "../../../data-plane/pricing/deployment-price.js";
import { isNativeAnswer } from "../../../data-plane/providers/native.js";
import { providerFor } from "../../../data-plane/providers/registry.js";
import type { Answer, ProviderCall, Usage } from "../../../data-plane/providers/types.js";
import { CallAbort } from "../../../data-plane/upstream/call-abort.js";
import { UpstreamPools } from "../../../data-plane/upstream/pools.js";
import type { Deployment } from "../../../schema/snapshot.js";
import {
  type FakeAnthropic,
  fixtureJson,
  fixtureText,
  startFakeAnthropic,
} from "../../fakes/anthropic-upstream.js";

// /v1/messages to an Anthropic deployment goes through untranslated; usage is still read
// (as OpenAI usage, cache reads and writes apart) so spend prices it right. Prices of
// claude-3-5-sonnet per million tokens: 3 in, 15 out, 0.30 cache read, 3.75 cache write.

const KEY = "sk-ant-native-0123456789";
const M = 1e-6;
let upstream: FakeAnthropic;
let pools: UpstreamPools;
let deployment: Deployment;

beforeAll(async () => {
  upstream = await startFakeAnthropic({ apiKey: KEY });
  pools = new UpstreamPools();
  deployment = {
    id: "claude-native",
    modelName: "claude",
    provider: "anthropic",
    model: "claude-3-5-sonnet-20241022",
    apiKey: KEY,
    apiBase: upstream.url,
    timeoutMs: 10_000,
    streamTimeoutMs: 10_000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
  };
});

afterAll(async () => {
  await pools?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

function call(body: Record<string, unknown>): Promise<Answer> {
  const text = JSON.stringify(body);
  const request = parseMessagesRequest(text);
  const provider = providerFor("anthropic");
  if (provider === undefined) throw new Error("no anthropic provider");
  const c: ProviderCall = {
    callType: "chat",
    body: request.body,
    rawBody: request.rawBody,
    deployment,
    stream: request.stream,
    includeUsage: request.includeUsage,
    signal: new CallAbort(),
    pools,
  };
  return provider.call(c);
}

const message = { model: "claude", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

describe("Anthropic passthrough usage", () => {
  it("reads usage from the untranslated message, cache writes and reads priced apart", async () => {
    upstream.script({ kind: "json", body: fixtureJson("chat.response.json") });
    const answer = await call(message);
    if (answer.kind !== "json") throw new Error("expected a whole answer");
    expect(isNativeAnswer(answer.body)).toBe(true);
    expect(JSON.parse(Buffer.from(answer.body).toString())).toEqual(
      fixtureJson("chat.response.json"),
    );
    const usage: Usage = {
      prompt_tokens: 24,
      completion_tokens: 10,
      total_tokens: 34,
      prompt_tokens_details: { cached_tokens: 8, cache_creation_tokens: 4 },
    };
    expect(answer.usage).toEqual(usage);
    expect(costOf(priceOf(deployment), answer.usage)).toBeCloseTo(
      12 * 3 * M + 8 * 0.3 * M + 4 * 3.75 * M + 10 * 15 * M,
      12,
    );
  });

  it("reads usage from message_start and message_delta of the untranslated stream", async () => {
    upstream.script({ kind: "sse", text: fixtureText("chat.stream.sse") });
    const answer = await call({ ...message, stream: true });
    if (answer.kind !== "stream") throw new Error("expected a stream");
    let text = "";
    for await (const chunk of answer.chunks) text += chunk;
    expect(text).toBe(fixtureText("chat.stream.sse"));
    expect(answer.usage()).toEqual({
      prompt_tokens: 20,
      completion_tokens: 7,
      total_tokens: 27,
      prompt_tokens_details: { cached_tokens: 6 },
    });
    expect(costOf(priceOf(deployment), answer.usage())).toBeCloseTo(
      14 * 3 * M + 6 * 0.3 * M + 7 * 15 * M,
      12,
    );
  });

  it("throws the stream's error event as the translated path does, with the usage so far", async () => {
    upstream.script({ kind: "sse", text: fixtureText("stream-error.sse") });
    const answer = await call({ ...message, stream: true });
    if (answer.kind !== "stream") throw new Error("expected a stream");
    const err = await (async () => {
      for await (const _ of answer.chunks) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, type: "overloaded_error" });
    expect(answer.usage()).toMatchObject({ prompt_tokens: 9, completion_tokens: 1 });
  });
});
