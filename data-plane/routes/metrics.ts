import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";
import { isAdmin } from "../auth/authenticate.js";
import { Exchange, toApiError } from "../http/exchange.js";
import { createMetrics } from "../metrics/metrics.js";
import type { RouteContext } from "./context.js";
import { readRequestHeaders } from "./request-headers.js";

/** `GET /metrics` (master key): Prometheus text format. */
export function metricsRoute(ctx: RouteContext) {
  const registry = createMetrics(ctx);
  return (res: HttpResponse, req: HttpRequest): void => {
    const headers = readRequestHeaders(req);
    const exchange = new Exchange(res, headers.requestId, performance.now(), ctx.track());
    try {
      if (!isAdmin(ctx.authenticate(headers.key))) {
        throw new ApiError(
          403,
          "Only the master key may read /metrics.",
          "permission_error",
          "forbidden",
        );
      }
    } catch (err) {
      exchange.sendError(toApiError(err));
      return;
    }
    registry.metrics().then(
      (text) => exchange.sendText(200, text, registry.contentType),
      (err: unknown) => exchange.sendError(toApiError(err)),
    );
  };
}
