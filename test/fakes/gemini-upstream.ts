// A fake Gemini API (generativelanguage.googleapis.com) for tests: records each request and
// answers with the next scripted reply (a JSON body or an SSE text, with any status), so a
// test states exactly what Google would send and checks exactly what it received.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedGeminiRequest {
  method: string;
  /** Path and query, e.g. `/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
}

export interface GeminiReply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (serialised by the fake). */
  json?: unknown;
  /** A text/event-stream body, sent as is. */
  sse?: string;
}

export interface FakeGemini {
  /** http://127.0.0.1:PORT (no version path, as `api_base` is written). */
  url: string;
  requests: RecordedGeminiRequest[];
  /** Queues replies for the next POSTs, in order. An unscripted POST gets a 500. */
  reply(...replies: GeminiReply[]): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFakeGemini(opts: { apiKey?: string } = {}): Promise<FakeGemini> {
  const queue: GeminiReply[] = [];
  const requests: RecordedGeminiRequest[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("fake Gemini upstream:", err);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });

    if (opts.apiKey !== undefined && req.headers["x-goog-api-key"] !== opts.apiKey) {
      send(res, {
        status: 400,
        json: {
          error: {
            code: 400,
            message: "API key not valid. Please pass a valid API key.",
            status: "INVALID_ARGUMENT",
          },
        },
      });
      return;
    }
    if (req.method === "GET" && req.url?.startsWith("/v1beta/models")) {
      send(res, { json: { models: [{ name: "models/gemini-1.5-flash" }] } });
      return;
    }
    send(
      res,
      queue.shift() ?? {
        status: 500,
        json: { error: { code: 500, message: "no reply scripted", status: "INTERNAL" } },
      },
    );
  }

  function send(res: ServerResponse, reply: GeminiReply): void {
    const isStream = reply.sse !== undefined;
    res.writeHead(reply.status ?? 200, {
      "content-type": isStream ? "text/event-stream" : "application/json; charset=UTF-8",
      ...reply.headers,
    });
    res.end(isStream ? reply.sse : JSON.stringify(reply.json ?? {}));
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    stop: async () => {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
