// Fast OpenAI-compatible upstream: answers at once so that what is measured is the proxy.
// Run as its own process: `node --import tsx bench/mock-upstream.ts` prints `LISTENING <port>`.
import uWS from "uWebSockets.js";
import { assertNativeUws, exitWithParent, listenEphemeral } from "./native-uws.js";
import { CHAT_PATH, MODEL_NAME, READY_PREFIX } from "./workload.js";

const CONTENT_CHUNKS = 20;
const CREATED = 1_700_000_000;
const ID = "chatcmpl-bench0000000000000000";
const usage = {
  prompt_tokens: 12,
  completion_tokens: CONTENT_CHUNKS,
  total_tokens: 12 + CONTENT_CHUNKS,
};

const completion = Buffer.from(
  JSON.stringify({
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model: MODEL_NAME,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello, benchmark!", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage,
  }),
);

const firstChunk = sse(chunk({ role: "assistant", content: "Hello" }, null));
const restWithoutUsage = Buffer.from(restOfStream(false));
const restWithUsage = Buffer.from(restOfStream(true));

function chunk(delta: Record<string, string>, finishReason: string | null): object {
  return {
    id: ID,
    object: "chat.completion.chunk",
    created: CREATED,
    model: MODEL_NAME,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

function sse(data: object | string): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

function restOfStream(includeUsage: boolean): string {
  let out = "";
  for (let i = 1; i < CONTENT_CHUNKS; i++) out += sse(chunk({ content: ` word${i}` }, null));
  out += sse(chunk({}, "stop"));
  if (includeUsage) {
    out += sse({
      id: ID,
      object: "chat.completion.chunk",
      created: CREATED,
      model: MODEL_NAME,
      choices: [],
      usage,
    });
  }
  return out + sse("[DONE]");
}

interface ChatRequest {
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function respond(res: uWS.HttpResponse, body: Buffer, isAborted: () => boolean): void {
  let request: ChatRequest;
  try {
    request = JSON.parse(body.toString("utf8")) as ChatRequest;
  } catch {
    res.cork(() => res.writeStatus("400 Bad Request").end('{"error":{"message":"bad json"}}'));
    return;
  }
  if (request.stream !== true) {
    res.cork(() => {
      res.writeStatus("200 OK").writeHeader("content-type", "application/json").end(completion);
    });
    return;
  }
  const rest = request.stream_options?.include_usage === true ? restWithUsage : restWithoutUsage;
  // The first chunk goes out on its own so that it reaches the proxy before the rest does.
  res.cork(() => {
    res
      .writeStatus("200 OK")
      .writeHeader("content-type", "text/event-stream")
      .writeHeader("cache-control", "no-cache")
      .write(firstChunk);
  });
  setImmediate(() => {
    if (!isAborted()) res.cork(() => res.end(rest));
  });
}

const app = uWS.App();
app.post(CHAT_PATH, (res) => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const parts: Buffer[] = [];
  res.onData((data, isLast) => {
    if (!isLast) {
      parts.push(Buffer.from(data.slice(0)));
      return;
    }
    const last = Buffer.from(data);
    const body = parts.length === 0 ? last : Buffer.concat([...parts, last]);
    respond(res, body, () => aborted);
  });
});
app.any("/*", (res) => {
  res.writeStatus("404 Not Found").end('{"error":{"message":"not found"}}');
});

assertNativeUws();
exitWithParent();
const port = await listenEphemeral(app, "127.0.0.1");
process.stdout.write(`${READY_PREFIX}${port}\n`);
