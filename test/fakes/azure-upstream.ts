// A fake Azure OpenAI resource for end-to-end tests: deployment-scoped paths with a required
// api-version, `api-key` auth, OpenAI-shaped answers (chat, streams with Azure's leading
// prompt_filter_results chunk, embeddings), and a scriptable error for the next request.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface AzureRequest {
  method: string;
  /** Path with query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
}

export interface FakeAzure {
  /** https://NAME.openai.azure.com stand-in: origin only. */
  url: string;
  requests: AzureRequest[];
  /** The next request gets this status and JSON body instead of an answer. */
  failNext(status: number, body: unknown): void;
  reset(): void;
  stop(): Promise<void>;
}

const ROUTE = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

export async function startFakeAzure(opts: { apiKey: string }): Promise<FakeAzure> {
  const requests: AzureRequest[] = [];
  let failure: { status: number; body: unknown } | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
    requests.push({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: { ...req.headers },
      body,
    });

    if (failure !== undefined) {
      const f = failure;
      failure = undefined;
      return json(res, f.status, f.body);
    }
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.headers["api-key"] !== opts.apiKey) {
      return json(res, 401, {
        error: { code: "401", message: "Access denied due to invalid subscription key." },
      });
    }
    if (url.searchParams.get("api-version") === null) {
      return json(res, 404, { error: { code: "404", message: "Resource not found" } });
    }
    const match = ROUTE.exec(url.pathname);
    if (req.method !== "POST" || match === null || body === undefined) {
      return json(res, 404, { error: { code: "404", message: "Resource not found" } });
    }
    const deployment = decodeURIComponent(match[1]!);
    if (match[2] === "embeddings") {
      return json(res, 200, {
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2, 0.3] }],
        model: "text-embedding-3-small",
        usage: { prompt_tokens: 3, total_tokens: 3 },
      });
    }
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
    const base = { id: "chatcmpl-az1", created: 1_700_000_000, model: `${deployment}-model` };
    if (body.stream !== true) {
      return json(res, 200, {
        ...base,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "Hello there" },
            finish_reason: "stop",
          },
        ],
        usage,
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    // Azure opens a stream with the prompt's content-filter verdict and no choices.
    send({ id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [] });
    send(chunk({ role: "assistant", content: "Hello" }, null));
    send(chunk({ content: " there" }, null));
    send(chunk({}, "stop"));
    const opts2 = body.stream_options as { include_usage?: boolean } | undefined;
    if (opts2?.include_usage === true) {
      send({ ...base, object: "chat.completion.chunk", choices: [], usage });
    }
    res.end("data: [DONE]\n\n");
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, body) {
      failure = { status, body };
    },
    reset() {
      requests.length = 0;
      failure = undefined;
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
