import type { ProxyFormat } from "../routes/proxy-format.js";
import { anthropicErrorBody } from "./errors.js";
import { parseMessagesRequest } from "./request.js";
import { messageAnswer } from "./response.js";
import { MessagesStream } from "./stream.js";

/** Anthropic's Messages API as a client-side wire format, over any provider. */
export const ANTHROPIC_MESSAGES_FORMAT: ProxyFormat = {
  parse: (text) => parseMessagesRequest(text),
  answer: messageAnswer,
  openStream: (request) => new MessagesStream(request.model),
  errorBody: (err) => JSON.stringify(anthropicErrorBody(err)),
};
