import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";
import type { Caller } from "../auth/authenticate.js";
import { assertModelAccess } from "../auth/model-access.js";
import { Exchange, type Headers, toApiError } from "../http/exchange.js";
import { readBodyText } from "../http/read-body.js";
import { providerFor } from "../providers/registry.js";
import type { CallType, StreamAnswer } from "../providers/types.js";
import { pickDeployment } from "../router/pick-deployment.js";
import { CallAbort } from "../upstream/call-abort.js";
import {
  ClientGone,
  INTERNAL_ERROR,
  UpstreamTimeout,
  toUpstreamError,
} from "../upstream/transport-errors.js";
import type { RouteContext } from "./context.js";
import { readRequestHeaders } from "./request-headers.js";
import { modelNotFound, parseRequest } from "./validate-request.js";

const CLIENT_GONE = new ClientGone();
const DONE = "data: [DONE]\n\n";

/**
 * The hot path for `/v1/chat/completions`, `/v1/completions` and `/v1/embeddings`:
 * authenticate, read the body (size-limited), parse once, pick a deployment, call its
 * provider, answer whole or stream back with backpressure.
 */
export function proxyCallRoute(callType: CallType, ctx: RouteContext) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const startedAt = performance.now();
    const headers = readRequestHeaders(req);
    const exchange = new Exchange(res, headers.requestId, startedAt, ctx.track());
    const snapshot = ctx.snapshot();
    let caller: Caller;
    try {
      caller = ctx.authenticate(headers.key);
    } catch (err) {
      exchange.sendError(toApiError(err));
      return;
    }
    const limit = snapshot.settings.maxBodyBytes;
    if (headers.contentLength !== undefined && headers.contentLength > limit) {
      // Keep the connection: uWS discards the unread body, and the client gets to read the
      // 413 instead of a reset (which SDKs report as a connection error, and retry).
      exchange.sendError(tooLarge(limit));
      return;
    }
    readBodyText(
      res,
      limit,
      (text) => {
        serve(exchange, text, callType, caller, ctx).catch((err: unknown) => {
          if (!(err instanceof ApiError)) {
            ctx.logger.error(
              { err: describeFault(err), requestId: exchange.requestId },
              "internal error",
            );
          }
          exchange.sendError(toApiError(err));
        });
      },
      () => exchange.sendError(tooLarge(limit), [], true),
    );
  };
}

async function serve(
  exchange: Exchange,
  text: string,
  callType: CallType,
  caller: Caller,
  ctx: RouteContext,
): Promise<void> {
  const request = parseRequest(text, callType);
  assertModelAccess(caller, request.model);
  const snapshot = ctx.snapshot();
  const group = snapshot.groups.get(request.model);
  if (group === undefined) throw modelNotFound(request.model);
  const deployment = pickDeployment(group);
  const provider = providerFor(deployment.provider);
  const headers: [string, string][] = [["x-switchyard-model-id", deployment.id]];
  if (provider === undefined) {
    exchange.sendError(
      new ApiError(
        500,
        `Deployment ${deployment.id} of model "${deployment.modelName}" uses provider "${deployment.provider}", which this Switchyard build does not support yet.`,
        "server_error",
        "provider_not_supported",
      ),
      headers,
    );
    return;
  }

  const controller = new CallAbort();
  exchange.onAbort(() => controller.abort(CLIENT_GONE));
  const firstByteMs = request.stream ? deployment.streamTimeoutMs : deployment.timeoutMs;
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout(firstByteMs)), firstByteMs);
  const callStartedAt = performance.now();
  try {
    const answer = await provider.call({
      callType,
      body: request.body,
      deployment,
      stream: request.stream,
      includeUsage: request.includeUsage,
      rawBody: text,
      signal: controller,
      pools: ctx.pools,
    });
    if (answer.kind === "json") {
      clearTimeout(timer);
      const upstreamMs = performance.now() - callStartedAt;
      headers.push(["x-switchyard-overhead-ms", overheadMs(exchange.startedAt, upstreamMs)]);
      exchange.sendJson(200, answer.body, headers);
      ctx.health.recordSuccess(deployment.id, upstreamMs);
      return;
    }
    headers.push([
      "x-switchyard-overhead-ms",
      overheadMs(exchange.startedAt, performance.now() - callStartedAt),
    ]);
    await pipeStream(exchange, answer, headers, controller, timer, deployment);
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
    if (exchange.streaming) {
      // Headers are out: the error travels in the stream, as OpenAI sends it.
      exchange.endStream(`data: ${JSON.stringify(error.toBody())}\n\n`);
    } else {
      exchange.sendError(error, headers);
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
  headers: Headers,
  controller: CallAbort,
  firstByteTimer: NodeJS.Timeout,
  deployment: Deployment,
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
      const wait = exchange.write(`data: ${next.value}\n\n`);
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
    exchange.endStream(DONE);
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
