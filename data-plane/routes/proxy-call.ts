import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";
import type { Caller } from "../auth/authenticate.js";
import { assertModelAccess } from "../auth/model-access.js";
import { describeFault } from "../http/describe-fault.js";
import { Exchange, type Headers, toApiError } from "../http/exchange.js";
import { readBodyText } from "../http/read-body.js";
import { estimateRequest } from "../limits/estimate.js";
import { type Admission, LimitError } from "../limits/limits.js";
import { costOf } from "../pricing/cost.js";
import { priceOf } from "../pricing/deployment-price.js";
import type { CallType } from "../providers/types.js";
import { isClientGone } from "../router/call-deployment.js";
import { type CallOutcome, newOutcome } from "../router/call-outcome.js";
import { routeCall } from "../router/route-call.js";
import { resolveGroup } from "../snapshot/indexed-snapshot.js";
import type { RouteContext } from "./context.js";
import { OPENAI_FORMAT, type ProxyFormat } from "./proxy-format.js";
import { type RequestHeaders, readRequestHeaders } from "./request-headers.js";
import { modelNotFound, type ValidRequest } from "./validate-request.js";

/**
 * The hot path for `/v1/chat/completions`, `/v1/completions` and `/v1/embeddings`:
 * authenticate, read the body (size-limited), parse once, admit against limits and budgets,
 * route to a deployment (router/), then settle what the call cost and hand it to spend
 * recording. `format` is the client's wire format (OpenAI's unless a route says otherwise,
 * as `/v1/messages` does).
 */
export function proxyCallRoute(
  callType: CallType,
  ctx: RouteContext,
  format: ProxyFormat = OPENAI_FORMAT,
) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const startedAt = performance.now();
    const headers = readRequestHeaders(req);
    const exchange = new Exchange(res, headers.requestId, startedAt, ctx.track());
    let caller: Caller;
    try {
      caller = ctx.authenticate(headers.key);
    } catch (err) {
      const error = toApiError(err);
      exchange.sendError(error, [], false, format.errorBody(error));
      return;
    }
    const limit = ctx.snapshot().settings.maxBodyBytes;
    if (headers.contentLength !== undefined && headers.contentLength > limit) {
      // Keep the connection: uWS discards the unread body, and the client gets to read the
      // 413 instead of a reset (which SDKs report as a connection error, and retry).
      const error = tooLarge(limit);
      exchange.sendError(error, [], false, format.errorBody(error));
      return;
    }
    const startedAtEpochMs = Date.now();
    readBodyText(
      res,
      limit,
      (text) => {
        void serve(exchange, text, callType, caller, headers, startedAtEpochMs, ctx, format);
      },
      () => {
        const error = tooLarge(limit);
        exchange.sendError(error, [], true, format.errorBody(error));
      },
    );
  };
}

/** Everything after the body arrived; never rejects (errors become answers). */
async function serve(
  exchange: Exchange,
  text: string,
  callType: CallType,
  caller: Caller,
  requestHeaders: RequestHeaders,
  startedAtEpochMs: number,
  ctx: RouteContext,
  format: ProxyFormat,
): Promise<void> {
  const outcome = newOutcome();
  let request: ValidRequest | undefined;
  let admission: Admission | undefined;
  let estimatedTokens = 0;
  try {
    request = format.parse(text, callType);
    assertModelAccess(caller, request.model);
    const snapshot = ctx.snapshot();
    const group = resolveGroup(snapshot, request.model);
    if (group === undefined) throw modelNotFound(request.model);
    const estimate = estimateRequest(callType, request.body, text.length, group.deployments);
    estimatedTokens = estimate.tokens;
    const admitted = ctx.limits.admit(caller, snapshot.settings, estimate);
    admission = admitted instanceof Promise ? await admitted : admitted;
    await routeCall(
      {
        exchange,
        text,
        request,
        callType,
        headers: admission.headers,
        outcome,
        ctx,
        format,
        tagsHeader: requestHeaders.tags,
        groupName: undefined,
        attemptTimeoutMs: undefined,
      },
      group,
    );
  } catch (err) {
    if (!isClientGone(err)) answerError(exchange, err, admission, outcome, ctx, format);
  } finally {
    const cost = admission === undefined ? 0 : settle(admission, outcome, estimatedTokens);
    ctx.spend.record({
      requestId: exchange.requestId,
      callType,
      caller,
      model: request?.model ?? "",
      body: request?.body,
      tagsHeader: requestHeaders.tags,
      stream: request?.stream ?? false,
      startedAtEpochMs,
      startedAt: exchange.startedAt,
      respondedAt: exchange.respondedAt,
      endedAt: performance.now(),
      status: exchange.status,
      outcome,
      cost,
      aborted: exchange.aborted,
    });
  }
}

/** Releases the admission's reservations against what the call really used; returns its cost. */
function settle(admission: Admission, outcome: CallOutcome, estimatedTokens: number): number {
  const { usage, deployment } = outcome;
  let cost = 0;
  if (deployment !== undefined) {
    // A stream cut short without a usage report is billed for what was produced (~1 token a chunk).
    cost =
      usage !== undefined
        ? costOf(priceOf(deployment), usage)
        : outcome.chunks * priceOf(deployment).outputPerToken;
  }
  const tokens = usage?.total_tokens ?? estimatedTokens + outcome.chunks;
  admission.settle(tokens, cost);
  return cost;
}

function answerError(
  exchange: Exchange,
  err: unknown,
  admission: Admission | undefined,
  outcome: CallOutcome,
  ctx: RouteContext,
  format: ProxyFormat,
): void {
  if (!(err instanceof ApiError)) {
    ctx.logger.error({ err: describeFault(err), requestId: exchange.requestId }, "internal error");
  }
  const error = toApiError(err);
  outcome.errorCode = error.code ?? error.type;
  let headers: Headers = err instanceof LimitError ? err.headers : (admission?.headers ?? []);
  if (outcome.deployment !== undefined) {
    headers = [
      ["x-switchyard-model-id", outcome.deployment.id],
      ["x-switchyard-attempted-retries", String(outcome.retries)],
      ["x-switchyard-attempted-fallbacks", String(outcome.fallbacks)],
      ...headers,
    ];
  }
  exchange.sendError(error, headers, false, format.errorBody(error));
}

function tooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    `Request body too large: the limit is ${limit} bytes (general_settings.max_request_size_mb).`,
    "invalid_request_error",
    "request_too_large",
  );
}
