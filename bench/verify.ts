// One plain and one streamed request to a target before it is measured, so that a target that
// answers fast but wrong fails the run instead of producing a number.
import { request } from "undici";
import { CHAT_PATH, chatBody, requestHeaders, streamBody } from "./workload.js";

const MIN_STREAM_CHUNKS = 20;

export async function verifyTarget(name: string, origin: string): Promise<void> {
  const plain = await post(origin, chatBody);
  const completion = parseJson(plain.text);
  if (plain.status !== 200 || !isCompletion(completion)) {
    throw new Error(
      `${name}: bad chat.completion answer (HTTP ${plain.status}): ${clip(plain.text)}`,
    );
  }

  const streamed = await post(origin, streamBody);
  const events = streamed.text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice("data: ".length));
  const problems: string[] = [];
  if (streamed.status !== 200) problems.push(`HTTP ${streamed.status}`);
  if (!streamed.contentType.startsWith("text/event-stream")) {
    problems.push(`content-type ${streamed.contentType}`);
  }
  if (events.at(-1) !== "[DONE]") problems.push("no final [DONE]");
  const chunks = events.slice(0, -1).map(parseJson);
  if (chunks.filter(isContentChunk).length < MIN_STREAM_CHUNKS) {
    problems.push(`fewer than ${MIN_STREAM_CHUNKS} content chunks`);
  }
  if (!chunks.some(hasUsage)) problems.push("no usage chunk");
  if (problems.length > 0) {
    throw new Error(`${name}: bad stream (${problems.join(", ")}): ${clip(streamed.text)}`);
  }
}

async function post(
  origin: string,
  body: string,
): Promise<{ status: number; contentType: string; text: string }> {
  const res = await request(`${origin}${CHAT_PATH}`, {
    method: "POST",
    headers: requestHeaders,
    body,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const type = res.headers["content-type"];
  return {
    status: res.statusCode,
    contentType: typeof type === "string" ? type : "",
    text: await res.body.text(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isCompletion(value: unknown): boolean {
  return (
    isObject(value) &&
    value.object === "chat.completion" &&
    Array.isArray(value.choices) &&
    value.choices.length > 0 &&
    isObject(value.usage)
  );
}

function isContentChunk(value: unknown): boolean {
  return (
    isObject(value) &&
    value.object === "chat.completion.chunk" &&
    Array.isArray(value.choices) &&
    value.choices.some(
      (c: unknown) => isObject(c) && isObject(c.delta) && typeof c.delta.content === "string",
    )
  );
}

function hasUsage(value: unknown): boolean {
  return isObject(value) && isObject(value.usage);
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
