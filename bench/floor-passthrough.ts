// The floor: the least this stack (uWS in, undici Pool out) can do per request, with no
// features. Switchyard's CPU and latency are judged against it.
// Run as its own process with UPSTREAM_URL set; prints `LISTENING <port>`.
import { STATUS_CODES } from "node:http";
import type { Readable } from "node:stream";
import { Pool } from "undici";
import uWS from "uWebSockets.js";
import { assertNativeUws, exitWithParent, listenEphemeral } from "./native-uws.js";
import { CHAT_PATH, READY_PREFIX, UPSTREAM_KEY } from "./workload.js";

const upstreamUrl = process.env.UPSTREAM_URL;
if (upstreamUrl === undefined) throw new Error("UPSTREAM_URL is not set");
const upstream = new URL(upstreamUrl);
const upstreamAuth = `Bearer ${UPSTREAM_KEY}`;

const pool = new Pool(upstream.origin, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 60_000,
});

const statusLines = new Map<number, string>();
function statusLine(code: number): string {
  let line = statusLines.get(code);
  if (line === undefined) {
    line = `${code} ${STATUS_CODES[code] ?? "Unknown"}`;
    statusLines.set(code, line);
  }
  return line;
}

/** What the response handlers share with the abort handler. */
interface Exchange {
  res: uWS.HttpResponse;
  done: boolean;
  upstreamBody: Readable | undefined;
}

const app = uWS.App();
app.post(CHAT_PATH, (res, req) => {
  // req is only valid synchronously: read what we need before anything else.
  const contentType = req.getHeader("content-type") || "application/json";
  const exchange: Exchange = { res, done: false, upstreamBody: undefined };
  res.onAborted(() => {
    exchange.done = true;
    if (exchange.upstreamBody !== undefined) discard(exchange.upstreamBody);
  });
  const parts: Buffer[] = [];
  res.onData((data, isLast) => {
    // uWS neuters the ArrayBuffer after the callback, so copy it.
    parts.push(Buffer.from(data.slice(0)));
    if (isLast)
      void forward(exchange, contentType, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  });
});
app.any("/*", (res) => {
  res.writeStatus("404 Not Found").end();
});

async function forward(exchange: Exchange, contentType: string, body: Buffer): Promise<void> {
  const { res } = exchange;
  try {
    const upstreamRes = await pool.request({
      path: CHAT_PATH,
      method: "POST",
      headers: { "content-type": contentType, authorization: upstreamAuth },
      body,
    });
    exchange.upstreamBody = upstreamRes.body;
    if (exchange.done) {
      discard(upstreamRes.body);
      return;
    }
    const status = statusLine(upstreamRes.statusCode);
    const type = upstreamRes.headers["content-type"];
    const resType = typeof type === "string" ? type : "application/json";
    if (resType.startsWith("text/event-stream")) {
      streamThrough(exchange, status, resType, upstreamRes.body);
      return;
    }
    const payload = await upstreamRes.body.arrayBuffer();
    if (exchange.done) return;
    exchange.done = true;
    res.cork(() => {
      res.writeStatus(status).writeHeader("content-type", resType).end(payload);
    });
  } catch {
    if (exchange.done) return;
    exchange.done = true;
    res.cork(() => {
      res.writeStatus("502 Bad Gateway").end('{"error":{"message":"upstream failed"}}');
    });
  }
}

/** Drop an upstream body the client no longer wants; the abort error it emits is expected. */
function discard(body: Readable): void {
  body.on("error", ignore);
  body.destroy();
}

function ignore(): void {}

function streamThrough(exchange: Exchange, status: string, type: string, body: Readable): void {
  const { res } = exchange;
  res.cork(() => {
    res
      .writeStatus(status)
      .writeHeader("content-type", type)
      .writeHeader("cache-control", "no-cache");
  });
  const resume = (): boolean => {
    body.resume();
    return true;
  };
  body.on("data", (chunk: Buffer) => {
    if (exchange.done) return;
    let ok = true;
    res.cork(() => {
      ok = res.write(chunk);
    });
    if (!ok) {
      // uWS keeps what it could not send; wait for the socket to drain before reading more.
      body.pause();
      res.onWritable(resume);
    }
  });
  body.on("end", () => {
    if (exchange.done) return;
    exchange.done = true;
    res.cork(() => res.end());
  });
  body.on("error", () => {
    if (exchange.done) return;
    exchange.done = true;
    res.cork(() => res.close());
  });
}

assertNativeUws();
exitWithParent();
const port = await listenEphemeral(app, "127.0.0.1");
process.stdout.write(`${READY_PREFIX}${port}\n`);
