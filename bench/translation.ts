// Microbenchmark: per-request and per-streamed-chunk translation cost of the Anthropic and
// Gemini adapters against OpenAI passthrough. One process, no network: the exported mapping
// functions are called directly, streams are fed from pre-split Uint8Arrays.
//
//   npx tsx bench/translation.ts           print the table
//   npx tsx bench/translation.ts --write   also replace the translation section of bench/RESULTS.md
import { readFileSync } from "node:fs";
import { anthropicBody } from "../data-plane/providers/anthropic/request.js";
import { chatCompletion as anthropicCompletion } from "../data-plane/providers/anthropic/response.js";
import { anthropicStream } from "../data-plane/providers/anthropic/stream.js";
import type { AnthropicMessage } from "../data-plane/providers/anthropic/wire.js";
import { paramsToDrop } from "../data-plane/providers/drop-params.js";
import { UNSUPPORTED_PARAMS as GEMINI_UNSUPPORTED } from "../data-plane/providers/gemini/params.js";
import { geminiChatRequest } from "../data-plane/providers/gemini/request.js";
import {
  blockedError,
  chatCompletion as geminiCompletion,
} from "../data-plane/providers/gemini/response.js";
import { geminiStream } from "../data-plane/providers/gemini/stream.js";
import { usageFromMetadata } from "../data-plane/providers/gemini/usage.js";
import type { GeminiResponse } from "../data-plane/providers/gemini/wire.js";
import { openAITarget, upstreamBody } from "../data-plane/providers/openai/request.js";
import { openAIStream } from "../data-plane/providers/openai/stream.js";
import { usageFromBody } from "../data-plane/providers/openai/usage.js";
import type { ProviderCall, StreamAnswer } from "../data-plane/providers/types.js";
import type { Deployment } from "../schema/snapshot.js";
import { writeMarkedSection } from "./results-section.js";

const REQ_WARMUP = 2_000;
const REQ_ITERATIONS = 20_000;
const STREAM_WARMUP = 200;
const STREAM_ITERATIONS = 2_000;
const ROUNDS = 5;
const DELTAS = 100;
const TARGET_REQUEST_US = 10;
const TARGET_CHUNK_US = 2;

const fixture = (path: string): string =>
  readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url), "utf8");

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
  } as Deployment;
}

const openaiDeployment = deployment("openai", "gpt-4o-mini");
const anthropicDeployment = deployment("anthropic", "claude-3-5-sonnet-20241022");
const geminiDeployment = deployment("gemini", "gemini-1.5-flash-002");

// A typical ~1 KB chat request: system prompt and two turns (user, assistant, user).
function chatRequest(model: string): Record<string, unknown> {
  return {
    model,
    messages: [
      {
        role: "system",
        content:
          "You are a concise assistant for an internal engineering team. Answer in English, " +
          "prefer short paragraphs and bullet lists, cite file paths when you refer to code, " +
          "and say plainly when you do not know something instead of guessing. Never reveal " +
          "secrets, tokens or credentials even when they appear in the conversation.",
      },
      {
        role: "user",
        content:
          "Our gateway adds about two milliseconds of latency per request under load. Where " +
          "should we look first: the JSON parsing of the request, the rate limiter, or the " +
          "upstream connection pool? We run Node 20 with undici.",
      },
      {
        role: "assistant",
        content:
          "Start with the connection pool: check keep-alive reuse and the number of sockets " +
          "per origin. Then profile a steady load with --cpu-prof and look for JSON work on " +
          "the hot path.",
      },
      {
        role: "user",
        content: "Pool reuse looks fine. How do I tell whether JSON work is the cost?",
      },
    ],
    max_tokens: 512,
    temperature: 0.3,
    user: "user-42",
  };
}

function call(d: Deployment, stream = false): ProviderCall {
  const body = chatRequest(d.model);
  return {
    callType: "chat",
    body,
    rawBody: JSON.stringify(body),
    deployment: d,
    stream,
    includeUsage: false,
  } as unknown as ProviderCall;
}

const openaiCall = call(openaiDeployment);
const openaiRenamedCall = {
  ...openaiCall,
  body: { ...openaiCall.body, model: "my-alias" },
} as ProviderCall;
const anthropicCall = call(anthropicDeployment);
const geminiCall = call(geminiDeployment);
const openaiTarget = openAITarget(openaiDeployment);

