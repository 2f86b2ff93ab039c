import { describe, expect, it } from "vitest";
import { toDeployment } from "../../../control-plane/snapshot/build-from-config.js";
import {
  FAMILIES,
  type FamilyId,
} from "../../../data-plane/providers/openai-compatible/families.js";
import { compatibleTarget } from "../../../data-plane/providers/openai-compatible/request.js";
import { upstreamBody } from "../../../data-plane/providers/openai/request.js";
import { PROVIDERS } from "../../../data-plane/providers/registry.js";
import type { ProviderCall } from "../../../data-plane/providers/types.js";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";

function deployment(model: string, params: Record<string, unknown> = {}): Deployment {
  return toDeployment({ model_name: "public", litellm_params: { model, ...params } }, 600);
}

function target(id: FamilyId, d: Deployment, env: NodeJS.ProcessEnv) {
  return compatibleTarget(FAMILIES[id], d, env);
}

function callFor(d: Deployment, body: Record<string, unknown>, stream = false): ProviderCall {
  return {
    callType: "chat",
    body,
    rawBody: JSON.stringify(body),
    deployment: d,
    stream,
    includeUsage: false,
  } as unknown as ProviderCall;
}

// [provider model string, origin, chat path, upstream model, key variable]
const ROWS: [string, string, string, string, string | undefined][] = [
  [
    "groq/llama-3.1-8b-instant",
    "https://api.groq.com",
    "/openai/v1/chat/completions",
    "llama-3.1-8b-instant",
    "GROQ_API_KEY",
  ],
  [
    "mistral/mistral-large-latest",
    "https://api.mistral.ai",
    "/v1/chat/completions",
    "mistral-large-latest",
    "MISTRAL_API_KEY",
  ],
  [
    "deepseek/deepseek-chat",
    "https://api.deepseek.com",
    "/v1/chat/completions",
    "deepseek-chat",
    "DEEPSEEK_API_KEY",
  ],
  [
    "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "https://api.together.xyz",
    "/v1/chat/completions",
    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "TOGETHERAI_API_KEY",
  ],
  [
    "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
    "https://api.fireworks.ai",
    "/inference/v1/chat/completions",
    "accounts/fireworks/models/llama-v3p1-8b-instruct",
    "FIREWORKS_AI_API_KEY",
  ],
  [
    "openrouter/anthropic/claude-3.5-sonnet",
    "https://openrouter.ai",
    "/api/v1/chat/completions",
    "anthropic/claude-3.5-sonnet",
    "OPENROUTER_API_KEY",
  ],
  ["xai/grok-2-latest", "https://api.x.ai", "/v1/chat/completions", "grok-2-latest", "XAI_API_KEY"],
  [
    "perplexity/sonar-pro",
    "https://api.perplexity.ai",
    "/chat/completions",
    "sonar-pro",
    "PERPLEXITYAI_API_KEY",
  ],
  ["ollama_chat/llama3.1", "http://localhost:11434", "/v1/chat/completions", "llama3.1", undefined],
  [
    "lm_studio/qwen2.5-7b-instruct",
    "http://localhost:1234",
    "/v1/chat/completions",
    "qwen2.5-7b-instruct",
    "LM_STUDIO_API_KEY",
  ],
];

describe("the OpenAI-compatible families", () => {
  it("each has an adapter in the registry", () => {
    for (const id of Object.keys(FAMILIES)) expect(PROVIDERS[id as FamilyId]).toBeDefined();
  });

  it.each(ROWS)("%s goes to %s%s as %s, keyed from %s", (model, origin, path, upstream, keyEnv) => {
    const d = deployment(model);
    const id = d.provider as FamilyId;
    const env = keyEnv === undefined ? {} : { [keyEnv]: "key-from-env" };
    const t = target(id, d, env);
    expect(t.origin).toBe(origin);
    expect(t.paths.chat).toBe(path);
    expect(d.model).toBe(upstream);
    expect(JSON.parse(upstreamBody(callFor(d, { model: "public", messages: [] }), t)).model).toBe(
      upstream,
    );
    if (keyEnv !== undefined) expect(t.headers.authorization).toBe("Bearer key-from-env");
    else expect(t.headers.authorization).toBeUndefined();
  });

  it("lets api_base and api_key in litellm_params override the table and the environment", () => {
    const d = deployment("groq/llama-3.1-8b-instant", {
      api_base: "http://127.0.0.1:9999/proxy/v1",
      api_key: "from-config",
    });
    const t = target("groq", d, { GROQ_API_KEY: "from-env" });
    expect(t.origin).toBe("http://127.0.0.1:9999");
    expect(t.paths.embedding).toBe("/proxy/v1/embeddings");
    expect(t.headers.authorization).toBe("Bearer from-config");
  });

  it("refuses a hosted provider without a key, naming the variable", () => {
    expect(() => target("deepseek", deployment("deepseek/deepseek-chat"), {})).toThrow(
      /needs api_key or DEEPSEEK_API_KEY/,
    );
  });

  it("requires api_base for hosted_vllm, and takes its key only when there is one", () => {
    const bare = deployment("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct");
    expect(() => target("hosted_vllm", bare, {})).toThrow(/needs api_base or HOSTED_VLLM_API_BASE/);
    const d = deployment("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", {
      api_base: "http://vllm:8000/v1",
    });
    const t = target("hosted_vllm", d, {});
    expect(t.origin).toBe("http://vllm:8000");
    expect(t.paths.chat).toBe("/v1/chat/completions");
    expect(t.headers.authorization).toBeUndefined();
    expect(d.model).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(target("hosted_vllm", d, { HOSTED_VLLM_API_KEY: "v" }).headers.authorization).toBe(
      "Bearer v",
    );
  });

  it("adds /v1 to an Ollama api_base given bare, LiteLLM style", () => {
    const d = deployment("ollama_chat/llama3.1", { api_base: "http://gpu-box:11434" });
    expect(target("ollama_chat", d, {}).paths.chat).toBe("/v1/chat/completions");
    expect(
      target("ollama_chat", deployment("ollama_chat/x"), { OLLAMA_API_BASE: "http://o:1" }).origin,
    ).toBe("http://o:1");
  });

  it("sends OpenRouter's attribution headers when their variables are set", () => {
    const d = deployment("openrouter/openai/gpt-4o", { api_key: "k" });
    expect(target("openrouter", d, {}).headers["HTTP-Referer"]).toBeUndefined();
    const t = target("openrouter", d, { OR_SITE_URL: "https://acme.dev", OR_APP_NAME: "Acme" });
    expect(t.headers["HTTP-Referer"]).toBe("https://acme.dev");
    expect(t.headers["X-Title"]).toBe("Acme");
  });
});

