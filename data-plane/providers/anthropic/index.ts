import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import type { UpstreamPools } from "../../upstream/pools.js";
import type { Answer, CallType, HealthCheckResult, Provider, ProviderCall } from "../types.js";
import { errorFromResponse } from "./errors.js";
import { callAnthropicNative } from "./native.js";
import { anthropicBody, anthropicTarget } from "./request.js";
import { chatCompletion } from "./response.js";
import { anthropicStream } from "./stream.js";
import type { AnthropicMessage } from "./wire.js";

const UNSUPPORTED: Partial<Record<CallType, string>> = {
  completion: "completions (/v1/completions)",
  embedding: "embeddings (/v1/embeddings)",
};

/** Anthropic's Messages API (`anthropic/<model>`, bare `claude-*`), behind OpenAI chat. */
export const anthropicProvider: Provider = {
  // /v1/messages to an Anthropic deployment: no translation either way.
  nativeFormat: "anthropic-messages",
  callNative: callAnthropicNative,

  async call(call: ProviderCall): Promise<Answer> {
    const unsupported = UNSUPPORTED[call.callType];
    if (unsupported !== undefined) {
      throw new ApiError(
        400,
        `Provider "anthropic" (model ${call.deployment.modelName}) does not support ${unsupported}; use /v1/chat/completions.`,
        "invalid_request_error",
        "unsupported_call_type",
      );
    }
    const target = anthropicTarget(call.deployment);
    const body = JSON.stringify(anthropicBody(call));
    const pool = call.pools.get(call.deployment.id, target.origin);
    const res = await pool.request({
      method: "POST",
      path: target.messagesPath,
      headers: target.headers,
      body,
      signal: call.signal,
      // The gateway's own timers bound the call; undici's defaults (300 s) must not cut first.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw await errorFromResponse(res, call.deployment);
    }
    if (call.stream) {
      const type = res.headers["content-type"];
      if (typeof type === "string" && type.includes("text/event-stream")) {
        return anthropicStream(res.body, call.includeUsage, call.deployment);
      }
      await res.body.dump();
      throw new ApiError(
        502,
        `The upstream of deployment ${call.deployment.id} answered a streaming request without a stream (content-type ${String(type)})`,
        "api_error",
        "upstream_not_streaming",
      );
    }
    const message = await messageFrom(res.body, call.deployment);
    const { body: completion, usage } = chatCompletion(message, Math.floor(Date.now() / 1000));
    return { kind: "json", body: JSON.stringify(completion), usage };
  },

  async healthCheck(
    deployment: Deployment,
    pools: UpstreamPools,
    signal: AbortSignal,
  ): Promise<HealthCheckResult> {
    const target = anthropicTarget(deployment);
    const pool = pools.get(deployment.id, target.origin);
    const res = await pool.request({
      method: "GET",
      path: `${target.modelsPath}?limit=1`,
      headers: target.headers,
      signal,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return { healthy: true };
    }
    const err = await errorFromResponse(res, deployment);
    return { healthy: false, error: `HTTP ${err.status}: ${err.message}` };
  },
};

async function messageFrom(
  body: { text(): Promise<string> },
  deployment: Deployment,
): Promise<AnthropicMessage> {
  const text = await body.text();
  try {
    const message = JSON.parse(text) as AnthropicMessage;
    if (Array.isArray(message.content)) return message;
  } catch {
    // Reported below, as for a body of the wrong shape.
  }
  throw new ApiError(
    502,
    `The upstream of deployment ${deployment.id} answered with a body that is not an Anthropic message`,
    "api_error",
    "upstream_bad_response",
  );
}