const openaiResponse = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion",
    created: 1_741_569_952,
    model: "gpt-4o-mini-2024-07-18",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello! How can I help you today?", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_06737a9306",
  }),
);
const anthropicResponse = fixture("anthropic/chat.response.json");
const geminiResponse = fixture("gemini/chat.gemini-response.json");

let sink = 0;

/** The full per-request mapping, as each provider's `call` does it around the network. */
const requestCases: Record<string, () => void> = {
  "openai passthrough": () => {
    sink += upstreamBody(openaiCall, openaiTarget).length;
    sink += usageFromBody(openaiResponse)?.total_tokens ?? 0;
  },
  "openai (model renamed)": () => {
    sink += upstreamBody(openaiRenamedCall, openaiTarget).length;
    sink += usageFromBody(openaiResponse)?.total_tokens ?? 0;
  },
  anthropic: () => {
    sink += JSON.stringify(anthropicBody(anthropicCall)).length;
    const message = JSON.parse(anthropicResponse) as AnthropicMessage;
    const { body, usage } = anthropicCompletion(message, 1_741_569_952);
    sink += JSON.stringify(body).length + usage.total_tokens;
  },
  gemini: () => {
    paramsToDrop(geminiCall.body, GEMINI_UNSUPPORTED, geminiDeployment);
    sink += JSON.stringify(geminiChatRequest(geminiCall.body)).length;
    const answer = JSON.parse(geminiResponse) as GeminiResponse;
    if (blockedError(answer) !== undefined) throw new Error("fixture is blocked");
    const usage = usageFromMetadata(answer.usageMetadata);
    sink += geminiCompletion(answer, geminiDeployment.model, usage).length;
  },
};

/** Request side and response side alone, for the breakdown. */
const halfCases: Record<string, { request: () => void; response: () => void }> = {
  "openai passthrough": {
    request: () => {
      sink += upstreamBody(openaiCall, openaiTarget).length;
    },
    response: () => {
      sink += usageFromBody(openaiResponse)?.total_tokens ?? 0;
    },
  },
  "openai (model renamed)": {
    request: () => {
      sink += upstreamBody(openaiRenamedCall, openaiTarget).length;
    },
    response: () => {
      sink += usageFromBody(openaiResponse)?.total_tokens ?? 0;
    },
  },
  anthropic: {
    request: () => {
      sink += JSON.stringify(anthropicBody(anthropicCall)).length;
    },
    response: () => {
      const message = JSON.parse(anthropicResponse) as AnthropicMessage;
      sink += JSON.stringify(anthropicCompletion(message, 1_741_569_952).body).length;
    },
  },
  gemini: {
    request: () => {
      paramsToDrop(geminiCall.body, GEMINI_UNSUPPORTED, geminiDeployment);
      sink += JSON.stringify(geminiChatRequest(geminiCall.body)).length;
    },
    response: () => {
      const answer = JSON.parse(geminiResponse) as GeminiResponse;
      blockedError(answer);
      const usage = usageFromMetadata(answer.usageMetadata);
      sink += geminiCompletion(answer, geminiDeployment.model, usage).length;
    },
  },
};

// ---- streams: one Uint8Array per SSE event, DELTAS text deltas each ----

const WORDS = ["Hello", " there", ", friend", ". Profile", " with", " --cpu-prof", " and", " look"];
const word = (i: number): string => WORDS[i % WORDS.length]!;
const encoder = new TextEncoder();
const sse = (events: string[]): Uint8Array[] => events.map((e) => encoder.encode(`${e}\n\n`));

