import type { Dispatcher } from "undici";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import type { UpstreamPools } from "../../upstream/pools.js";
import type { Answer, HealthCheckResult, Provider, ProviderCall } from "../types.js";
import { upstreamError } from "../../upstream/error-response.js";
import { upstreamHttpError } from "./errors.js";
import { openAITarget, type UpstreamTarget, upstreamBody } from "./request.js";
import { openAIStream } from "./stream.js";
import { usageFromBody } from "./usage.js";

/** OpenAI, and any server that speaks its API (vLLM, Ollama, LM Studio) via `api_base`. */
export const openAIProvider: Provider = openAIShapedProvider(openAITarget);

/**
 * A provider for an upstream that speaks OpenAI's API: only where calls go and what the
 * upstream takes (`target`) differs; requests, streams, usage and errors are OpenAI's.
 * `target` may throw an ApiError for a deployment it cannot serve (missing api_version).
 */
export function openAIShapedProvider(target: (d: Deployment) => UpstreamTarget): Provider {
  // Computed once per deployment object; a new snapshot brings new objects.
  const targets = new WeakMap<Deployment, UpstreamTarget>();
  const targetOf = (d: Deployment): UpstreamTarget => {
    let t = targets.get(d);
    if (t === undefined) {
      t = target(d);
      targets.set(d, t);
    }
    return t;
  };
  return {
    call: async (call) => callUpstream(call, targetOf(call.deployment)),
    healthCheck: async (deployment, pools, signal) =>
      probeUpstream(deployment, targetOf(deployment), pools, signal),
  };
}

async function callUpstream(call: ProviderCall, target: UpstreamTarget): Promise<Answer> {
  const requestBody = upstreamBody(call, target);
  const pool = call.pools.get(call.deployment.id, target.origin);
  const res = await pool.request({
    method: "POST",
    path: target.paths[call.callType],
    headers: target.headers,
    body: requestBody,
    signal: call.signal,
    // The gateway's own timers bound the call; undici's defaults (300 s) must not cut first.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    throw await errorFrom(res, call.deployment);
  }
  if (call.stream) {
    const type = res.headers["content-type"];
    if (typeof type === "string" && type.includes("text/event-stream")) {
      return openAIStream(res.body, call.includeUsage);
    }
    // A server that ignored `stream: true`: say so rather than send an empty stream.
    await res.body.dump();
    throw new ApiError(
      502,
      `The upstream of deployment ${call.deployment.id} answered a streaming request without a stream (content-type ${String(type)})`,
      "api_error",
      "upstream_not_streaming",
    );
  }
  const bytes = await res.body.bytes();
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { kind: "json", body, usage: usageFromBody(body) };
}

async function probeUpstream(
  deployment: Deployment,
  target: UpstreamTarget,
  pools: UpstreamPools,
  signal: AbortSignal,
): Promise<HealthCheckResult> {
  // Without a free endpoint to ask, only a real (paid) call would tell.
  if (target.healthPath === undefined) return { healthy: true };
  const pool = pools.get(deployment.id, target.origin);
  const res = await pool.request({
    method: "GET",
    path: target.healthPath,
    headers: target.headers,
    signal,
  });
  if (res.statusCode >= 200 && res.statusCode < 300) {
    await res.body.dump();
    return { healthy: true };
  }
  const err = await errorFrom(res, deployment);
  return { healthy: false, error: `HTTP ${err.status}: ${err.message}` };
}

function errorFrom(res: Dispatcher.ResponseData, deployment: Deployment) {
  return upstreamError(res, deployment, upstreamHttpError);
}
