import type { Dispatcher } from "undici";
import { ApiError, badRequest } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { upstreamError } from "../../upstream/error-response.js";
import type { UpstreamPools } from "../../upstream/pools.js";
import { paramsToDrop } from "../drop-params.js";
import type { Answer, HealthCheckResult, Provider, ProviderCall } from "../types.js";
import { batchEmbedRequest, embeddingsList, encodingFormat } from "./embeddings.js";
import { geminiHttpError } from "./errors.js";
import { UNSUPPORTED_PARAMS } from "./params.js";
import { geminiChatRequest } from "./request.js";
import { blockedError, chatCompletion } from "./response.js";
import { geminiStream } from "./stream.js";
import { type GeminiMethod, geminiTarget, methodPath } from "./target.js";
import { usageFromMetadata } from "./usage.js";
import type { GeminiBatchEmbedResponse, GeminiResponse } from "./wire.js";

/** Google AI Studio's Gemini API (`gemini/<model>`): chat, streamed chat and embeddings. */
export const geminiProvider: Provider = {
  async call(call: ProviderCall): Promise<Answer> {
    const { deployment } = call;
    if (call.callType === "completion") {
      throw badRequest(
        "The completions endpoint is not supported by provider gemini; use /v1/chat/completions.",
        null,
        "unsupported_endpoint",
      );
    }
    if (call.callType === "embedding") {
      // Checked before the call, so a bad value costs no upstream request.
      const format = encodingFormat(call.body);
      const target = geminiTarget(deployment);
      const body = batchEmbedRequest(call.body, target.modelName);
      const res = await request(call, "batchEmbedContents", JSON.stringify(body));
      const answer = (await readJson(res, deployment)) as GeminiBatchEmbedResponse;
      return {
        kind: "json",
        body: embeddingsList(answer, format, deployment.model),
        usage: undefined,
      };
    }
    paramsToDrop(call.body, UNSUPPORTED_PARAMS, deployment);
    const body = JSON.stringify(geminiChatRequest(call.body));
    if (call.stream) {
      const res = await request(call, "streamGenerateContent", body);
      const type = res.headers["content-type"];
      if (typeof type === "string" && type.includes("text/event-stream")) {
        return geminiStream(res.body, deployment, call.includeUsage);
      }
      await res.body.dump();
      throw new ApiError(
        502,
        `The upstream of deployment ${deployment.id} answered a streaming request without a stream (content-type ${String(type)})`,
        "api_error",
        "upstream_not_streaming",
      );
    }
    const res = await request(call, "generateContent", body);
    const answer = (await readJson(res, deployment)) as GeminiResponse;
    const blocked = blockedError(answer);
    if (blocked !== undefined) throw blocked;
    const usage = usageFromMetadata(answer.usageMetadata);
    return { kind: "json", body: chatCompletion(answer, deployment.model, usage), usage };
  },

  async healthCheck(
    deployment: Deployment,
    pools: UpstreamPools,
    signal: AbortSignal,
  ): Promise<HealthCheckResult> {
    const target = geminiTarget(deployment);
    const res = await pools.get(deployment.id, target.origin).request({
      method: "GET",
      path: `${target.basePath}/models`,
      headers: target.headers,
      signal,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return { healthy: true };
    }
    const err = await errorFrom(res, deployment);
    return { healthy: false, error: `HTTP ${err.status}: ${err.message}` };
  },
};

async function request(
  call: ProviderCall,
  method: GeminiMethod,
  body: string,
): Promise<Dispatcher.ResponseData> {
  const target = geminiTarget(call.deployment);
  const res = await call.pools.get(call.deployment.id, target.origin).request({
    method: "POST",
    path: methodPath(target, method),
    headers: target.headers,
    body,
    signal: call.signal,
    // The gateway's own timers bound the call; undici's defaults (300 s) must not cut first.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    throw await errorFrom(res, call.deployment);
  }
  return res;
}

async function readJson(res: Dispatcher.ResponseData, deployment: Deployment): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} answered with a body that is not JSON`,
      "api_error",
      "upstream_bad_response",
    );
  }
}

function errorFrom(res: Dispatcher.ResponseData, deployment: Deployment) {
  return upstreamError(res, deployment, geminiHttpError);
}