describe("drop_params", () => {
  const body = {
    model: "public",
    messages: [{ role: "user", content: "hi" }],
    logit_bias: { "50256": -100 },
  };

  it("refuses a param the provider does not take, naming it", () => {
    const d = deployment("groq/llama-3.1-8b-instant", { api_key: "k" });
    const t = target("groq", d, {});
    let error: unknown;
    try {
      upstreamBody(callFor(d, body), t);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).toBody()).toEqual({
      error: {
        message: "logit_bias is not supported by provider groq; set drop_params: true to drop it",
        type: "invalid_request_error",
        param: "logit_bias",
        code: "unsupported_parameter",
      },
    });
    expect((error as ApiError).status).toBe(400);
  });

  it("drops it when the deployment or litellm_settings says drop_params: true", () => {
    const own = deployment("groq/llama-3.1-8b-instant", { api_key: "k", drop_params: true });
    const sent = JSON.parse(upstreamBody(callFor(own, body), target("groq", own, {})));
    expect(sent).toEqual({
      model: "llama-3.1-8b-instant",
      messages: [{ role: "user", content: "hi" }],
    });
    const global = toDeployment(
      { model_name: "p", litellm_params: { model: "groq/x", api_key: "k" } },
      600,
      true,
    );
    expect(global.dropParams).toBe(true);
    const overridden = toDeployment(
      { model_name: "p", litellm_params: { model: "groq/x", api_key: "k", drop_params: false } },
      600,
      true,
    );
    expect(overridden.dropParams).toBe(false);
  });

  it("forwards the client's bytes untouched when nothing needs changing", () => {
    const d = deployment("openai/gpt-4o");
    const t = target("groq", { ...d, model: "gpt-4o", apiKey: "k" }, {});
    const raw = '{"model":"gpt-4o","messages":[],"logit_bias":null}';
    // A null param is "not set": dropped without complaint.
    const call = {
      ...callFor(d, JSON.parse(raw)),
      rawBody: raw,
      deployment: { ...d, model: "gpt-4o" },
    };
    expect(JSON.parse(upstreamBody(call as ProviderCall, t))).toEqual({
      model: "gpt-4o",
      messages: [],
    });
    const plain = '{"model":"gpt-4o","messages":[]}';
    const passthrough = { ...call, body: JSON.parse(plain), rawBody: plain };
    expect(upstreamBody(passthrough as ProviderCall, t)).toBe(plain);
  });

  it("never sends stream_options to a provider that refuses it, and asks the others for usage", () => {
    const mistral = deployment("mistral/mistral-small-latest", { api_key: "k" });
    const streamBody = {
      model: "public",
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    };
    const toMistral = JSON.parse(
      upstreamBody(callFor(mistral, streamBody, true), target("mistral", mistral, {})),
    );
    expect(toMistral.stream_options).toBeUndefined();
    const groq = deployment("groq/llama-3.1-8b-instant", { api_key: "k" });
    const toGroq = JSON.parse(
      upstreamBody(
        callFor(groq, { model: "public", messages: [], stream: true }, true),
        target("groq", groq, {}),
      ),
    );
    expect(toGroq.stream_options).toEqual({ include_usage: true });
  });

  it("keeps the lists small and sourced: perplexity refuses tools, OpenAI refuses nothing", () => {
    expect(FAMILIES.perplexity.unsupportedParams).toEqual(["tools", "tool_choice"]);
    expect(FAMILIES.groq.unsupportedParams).toEqual(["logprobs", "logit_bias", "top_logprobs"]);
  });
});