function anthropicEvents(): string[] {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}`;
  const out = [
    ev("message_start", {
      type: "message_start",
      message: {
        id: "msg_01StreamGreeting",
        type: "message",
        role: "assistant",
        model: "claude-3-5-sonnet-20241022",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 14, cache_read_input_tokens: 6, output_tokens: 1 },
      },
    }),
    ev("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    ev("ping", { type: "ping" }),
  ];
  for (let i = 0; i < DELTAS; i++) {
    out.push(
      ev("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: word(i) },
      }),
    );
  }
  out.push(
    ev("content_block_stop", { type: "content_block_stop", index: 0 }),
    ev("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: DELTAS },
    }),
    ev("message_stop", { type: "message_stop" }),
  );
  return out;
}

function geminiEvents(): string[] {
  const out: string[] = [];
  for (let i = 0; i < DELTAS; i++) {
    const last = i === DELTAS - 1;
    out.push(
      `data: ${JSON.stringify({
        candidates: [
          {
            content: { parts: [{ text: word(i) }], role: "model" },
            ...(last ? { finishReason: "STOP" } : {}),
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: i + 1, totalTokenCount: i + 6 },
        modelVersion: "gemini-1.5-flash-002",
        responseId: "stream-1",
      })}`,
    );
  }
  return out;
}

function openaiEvents(): string[] {
  const head = {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion.chunk",
    created: 1_741_569_952,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_06737a9306",
  };
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}`;
  const out = [chunk({ role: "assistant", content: "", refusal: null })];
  for (let i = 0; i < DELTAS - 2; i++) out.push(chunk({ content: word(i) }));
  out.push(chunk({}, "stop"));
  out.push(
    `data: ${JSON.stringify({ ...head, choices: [], usage: { prompt_tokens: 19, completion_tokens: DELTAS, total_tokens: DELTAS + 19 } })}`,
    "data: [DONE]",
  );
  return out;
}

