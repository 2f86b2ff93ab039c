import { ANTHROPIC_MESSAGES_FORMAT } from "../anthropic-entry/format.js";
import type { RouteContext } from "./context.js";
import { proxyCallRoute } from "./proxy-call.js";

/**
 * `POST /v1/messages` for Anthropic SDK clients: the chat hot path with the request,
 * answer, stream and errors in Anthropic's format, routed to any model by its name.
 */
export function anthropicMessagesRoute(ctx: RouteContext) {
  return proxyCallRoute("chat", ctx, ANTHROPIC_MESSAGES_FORMAT);
}
