// A fake OpenAI upstream for end-to-end tests: speaks the public wire formats (chat, legacy
// completions, embeddings, models, errors) with deterministic answers, and can be scripted to
// fail the ways real upstreams do (errors, slowness, stalls, resets, slow streams).
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
}

export type Behaviour =
  | { kind: "ok" }
  | { kind: "error"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "delay"; ms: number }
  | { kind: "stall" }
  | { kind: "reset" }
  | { kind: "slow-stream"; chunks: number; intervalMs: number }
  /** A 200 event stream that sends `chunks` content chunks, then drops the connection. */
  | { kind: "die-mid-stream"; chunks: number };

export interface FakeOpenAI {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queue behaviours for the next requests, in order; when the queue is empty use `defaultBehaviour`. */
  script(...b: Behaviour[]): void;
  defaultBehaviour: Behaviour;
  /** Number of requests whose client connection closed before the fake finished responding. */
  readonly aborted: number;
  /** Resolves when `aborted` reaches n (rejects after timeoutMs, default 5000). */
  waitForAborts(n: number, timeoutMs?: number): Promise<void>;
  /** Clears requests, queue and aborted count. */
  reset(): void;
  /** Closes the server and all open sockets; no timers left behind. */
  stop(): Promise<void>;
}

/**
 * Starts the fake on an ephemeral port. Each request takes the next scripted behaviour (or the
 * default) once its body has been read, so `requests[i]` is the request that got behaviour i.
 * With `apiKey` set, requests that get answered normally must carry `Authorization: Bearer <apiKey>`.
 */
export async function startFakeOpenAI(
  opts: { host?: string; apiKey?: string } = {},
): Promise<FakeOpenAI> {
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  const abortWaiters = new Set<AbortWaiter>();
  let aborted = 0;
  let sequence = 0;
  let stopping = false;
  // One controller per open exchange, so stop() can end every pending sleep at once.
  const open = new Set<AbortController>();

  const countAbort = (): void => {
    aborted++;
    for (const waiter of abortWaiters) waiter.check();
  };

  const server = createServer((req, res) => {
    // A bug in the fake should fail the test at once, not leave the client waiting.
    handle(req, res).catch((err: unknown) => {
      console.error("fake OpenAI upstream:", err);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Aborted when the connection goes away, so pending sleeps end and no timer outlives it.
    const connection = new AbortController();
    open.add(connection);
    // Only the client giving up counts as an abort, not a reset or stop() by the fake itself.
    let resetOnPurpose = false;
    res.on("close", () => {
      connection.abort();
      open.delete(connection);
      if (!res.writableFinished && !resetOnPurpose && !stopping) countAbort();
    });

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // client went away mid-body; the close handler has counted it
    }
    const body = parseJson(raw);
    requests.push({
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: { ...req.headers },
      body,
    });
    const behaviour = queue.shift() ?? fake.defaultBehaviour;
    const id = ++sequence;

    switch (behaviour.kind) {
      case "stall":
        return; // never answer; the close handler counts it when the client gives up
      case "reset":
        resetOnPurpose = true;
        req.socket.resetAndDestroy();
        return;
      case "error":
        sendScriptedError(res, id, behaviour);
        return;
      case "die-mid-stream":
        resetOnPurpose = true;
        await dieMidStream(res, id, behaviour.chunks);
        return;
      case "delay":
        if (!(await pause(behaviour.ms, connection.signal))) return;
        break;
    }

    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      sendJson(res, id, 401, authError(req.headers.authorization));
      return;
    }
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const route = routes[`${req.method} ${path}`];
    if (route === undefined) {
      const message = `Invalid URL (${req.method} ${path})`;
      sendJson(res, id, 404, openAIError(message, "invalid_request_error"));
      return;
    }
    if (req.method === "POST" && !isObject(body)) {
      const message =
        "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.";
      sendJson(res, id, 400, openAIError(message, "invalid_request_error"));
      return;
    }
    const slow = behaviour.kind === "slow-stream" ? behaviour : undefined;
    await route({ res, body: isObject(body) ? body : {}, id, slow, signal: connection.signal });
  }

  server.listen(0, opts.host ?? "127.0.0.1");
  await once(server, "listening");
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  const fake: FakeOpenAI = {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    defaultBehaviour: { kind: "ok" },
    get aborted() {
      return aborted;
    },
    script(...b) {
      queue.push(...b);
    },
    waitForAborts(n, timeoutMs = 5000) {
      if (aborted >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter.fail(
            new Error(`expected ${n} aborted requests, saw ${aborted} in ${timeoutMs}ms`),
          );
        }, timeoutMs);
        const settle = (): void => {
          clearTimeout(timer);
          abortWaiters.delete(waiter);
        };
        const waiter: AbortWaiter = {
          check: () => {
            if (aborted < n) return;
            settle();
            resolve();
          },
          fail: (err) => {
            settle();
            reject(err);
          },
        };
        abortWaiters.add(waiter);
      });
    },
    reset() {
      requests.length = 0; // same array: tests may hold a reference to it
      queue.length = 0;
      aborted = 0;
    },
    async stop() {
      stopping = true;
      for (const connection of open) connection.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive and stalled sockets would otherwise hold close() open forever.
      server.closeAllConnections();
      await closed;
      for (const waiter of abortWaiters) waiter.fail(new Error("fake OpenAI stopped"));
    },
  };
  return fake;
}