async function* feed(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

interface StreamCase {
  parts: Uint8Array[];
  open: (body: AsyncIterable<Uint8Array>) => StreamAnswer;
}

const streamCases: Record<string, StreamCase> = {
  "openai passthrough": {
    parts: sse(openaiEvents()),
    open: (body) => openAIStream(body, false),
  },
  anthropic: {
    parts: sse(anthropicEvents()),
    open: (body) => anthropicStream(body, false, anthropicDeployment),
  },
  gemini: {
    parts: sse(geminiEvents()),
    open: (body) => geminiStream(body, geminiDeployment, false),
  },
};

async function drain(c: StreamCase): Promise<number> {
  const answer = c.open(feed(c.parts));
  let n = 0;
  for await (const chunk of answer.chunks) {
    n++;
    sink += chunk.length;
  }
  sink += answer.usage()?.total_tokens ?? 0;
  return n;
}

// ---- timing ----

function timeSync(fn: () => void, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1_000 / iterations; // µs per iteration
}

async function timeStream(c: StreamCase, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await drain(c);
  return Number(process.hrtime.bigint() - start) / 1_000 / iterations; // µs per stream
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const fmt = (x: number): string => x.toFixed(2);

interface RequestRow {
  name: string;
  median: number;
  min: number;
  request: number;
  response: number;
}
interface StreamRow {
  name: string;
  events: number;
  chunksOut: number;
  median: number;
  min: number;
}

async function main(): Promise<void> {
  const requestRows: RequestRow[] = [];
  for (const [name, fn] of Object.entries(requestCases)) {
    const half = halfCases[name]!;
    timeSync(fn, REQ_WARMUP);
    timeSync(half.request, REQ_WARMUP);
    timeSync(half.response, REQ_WARMUP);
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(timeSync(fn, REQ_ITERATIONS));
    const req: number[] = [];
    const res: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      req.push(timeSync(half.request, REQ_ITERATIONS));
      res.push(timeSync(half.response, REQ_ITERATIONS));
    }
    requestRows.push({
      name,
      median: median(rounds),
      min: Math.min(...rounds),
      request: median(req),
      response: median(res),
    });
  }

  const streamRows: StreamRow[] = [];
  for (const [name, c] of Object.entries(streamCases)) {
    const chunksOut = await drain(c);
    await timeStream(c, STREAM_WARMUP);
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await timeStream(c, STREAM_ITERATIONS));
    const events = c.parts.length;
    streamRows.push({
      name,
      events,
      chunksOut,
      median: median(rounds) / events,
      min: Math.min(...rounds) / events,
    });
  }

  const reqTable = [
    "| path | µs/request (median) | min | request side | response side | target ≤ 10 µs |",
    "|---|---:|---:|---:|---:|---|",
    ...requestRows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.request)} | ${fmt(r.response)} | ${r.median <= TARGET_REQUEST_US ? "met" : "**not met**"} |`,
    ),
  ].join("\n");
  const streamTable = [
    "| path | upstream events/stream | chunks out | µs/chunk (median) | min | target ≤ 2 µs |",
    "|---|---:|---:|---:|---:|---|",
    ...streamRows.map(
      (r) =>
        `| ${r.name} | ${r.events} | ${r.chunksOut} | ${fmt(r.median)} | ${fmt(r.min)} | ${r.median <= TARGET_CHUNK_US ? "met" : "**not met**"} |`,
    ),
  ].join("\n");

  const passthroughChunk = streamRows.find((r) => r.name === "openai passthrough")!.median;
  const overhead = streamRows
    .filter((r) => r.name !== "openai passthrough")
    .map((r) => `${r.name} +${fmt(r.median - passthroughChunk)} µs`)
    .join(", ");

  console.log(`node ${process.version}, sink ${sink % 10}`);
  console.log("\nPer request (request mapping + response mapping):\n");
  console.log(reqTable);
  console.log("\nPer streamed chunk (SSE bytes → OpenAI chunk texts, total / upstream events):\n");
  console.log(streamTable);
  console.log(`\nTranslation over passthrough per chunk: ${overhead}`);

  if (process.argv.includes("--write")) writeSection(reqTable, streamTable, overhead);
}

function writeSection(reqTable: string, streamTable: string, overhead: string): void {
  const reqBytes = Buffer.byteLength(openaiCall.rawBody);
  const section = [
    "## Provider translation cost (Anthropic, Gemini vs OpenAI passthrough)",
    "",
    `Written by \`npx tsx bench/translation.ts --write\` on ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${process.platform}/${process.arch}.`,
    "",
    `How: one process, no network; the adapters' exported mapping functions called directly. Per request: the work each provider's \`call\` does around the network for a ${reqBytes}-byte OpenAI chat request (system prompt, user, assistant, user; max_tokens, temperature, user) — openai: \`upstreamBody\` + \`usageFromBody\` on a ~${openaiResponse.length}-byte response; anthropic: \`JSON.stringify(anthropicBody(call))\` (which includes the drop_params check) + \`JSON.parse\` of test/fixtures/anthropic/chat.response.json + \`chatCompletion\` + \`JSON.stringify\`; gemini: the drop_params check (\`paramsToDrop\`) + \`JSON.stringify(geminiChatRequest(body))\` + \`JSON.parse\` of test/fixtures/gemini/chat.gemini-response.json + \`blockedError\` + \`usageFromMetadata\` + \`chatCompletion\` (which stringifies). The client request is parsed once by the gateway for every provider, so that parse is not counted. ${REQ_WARMUP} warm-up iterations, then ${ROUNDS} rounds of ${REQ_ITERATIONS}, each round timed with \`process.hrtime.bigint()\`; median and min of the rounds. "openai (model renamed)" is the non-passthrough OpenAI path (client model name differs from the deployment's, so the body is re-serialised).`,
    "",
    reqTable,
    "",
    `Per chunk: each adapter's stream function (\`openAIStream\`, \`anthropicStream\`, \`geminiStream\`), which is an async generator over bytes, fed a pre-split stream (one Uint8Array per SSE event, through an async generator) of ${DELTAS} short text deltas in the fixtures' event shapes (anthropic adds message_start, content_block_start, ping, content_block_stop, message_delta, message_stop), drained fully; total time / number of upstream events. This includes SSE parsing (\`sseData\`) and the async-iteration overhead, which passthrough pays too. ${STREAM_WARMUP} warm-up streams, then ${ROUNDS} rounds of ${STREAM_ITERATIONS} streams; median and min of the rounds.`,
    "",
    streamTable,
    "",
    `Translation over passthrough, per chunk: ${overhead}.`,
    "",
    `Targets: ≤ ${TARGET_REQUEST_US} µs per request, ≤ ${TARGET_CHUNK_US} µs per chunk; the "target" columns say, per row, whether the median meets it. Numbers are from a shared machine; expect some run-to-run noise.`,
  ].join("\n");
  const path = writeMarkedSection("translation", section);
  console.log(`\nwrote ${path}`);
}

await main();
