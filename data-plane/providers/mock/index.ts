import { randomUUID } from "node:crypto";
import { ApiError, badRequest } from "../../../schema/errors.js";
import type { Answer, HealthCheckResult, Provider, ProviderCall, Usage } from "../types.js";
import { embeddingInputs, mockEmbedding, toBase64 } from "./embeddings.js";
import { estimateTokens, promptText, replyTokens } from "./reply.js";

/**
 * The built-in `mock/<name>` provider: answers like OpenAI with no network, for offline
 * use, demos and load tests. Configurable time to first token, tokens per second, fixed
 * reply (`mock_response`) and an injected error rate and status.
 */
// OpenAI's own limits: the largest embedding model has 3072 dimensions (mock allows the
// config's 8192), and an embeddings request takes at most 2048 inputs.
const MAX_DIMENSIONS = 8192;
const MAX_INPUTS = 2048;

export const mockProvider: Provider = {
  async call(call: ProviderCall): Promise<Answer> {
    const mock = call.deployment.mock;
    if (mock !== undefined && mock.errorRate > 0 && Math.random() < mock.errorRate) {
      throw injectedError(mock.errorStatus, call.deployment.id);
    }
    if (call.callType === "embedding") return embeddingAnswer(call);
    const ttft = mock?.ttftMs ?? 0;
    if (call.stream) return streamAnswer(call, ttft);
    const { tokens, truncated } = replyTokens(call);
    const perToken = mock?.tokensPerSecond === undefined ? 0 : 1000 / mock.tokensPerSecond;
    const total = ttft + perToken * Math.max(0, tokens.length - 1);
    if (total > 0) await call.signal.sleep(total);
    const text = tokens.join("");
    const usage = usageFor(call, tokens.length);
    const finish = truncated ? "length" : "stop";
    const body =
      call.callType === "chat"
        ? {
            id: `chatcmpl-${randomUUID()}`,
            object: "chat.completion",
            created: nowSeconds(),
            model: call.deployment.model,
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: text, refusal: null },
                logprobs: null,
                finish_reason: finish,
              },
            ],
            usage,
            system_fingerprint: "switchyard-mock",
          }
        : {
            id: `cmpl-${randomUUID()}`,
            object: "text_completion",
            created: nowSeconds(),
            model: call.deployment.model,
            choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
            usage,
          };
    return { kind: "json", body: JSON.stringify(body), usage };
  },

  async healthCheck(deployment): Promise<HealthCheckResult> {
    const mock = deployment.mock;
    if (mock !== undefined && mock.errorRate >= 1) {
      return {
        healthy: false,
        error: `mock_error_rate is 1: every call fails with HTTP ${mock.errorStatus}`,
      };
    }
    return { healthy: true };
  },
};

function streamAnswer(call: ProviderCall, ttftMs: number): Answer {
  const { tokens, truncated } = replyTokens(call);
  const tps = call.deployment.mock?.tokensPerSecond;
  const gap = tps === undefined ? 0 : 1000 / tps;
  const usage = usageFor(call, tokens.length);
  const id = `${call.callType === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
  const created = nowSeconds();
  const model = call.deployment.model;
  const finish = truncated ? "length" : "stop";
  let done = false;

  const chatChunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: "switchyard-mock",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(call.includeUsage ? { usage: null } : {}),
    });
  const textChunk = (text: string, finishReason: string | null) =>
    JSON.stringify({
      id,
      object: "text_completion",
      created,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
      ...(call.includeUsage ? { usage: null } : {}),
    });

  async function* chunks(): AsyncGenerator<string> {
    if (ttftMs > 0) await call.signal.sleep(ttftMs);
    const isChat = call.callType === "chat";
    if (isChat) yield chatChunk({ role: "assistant", content: "", refusal: null }, null);
    for (let i = 0; i < tokens.length; i++) {
      if (i > 0 && gap > 0) await call.signal.sleep(gap);
      yield isChat ? chatChunk({ content: tokens[i] }, null) : textChunk(tokens[i]!, null);
    }
    yield isChat ? chatChunk({}, finish) : textChunk("", finish);
    if (call.includeUsage) {
      const object = isChat ? "chat.completion.chunk" : "text_completion";
      yield JSON.stringify({ id, object, created, model, choices: [], usage });
    }
    done = true;
  }
  return { kind: "stream", chunks: chunks(), usage: () => (done ? usage : undefined) };
}

function embeddingAnswer(call: ProviderCall): Answer {
  const inputs = embeddingInputs(call.body.input);
  const requested = call.body.dimensions;
  if (
    requested !== undefined &&
    (typeof requested !== "number" || !(requested >= 1 && requested <= MAX_DIMENSIONS))
  ) {
    throw badRequest(
      `'dimensions' must be a number from 1 to ${MAX_DIMENSIONS}.`,
      "dimensions",
      "invalid_value",
    );
  }
  const dims =
    typeof requested === "number"
      ? Math.floor(requested)
      : (call.deployment.mock?.embeddingDimensions ?? 1536);
  if (inputs.length > MAX_INPUTS) {
    throw badRequest(`'input' may hold at most ${MAX_INPUTS} items.`, "input", "invalid_value");
  }
  const base64 = call.body.encoding_format === "base64";
  const promptTokens = inputs.reduce((n, s) => n + estimateTokens(s), 0);
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: 0,
    total_tokens: promptTokens,
  };
  const body = {
    object: "list",
    data: inputs.map((text, index) => {
      const v = mockEmbedding(text, dims);
      return { object: "embedding", index, embedding: base64 ? toBase64(v) : Array.from(v) };
    }),
    model: call.deployment.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
  return { kind: "json", body: JSON.stringify(body), usage };
}

function usageFor(call: ProviderCall, completionTokens: number): Usage {
  const prompt = estimateTokens(promptText(call));
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

function injectedError(status: number, deploymentId: string): ApiError {
  const type =
    status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error";
  return new ApiError(
    status,
    `Mock provider error injected by mock_error_rate (deployment ${deploymentId})`,
    type,
    "mock_error",
    null,
    status === 429 ? 1 : undefined,
  );
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
