import type { Dispatcher } from "undici";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { type SseEventType, sseData } from "../../upstream/sse-events.js";
import { type NativeRequest, nativeAnswer } from "../native.js";
import type { Answer, ProviderCall, StreamAnswer, Usage } from "../types.js";
import { anthropicStreamError, errorFromResponse } from "./errors.js";
import { anthropicTarget } from "./request.js";
import { mergeUsage, openAIUsage } from "./usage.js";
import type { AnthropicMessage, AnthropicStreamEvent, AnthropicUsage } from "./wire.js";

/**
 * `/v1/messages` to an Anthropic deployment: the client's body goes upstream as sent (the
 * deployment's model in place of the client's model name; key, version and beta headers
 * from the config), and the message or event stream comes back as Anthropic wrote it.
 * Only usage is read on the way, for spend. Errors are the same ApiErrors the translated
 * path throws, which the route answers in Anthropic's shape.
 */
export async function callAnthropicNative(
  call: ProviderCall,
  native: NativeRequest,
): Promise<Answer> {
  const { deployment } = call;
  const target = anthropicTarget(deployment);
  const res = await call.pools.get(deployment.id, target.origin).request({
    method: "POST",
    path: target.messagesPath,
    headers: target.headers,
    body: JSON.stringify({ ...native.body, model: deployment.model }),
    signal: call.signal,
    // The gateway's own timers bound the call; undici's defaults (300 s) must not cut first.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    throw await errorFromResponse(res, deployment);
  }
  if (call.stream) {
    const type = res.headers["content-type"];
    if (typeof type === "string" && type.includes("text/event-stream")) {
      return nativeStream(res.body, native, deployment);
    }
    await res.body.dump();
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} answered a streaming request without a stream (content-type ${String(type)})`,
      "api_error",
      "upstream_not_streaming",
    );
  }
  return nativeMessage(res, deployment);
}

async function nativeMessage(
  res: Dispatcher.ResponseData,
  deployment: Deployment,
): Promise<Answer> {
  const bytes = await res.body.bytes();
  let message: Partial<AnthropicMessage> | undefined;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    message = JSON.parse(text) as Partial<AnthropicMessage>;
  } catch {
    // Reported below, as for a body of the wrong shape.
  }
  if (message === undefined || !Array.isArray(message.content)) {
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} answered with a body that is not an Anthropic message`,
      "api_error",
      "upstream_bad_response",
    );
  }
  return { kind: "json", body: nativeAnswer(bytes), usage: openAIUsage(message.usage ?? {}) };
}

/**
 * The upstream's events, each passed on whole (`event:` and `data:` lines). Only
 * message_start and message_delta (usage) and error are parsed; text and tool deltas go
 * through untouched. The stream ends after message_stop, as the translated one does.
 */
function nativeStream(
  body: AsyncIterable<Uint8Array>,
  native: NativeRequest,
  deployment: Deployment,
): StreamAnswer {
  let usage: Usage | undefined;
  async function* chunks(): AsyncGenerator<string> {
    const counts: AnthropicUsage = {};
    const type: SseEventType = { event: "" };
    for await (const data of sseData(body, type)) {
      // Anthropic names every event; an unnamed one is read for its type.
      const name = type.event === "message" ? eventType(data, deployment) : type.event;
      if (name === "message_start" || name === "message_delta" || name === "error") {
        const event = parse(data, deployment);
        if (event.type === "message_start") mergeUsage(counts, event.message?.usage);
        else if (event.type === "message_delta") mergeUsage(counts, event.usage);
        else if (event.type === "error") {
          usage = openAIUsage(counts);
          throw anthropicStreamError(event.error ?? {}, deployment);
        }
      }
      if (name === "message_stop") usage = openAIUsage(counts);
      native.nativeStream = true;
      yield frame(name, data);
      if (name === "message_stop") return;
    }
    // Still counted: the tokens were spent even though the answer is cut short.
    usage = openAIUsage(counts);
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} ended the stream before message_stop`,
      "api_error",
      "upstream_stream_truncated",
    );
  }
  return { kind: "stream", chunks: chunks(), usage: () => usage };
}

function frame(event: string, data: string): string {
  const lines = data.includes("\n") ? data.replaceAll("\n", "\ndata: ") : data;
  return `event: ${event}\ndata: ${lines}\n\n`;
}

function eventType(data: string, deployment: Deployment): string {
  const type = parse(data, deployment).type;
  return typeof type === "string" ? type : "message";
}

type LooseEvent = Partial<Extract<AnthropicStreamEvent, { type: "message_start" }>> &
  Partial<Omit<Extract<AnthropicStreamEvent, { type: "message_delta" }>, "type">> &
  Partial<Omit<Extract<AnthropicStreamEvent, { type: "error" }>, "type">> & { type?: unknown };

function parse(data: string, deployment: Deployment): LooseEvent {
  try {
    return JSON.parse(data) as LooseEvent;
  } catch {
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} sent a stream event that is not JSON`,
      "api_error",
      "upstream_bad_response",
    );
  }
}
