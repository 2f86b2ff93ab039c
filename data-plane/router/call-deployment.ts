import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";
import { describeFault } from "../http/describe-fault.js";
import type { Exchange, Headers } from "../http/exchange.js";
import { costOf } from "../pricing/cost.js";
import { priceOf } from "../pricing/deployment-price.js";
import { providerFor } from "../providers/registry.js";
import type { StreamAnswer } from "../providers/types.js";
import type { StreamFormat } from "../routes/proxy-format.js";
import { CallAbort } from "../upstream/call-abort.js";
import {
  ClientGone,
  INTERNAL_ERROR,
  UpstreamTimeout,
  toUpstreamError,
} from "../upstream/transport-errors.js";
import type { CallOutcome } from "./call-outcome.js";
import type { RoutedCall } from "./routed-call.js";

const CLIENT_GONE = new ClientGone();

/** The client left: nothing more to send, nothing to retry. */
export function isClientGone(err: unknown): boolean {
  return err instanceof ClientGone;
}

/**
 * One attempt at one deployment. Resolves once the answer was sent (whole or streamed; a
 * stream that fails after its first byte ends with an error event, and counts as answered).
 * Throws an ApiError when the attempt failed before anything reached the client, so the
 * router may retry or fall back; throws ClientGone when the client left.
 */
export async function callDeployment(call: RoutedCall, deployment: Deployment): Promise<void> {
  const { exchange, request, outcome, ctx, format } = call;
  outcome.deployment = deployment;
  const provider = providerFor(deployment.provider);
  if (provider === undefined) {
    throw new ApiError(
      500,
      `Deployment ${deployment.id} of model "${deployment.modelName}" uses provider "${deployment.provider}", which this Switchyard build does not support yet.`,
      "server_error",
      "provider_not_supported",
    );
  }
  const headers: (readonly [string, string])[] = [["x-switchyard-model-id", deployment.id]];
  if (call.groupName !== undefined) {
    headers.push(
      ["x-switchyard-model-group", call.groupName],
      ["x-switchyard-attempted-retries", String(outcome.retries)],
      ["x-switchyard-attempted-fallbacks", String(outcome.fallbacks)],
    );
  }
  for (const h of call.headers) headers.push(h);

  const controller = new CallAbort();
  exchange.onAbort(() => controller.abort(CLIENT_GONE));
  const deploymentMs = request.stream ? deployment.streamTimeoutMs : deployment.timeoutMs;
  const firstByteMs =
    call.attemptTimeoutMs === undefined
      ? deploymentMs
      : Math.min(deploymentMs, call.attemptTimeoutMs);
  const timer = setTimeout(() => controller.abort(new UpstreamTimeout(firstByteMs)), firstByteMs);
  const callStartedAt = performance.now();
  const stream = request.stream ? format.openStream(request) : undefined;
  try {
    const answer = await provider.call({
      callType: call.callType,
      body: request.body,
      deployment,
      stream: request.stream,
      includeUsage: request.includeUsage,
      rawBody: request.rawBody ?? call.text,
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
    if (error instanceof ClientGone) throw error;
    if (error.code === INTERNAL_ERROR) {
      ctx.logger.error(
        { err: describeFault(err), requestId: exchange.requestId },
        "internal error",
      );
    } else {
      ctx.health.recordFailure(deployment.id, `HTTP ${error.status}: ${error.message}`);
    }
    if (exchange.streaming && stream !== undefined) {
      // Headers are out: the error travels in the stream, and the request is answered.
      outcome.errorCode = error.code ?? error.type;
      exchange.endStream(stream.error(error));
      return;
    }
    throw error;
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

function overheadMs(startedAt: number, upstreamMs: number): string {
  return Math.max(0, performance.now() - startedAt - upstreamMs).toFixed(3);
}
