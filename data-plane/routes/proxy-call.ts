import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";
import type { Caller } from "../auth/authenticate.js";
import { assertModelAccess } from "../auth/model-access.js";
import { Exchange, type Headers, toApiError } from "../http/exchange.js";
import { readBodyText } from "../http/read-body.js";
import { providerFor } from "../providers/registry.js";
import { type Admission, LimitError } from "../limits/limits.js";
import { estimateRequest } from "../limits/estimate.js";
import { costOf } from "../pricing/cost.js";
import { priceOf } from "../pricing/deployment-price.js";
import type { CallType, StreamAnswer, Usage } from "../providers/types.js";
import { pickDeployment } from "../router/pick-deployment.js";
import { CallAbort } from "../upstream/call-abort.js";
import {
  ClientGone,
  INTERNAL_ERROR,
  UpstreamTimeout,
  toUpstreamError,
} from "../upstream/transport-errors.js";
import type { RouteContext } from "./context.js";
import { OPENAI_FORMAT, type ProxyFormat, type StreamFormat } from "./proxy-format.js";
import { readRequestHeaders } from "./request-headers.js";
import { modelNotFound, type ValidRequest } from "./validate-request.js";

const CLIENT_GONE = new ClientGone();

/**
 * The hot path for `/v1/chat/completions`, `/v1/completions` and `/v1/embeddings`:
 * authenticate, read the body (size-limited), parse once, pick a deployment, call its
 * provider, answer whole or stream back with backpressure. `format` is the client's wire
 * format (OpenAI's unless a route says otherwise, as `/v1/messages` does).
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
    const snapshot = ctx.snapshot();
    let caller: Caller;
    try {
      caller = ctx.authenticate(headers.key);
    } catch (err) {
      const error = toApiError(err);
      exchange.sendError(error, [], false, format.errorBody(error));
      return;
    }
    const limit = snapshot.settings.maxBodyBytes;
    if (headers.contentLength !== undefined && headers.contentLength > limit) {
      // Keep the connection: uWS discards the unread body, and the client gets to read the
      // 413 instead of a reset (which SDKs report as a connection error, and retry).
      const error = tooLarge(limit);
      exchange.sendError(error, [], false, format.errorBody(error));
      return;
    }
    readBodyText(
      res,
      limit,
      (text) => {
        serve(exchange, text, callType, caller, ctx, format).catch((err: unknown) => {
          if (!(err instanceof ApiError)) {
            ctx.logger.error(
              { err: describeFault(err), requestId: exchange.requestId },
              "internal error",
            );
          }
          const error = toApiError(err);
          const headers = err instanceof LimitError ? err.headers : [];
          exchange.sendError(error, headers, false, format.errorBody(error));
        });
      },
      () => {
        const error = tooLarge(limit);
        exchange.sendError(error, [], true, format.errorBody(error));
      },
    );
  };
}

async function serve(
  exchange: Exchange,
  text: string,
  callType: CallType,
  caller: Caller,
  ctx: RouteContext,
  format: ProxyFormat,
): Promise<void> {
  const request = format.parse(text, callType);
  assertModelAccess(caller, request.model);
  const snapshot = ctx.snapshot();
  const group = snapshot.groups.get(request.model);
  if (group === undefined) throw modelNotFound(request.model);
  const estimate = estimateRequest(callType, request.body, text.length, group.deployments);
  const admitted = ctx.limits.admit(caller, snapshot.settings, estimate);
  const admission = admitted instanceof Promise ? await admitted : admitted;
  const deployment = pickDeployment(group);
  const outcome: CallOutcome = { usage: undefined, chunks: 0 };
  try {
    await callDeployment(
      exchange,
      text,
      request,
      callType,
      deployment,
      admission,
      outcome,
      ctx,
      format,
    );
  } finally {
    const usage = outcome.usage;
    // A stream cut short without a usage report is billed for what was produced (~1 token a chunk).
    const tokens = usage?.total_tokens ?? estimate.tokens + outcome.chunks;
    const cost =
      usage !== undefined
        ? costOf(priceOf(deployment), usage)
        : outcome.chunks * priceOf(deployment).outputPerToken;
    admission.settle(tokens, cost);
  }
}

/** What the hot path learns of a call, for settling its limits and budgets. */
interface CallOutcome {
  usage: Usage | undefined;
  /** Chunks streamed to the client. */
  chunks: number;
}

