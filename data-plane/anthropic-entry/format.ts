import { isNativeAnswer, nativeRequestOf } from "../providers/native.js";
import type { ProxyFormat } from "../routes/proxy-format.js";
import { anthropicErrorBody } from "./errors.js";
import { parseMessagesRequest } from "./request.js";
import { messageAnswer } from "./response.js";
import { MessagesStream } from "./stream.js";

/**
 * Anthropic's Messages API as a client-side wire format, over any provider. An Anthropic
 * deployment answers in this format already (providers/native.ts): its message passes as
 * is, and its events pass through the stream unchanged.
 */
export const ANTHROPIC_MESSAGES_FORMAT: ProxyFormat = {
  parse: (text) => parseMessagesRequest(text),
  answer: (body) => (isNativeAnswer(body) ? body : messageAnswer(body)),
  openStream: (request) => new MessagesStream(request.model, nativeRequestOf(request.body)),
  errorBody: (err) => JSON.stringify(anthropicErrorBody(err)),
};