interface AbortWaiter {
  check(): void;
  fail(err: Error): void;
}

type JsonObject = Record<string, unknown>;

/** One request that made it past behaviours and auth to a route. */
interface Exchange {
  res: ServerResponse;
  body: JsonObject;
  /** Per-server sequence number, used in ids so they are unique and predictable. */
  id: number;
  slow: { chunks: number; intervalMs: number } | undefined;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

type Route = (x: Exchange) => void | Promise<void>;

const routes: Record<string, Route> = {
  "POST /v1/chat/completions": chatCompletions,
  "POST /v1/completions": completions,
  "POST /v1/embeddings": embeddings,
  "GET /v1/models": models,
};

const SYSTEM_FINGERPRINT = "fp_fake";
const MODEL_IDS = ["gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo-instruct", "text-embedding-3-small"];

// ---- routes ----

async function chatCompletions(x: Exchange): Promise<void> {
  const messages = Array.isArray(x.body.messages) ? x.body.messages : [];
  const promptTokens = tokens(messages.map(messageText).join(""));
  const content = `Echo: ${lastUserText(messages)}`;
  const head = {
    id: `chatcmpl-fake-${x.id}`,
    created: unixNow(),
    model: String(x.body.model ?? ""),
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };

  if (x.body.stream !== true) {
    sendJson(x.res, x.id, 200, {
      ...head,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: usage(promptTokens, tokens(content)),
    });
    return;
  }

  const chunk = (delta: JsonObject, finishReason: string | null): JsonObject => ({
    ...head,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  await streamText(x, streamPieces(x, content), promptTokens, {
    opening: [chunk({ role: "assistant", content: "", refusal: null }, null)],
    piece: (text) => chunk({ content: text }, null),
    finish: chunk({}, "stop"),
    usage: (u) => ({ ...head, object: "chat.completion.chunk", choices: [], usage: u }),
  });
}

async function completions(x: Exchange): Promise<void> {
  // A prompt array would get one choice per prompt upstream; one choice keeps the fake simple.
  const prompt = Array.isArray(x.body.prompt) ? x.body.prompt[0] : x.body.prompt;
  const promptText = typeof prompt === "string" ? prompt : "";
  const promptTokens = tokens(promptText);
  const text = `Echo: ${promptText}`;
  const head = {
    id: `cmpl-fake-${x.id}`,
    object: "text_completion",
    created: unixNow(),
    model: String(x.body.model ?? ""),
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const choice = (piece: string, finishReason: string | null): JsonObject => ({
    text: piece,
    index: 0,
    logprobs: null,
    finish_reason: finishReason,
  });

  if (x.body.stream !== true) {
    sendJson(x.res, x.id, 200, {
      ...head,
      choices: [choice(text, "stop")],
      usage: usage(promptTokens, tokens(text)),
    });
    return;
  }
  await streamText(x, streamPieces(x, text), promptTokens, {
    opening: [],
    piece: (piece) => ({ ...head, choices: [choice(piece, null)] }),
    finish: { ...head, choices: [choice("", "stop")] },
    usage: (u) => ({ ...head, choices: [], usage: u }),
  });
}

function embeddings(x: Exchange): void {
  const input = x.body.input;
  const texts =
    typeof input === "string"
      ? [input]
      : Array.isArray(input) && input.every((t) => typeof t === "string")
        ? (input as string[])
        : [];
  if (texts.length === 0) {
    const error = openAIError("'$.input' is invalid.", "invalid_request_error", null, "input");
    sendJson(x.res, x.id, 400, error);
    return;
  }
  const dimensions = typeof x.body.dimensions === "number" ? x.body.dimensions : 8;
  const base64 = x.body.encoding_format === "base64";
  const promptTokens = texts.reduce((sum, t) => sum + tokens(t), 0);
  sendJson(x.res, x.id, 200, {
    object: "list",
    data: texts.map((text, index) => {
      const vector = embeddingFor(text, dimensions);
      return { object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector };
    }),
    model: String(x.body.model ?? ""),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}

function models(x: Exchange): void {
  sendJson(x.res, x.id, 200, {
    object: "list",
    data: MODEL_IDS.map((id) => ({
      id,
      object: "model",
      created: 1_700_000_000,
      owned_by: "system",
    })),
  });
}

// ---- streaming ----

interface StreamShape {
  /** Chunks sent before any content (chat announces the assistant role). */
  opening: JsonObject[];
  piece(text: string): JsonObject;
  finish: JsonObject;
  usage(u: JsonObject): JsonObject;
}

/** The content pieces to stream: the answer's words, or "tok{i} " for a slow stream. */
function streamPieces(x: Exchange, content: string): string[] {
  if (x.slow === undefined) return content.split(/(?<=\s)(?=\S)/);
  return Array.from({ length: x.slow.chunks }, (_, i) => `tok${i} `);
}

async function streamText(
  x: Exchange,
  pieces: string[],
  promptTokens: number,
  shape: StreamShape,
): Promise<void> {
  const streamOptions = isObject(x.body.stream_options) ? x.body.stream_options : {};
  const includeUsage = streamOptions.include_usage === true;
  // With include_usage, OpenAI puts `usage: null` on every chunk but the last.
  const send = (chunk: JsonObject): void => {
    x.res.write(sseData(JSON.stringify(includeUsage ? { ...chunk, usage: null } : chunk)));
  };

  x.res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": requestId(x.id) });
  x.res.flushHeaders(); // let the client see the response start before the first slow chunk
  for (const chunk of shape.opening) send(chunk);
  for (const piece of pieces) {
    if (x.slow !== undefined && !(await pause(x.slow.intervalMs, x.signal))) return;
    send(shape.piece(piece));
  }
  send(shape.finish);
  if (includeUsage) {
    const u = usage(promptTokens, tokens(pieces.join("")));
    x.res.write(sseData(JSON.stringify(shape.usage(u))));
  }
  x.res.end(sseData("[DONE]"));
}

function sseData(data: string): string {
  return `data: ${data}\n\n`;
}

async function dieMidStream(res: ServerResponse, id: number, chunks: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": requestId(id) });
  for (let i = 0; i < chunks; i++) {
    const chunk = {
      id: `chatcmpl-fake-${id}`,
      object: "chat.completion.chunk",
      created: unixNow(),
      model: "fake",
      choices: [{ index: 0, delta: { content: `part${i} ` }, logprobs: null, finish_reason: null }],
    };
    res.write(sseData(JSON.stringify(chunk)));
  }
  // Let the chunks reach the gateway before the connection goes.
  await sleep(50);
  res.socket?.destroy();
}

// ---- responses and errors ----

function sendJson(res: ServerResponse, id: number, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": requestId(id) });
  res.end(JSON.stringify(body));
}

function sendScriptedError(
  res: ServerResponse,
  id: number,
  b: Extract<Behaviour, { kind: "error" }>,
): void {
  // A string body is sent verbatim, to imitate proxies that answer with HTML or plain text.
  const text = typeof b.body === "string";
  res.writeHead(b.status, {
    "content-type": text ? "text/plain" : "application/json",
    "x-request-id": requestId(id),
    ...b.headers,
  });
  res.end(text ? b.body : JSON.stringify(b.body ?? defaultErrorBody(b.status)));
}

function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): JsonObject {
  return { error: { message, type, param, code } };
}

function defaultErrorBody(status: number): JsonObject {
  if (status === 401) return authError("Bearer sk-fake-key");
  if (status === 429) {
    return openAIError("Rate limit reached for requests", "requests", "rate_limit_exceeded");
  }
  if (status >= 500) {
    const message = "The server had an error while processing your request. Sorry about that!";
    return openAIError(message, "server_error");
  }
  return openAIError(`Fake upstream error (status ${status})`, "invalid_request_error");
}

/** OpenAI's 401 bodies: a redacted echo of the key, or a hint when none was sent. */
function authError(authorization: string | undefined): JsonObject {
  const key = authorization?.replace(/^Bearer\s+/i, "") ?? "";
  if (key === "") {
    const message =
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    return openAIError(message, "invalid_request_error");
  }
  const redacted = `${key.slice(0, 3)}...${key.slice(-4)}`;
  const message = `Incorrect API key provided: ${redacted}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  return openAIError(message, "invalid_request_error", "invalid_api_key");
}

function requestId(id: number): string {
  return `req_fake_${id}`;
}

// ---- deterministic content ----

/** Token count the fake bills: a quarter of the characters, rounded up, at least 1. */
function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function usage(promptTokens: number, completionTokens: number): JsonObject {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

/** The text of a chat message, whether content is a string or an array of parts. */
function messageText(message: unknown): string {
  if (!isObject(message)) return "";
  const { content } = message;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isObject(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

function lastUserText(messages: unknown[]): string {
  const last = messages.findLast((m) => isObject(m) && m.role === "user");
  return messageText(last);
}

/** A unit-length vector seeded by the text, rounded to float32 so float and base64 agree. */
function embeddingFor(text: string, dimensions: number): number[] {
  const random = mulberry32(fnv1a(text));
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
function float32Base64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [i, v] of vector.entries()) bytes.writeFloatLE(v, i * 4);
  return bytes.toString("base64");
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- plumbing ----

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Sleeps ms; false if the client went away first (the timer is cleared either way). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