async function callDeployment(
  exchange: Exchange,
  text: string,
  request: ValidRequest & { rawBody?: string },
  callType: CallType,
  deployment: Deployment,
  admission: Admission,
  outcome: CallOutcome,
  ctx: RouteContext,
  format: ProxyFormat,
): Promise<void> {
  const provider = providerFor(deployment.provider);
  const headers: (readonly [string, string])[] = [
    ["x-switchyard-model-id", deployment.id],
    ...admission.headers,
  ];
  if (provider === undefined) {
    const error = new ApiError(
      500,
      `Deployment ${deployment.id} of model "${deployment.modelName}" uses provider "${deployment.provider}", which this Switchyard build does not support yet.`,
      "server_error",
      "provider_not_supported",
    );
    exchange.sendError(error, headers, false, format.errorBody(error));
    return;
  }

  const controller = new CallAbort();
  exchange.onAbort(() => controller.abort(CLIENT_GONE));
  const firstByteMs = request.stream ? deployment.streamTimeoutMs : deployment.timeoutMs;
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout(firstByteMs)), firstByteMs);
  const callStartedAt = performance.now();
  const stream = request.stream ? format.openStream(request) : undefined;
  try {
    const answer = await provider.call({
      callType,
      body: request.body,
      deployment,
      stream: request.stream,
      includeUsage: request.includeUsage,
      rawBody: request.rawBody ?? text,
      signal: controller,
      pools: ctx.pools,
    });
    if (answer.kind === "json") {
      clearTimeout(timer);
      const upstreamMs = performance.now() - callStartedAt;
      outcome.usage = answer.usage;
      headers.push(["x-switchyard-overhead-ms", overheadMs(exchange.startedAt, upstreamMs)]);
      headers.push([
        "x-switchyard-response-cost",
        String(answer.usage === undefined ? 0 : costOf(priceOf(deployment), answer.usage)),
      ]);
      exchange.sendJson(200, format.answer(answer.body), headers);
      ctx.health.recordSuccess(deployment.id, upstreamMs);
      return;
    }
    headers.push([
      "x-switchyard-overhead-ms",
      overheadMs(exchange.startedAt, performance.now() - callStartedAt),
    ]);
    try {
      await pipeStream(
        exchange,
        answer,
        stream ?? format.openStream(request),
        headers,
        controller,
        timer,
        deployment,
        outcome,
      );
    } finally {
      outcome.usage = answer.usage();
    }
    ctx.health.recordSuccess(deployment.id, performance.now() - callStartedAt);
  } catch (err) {
    const error = toUpstreamError(err, controller, deployment.id);
    if (error instanceof ClientGone) return;
    if (error.code === INTERNAL_ERROR) {
      ctx.logger.error(
        { err: describeFault(err), requestId: exchange.requestId },
        "internal error",
      );
    } else {
      ctx.health.recordFailure(deployment.id, `HTTP ${error.status}: ${error.message}`);
    }
    if (exchange.streaming && stream !== undefined) {
      // Headers are out: the error travels in the stream.
      exchange.endStream(stream.error(error));
    } else {
      exchange.sendError(error, headers, false, format.errorBody(error));
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends the stream. Headers go out with the first chunk, so an upstream that fails before
 * its first byte still yields a proper HTTP error. Until then `stream_timeout` applies;
 * after, the deployment's timeout bounds the silence between two chunks.
 */
async function pipeStream(
  exchange: Exchange,
  answer: StreamAnswer,
  format: StreamFormat,
  headers: Headers,
  controller: CallAbort,
  firstByteTimer: NodeJS.Timeout,
  deployment: Deployment,
  outcome: CallOutcome,
): Promise<void> {
  const chunks = answer.chunks[Symbol.asyncIterator]();
  const idleTimeout = () => controller.abort(new UpstreamTimeout(deployment.timeoutMs));
  let idle: NodeJS.Timeout | undefined;
  try {
    let next = await chunks.next();
    clearTimeout(firstByteTimer);
    if (!exchange.beginStream(headers)) return;
    idle = setTimeout(idleTimeout, deployment.timeoutMs);
    while (!next.done) {
      const frame = format.frame(next.value);
      outcome.chunks++;
      const wait = frame === "" ? undefined : exchange.write(frame);
      if (wait !== undefined) {
        // A slow reader is not a slow upstream: the idle clock stops while the client drains.
        clearTimeout(idle);
        await wait;
        idle = setTimeout(idleTimeout, deployment.timeoutMs);
      } else {
        idle.refresh();
      }
      if (!exchange.open) {
        controller.abort(CLIENT_GONE);
        return;
      }
      next = await chunks.next();
    }
    exchange.endStream(format.end());
  } finally {
    clearTimeout(idle);
    // Release the upstream if we stopped early (client gone, error).
    await chunks.return?.(undefined)?.catch(() => undefined);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    `Request body too large: the limit is ${limit} bytes (general_settings.max_request_size_mb).`,
    "invalid_request_error",
    "request_too_large",
  );
}

function overheadMs(startedAt: number, upstreamMs: number): string {
  return Math.max(0, performance.now() - startedAt - upstreamMs).toFixed(3);
}

/**
 * A gateway fault for the log: its type and where it was thrown, never its message (which
 * may quote request or response content) nor a whole stack trace.
 */
function describeFault(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const frame = err.stack?.split("\n")[1]?.trim() ?? "";
  return `${err.name} ${frame}`;
}
