import type { Exchange, Headers } from "../http/exchange.js";
import type { CallType } from "../providers/types.js";
import type { RouteContext } from "../routes/context.js";
import type { ProxyFormat } from "../routes/proxy-format.js";
import type { ValidRequest } from "../routes/validate-request.js";
import type { CallOutcome } from "./call-outcome.js";

/** One client request on its way to a deployment: what every attempt at it shares. */
export interface RoutedCall {
  readonly exchange: Exchange;
  /** The body as received (passthrough providers send it unchanged). */
  readonly text: string;
  readonly request: ValidRequest & { rawBody?: string };
  readonly callType: CallType;
  /** Headers every answer carries (rate-limit headers), before the deployment's own. */
  readonly headers: Headers;
  readonly outcome: CallOutcome;
  readonly ctx: RouteContext;
  readonly format: ProxyFormat;
  /** `x-switchyard-tags` as sent (tag routing). */
  readonly tagsHeader?: string;
  /** This attempt's group (the routing headers name it); set by the router per attempt. */
  groupName?: string;
  /** This attempt's share of the request's `timeout`, ms (shortens the deployment's own). */
  attemptTimeoutMs?: number;
}
