// A fake Anthropic Messages API for tests: records every request and answers with scripted
// replies (usually fixtures from test/fixtures/anthropic/), or with an echo when nothing is
// scripted. It checks the headers Anthropic requires, as the real API does.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
}

export type AnthropicReply =
  | { kind: "json"; body: unknown; status?: number; headers?: Record<string, string> }
  /** An SSE text sent in pieces of `pieceBytes` (default 13), so events straddle writes. */
  | { kind: "sse"; text: string; pieceBytes?: number };

export interface FakeAnthropic {
  /** http://127.0.0.1:PORT (Anthropic's api_base has no /v1). */
  url: string;
  requests: RecordedRequest[];
  /** Replies for the next POST /v1/messages requests, in order. */
  script(...replies: AnthropicReply[]): void;
  reset(): void;
  stop(): Promise<void>;
}

const FIXTURES = new URL("../fixtures/anthropic/", import.meta.url);

/** A fixture's text (`chat.stream.sse`). */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** A fixture's parsed JSON (`chat.request.json`). */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** With `apiKey`, requests must carry it in `x-api-key` or get Anthropic's 401. */
export async function startFakeAnthropic(opts: { apiKey?: string } = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: AnthropicReply[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("fake Anthropic upstream:", err);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const body = parseJson(raw);
    const path = req.url ?? "/";
    requests.push({ method: req.method ?? "GET", path, headers: { ...req.headers }, body });

    const key = req.headers["x-api-key"];
    if (opts.apiKey !== undefined && key !== opts.apiKey) {
      // The real API says only "invalid x-api-key"; echoing the key stands in for upstreams
      // and proxies that do quote it, so tests can check the gateway redacts it.
      const message = `invalid x-api-key: ${String(key)}`;
      return sendJson(res, 401, anthropicError("authentication_error", message));
    }
    if (req.headers["anthropic-version"] === undefined) {
      const message = "anthropic-version: header is required";
      return sendJson(res, 400, anthropicError("invalid_request_error", message));
    }
    const route = `${req.method} ${new URL(path, "http://fake").pathname}`;
    if (route === "GET /v1/models") return sendJson(res, 200, MODELS);
    if (route !== "POST /v1/messages") {
      return sendJson(res, 404, anthropicError("not_found_error", `Not found: ${route}`));
    }
    const reply = queue.shift() ?? echo(body);
    if (reply.kind === "json") {
      res.writeHead(reply.status ?? 200, {
        "content-type": "application/json",
        "request-id": `req_fake_${requests.length}`,
        ...reply.headers,
      });
      res.end(JSON.stringify(reply.body));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    const bytes = Buffer.from(reply.text, "utf8");
    const step = reply.pieceBytes ?? 13;
    for (let at = 0; at < bytes.length; at += step) res.write(bytes.subarray(at, at + step));
    res.end();
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => void queue.push(...replies),
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

export function anthropicError(type: string, message: string): unknown {
  return { type: "error", error: { type, message }, request_id: "req_fake_error" };
}

const MODELS = {
  data: [
    {
      type: "model",
      id: "claude-3-5-sonnet-20241022",
      display_name: "Claude 3.5 Sonnet (New)",
      created_at: "2024-10-22T00:00:00Z",
    },
  ],
  has_more: false,
  first_id: "claude-3-5-sonnet-20241022",
  last_id: "claude-3-5-sonnet-20241022",
};

/** Nothing scripted: answer "Echo: <last user text>" as a message or a stream. */
function echo(body: unknown): AnthropicReply {
  const b = isObject(body) ? body : {};
  const messages = Array.isArray(b.messages) ? b.messages : [];
  const last: unknown = messages.at(-1);
  const content = isObject(last) ? last.content : undefined;
  const text = `Echo: ${typeof content === "string" ? content : ""}`;
  const model = String(b.model ?? "");
  const usage = { input_tokens: 5, output_tokens: 3 };
  if (b.stream !== true) {
    return {
      kind: "json",
      body: {
        id: "msg_fake_echo",
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      },
    };
  }
  const events: [string, unknown][] = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: "msg_fake_echo",
          type: "message",
          role: "assistant",
          model,
          content: [],
          usage,
        },
      },
    ],
    [
      "content_block_start",
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    ],
    [
      "content_block_delta",
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
    ],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } },
    ],
    ["message_stop", { type: "message_stop" }],
  ];
  const sse = events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  return { kind: "sse", text: sse.join("") };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function parseJson(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
