import type { Deployment } from "../../../schema/snapshot.js";
import { paramsToDrop } from "../drop-params.js";
import type { CallType, ProviderCall } from "../types.js";

export const DEFAULT_OPENAI_BASE = "https://api.openai.com/v1";

const PATHS: Record<CallType, string> = {
  chat: "/chat/completions",
  completion: "/completions",
  embedding: "/embeddings",
};

/**
 * Everything that differs between upstreams that speak OpenAI's API (OpenAI, Azure, Groq,
 * vLLM, ...): where a deployment's calls go and what its upstream takes. Request, stream,
 * usage and error handling are shared; each provider only supplies a function that builds
 * this from a deployment.
 */
export interface UpstreamTarget {
  origin: string;
  /** Path (and query) per call type. */
  paths: Readonly<Record<CallType, string>>;
  /** GET path of a cheap health probe; undefined when the upstream has none. */
  healthPath: string | undefined;
  /** Static headers: content type, auth, extra_headers. */
  headers: Record<string, string>;
  /** OpenAI request params the upstream refuses (see drop-params.ts). */
  unsupportedParams: readonly string[];
  /** Whether it takes `stream_options`, which is how a stream is asked for its usage. */
  streamOptions: boolean;
}

/** The OpenAI-compatible layout: `{api_base}/chat/completions`, `{api_base}/models`. */
export function targetAtBase(
  apiBase: string,
  headers: Record<string, string>,
  options: {
    unsupportedParams?: readonly string[];
    streamOptions?: boolean;
    models?: boolean;
  } = {},
): UpstreamTarget {
  const url = new URL(apiBase);
  const basePath = url.pathname.replace(/\/+$/, "");
  return {
    origin: url.origin,
    paths: {
      chat: basePath + PATHS.chat,
      completion: basePath + PATHS.completion,
      embedding: basePath + PATHS.embedding,
    },
    healthPath: options.models === false ? undefined : `${basePath}/models`,
    headers: { "content-type": "application/json", ...headers },
    unsupportedParams: options.unsupportedParams ?? [],
    streamOptions: options.streamOptions ?? true,
  };
}

/** OpenAI itself, or any server that speaks its API, via `api_base`. */
export function openAITarget(d: Deployment): UpstreamTarget {
  const headers: Record<string, string> = { ...d.extraHeaders };
  if (d.apiKey !== undefined) headers.authorization = `Bearer ${d.apiKey}`;
  if (d.organization !== undefined) headers["openai-organization"] = d.organization;
  return targetAtBase(d.apiBase ?? DEFAULT_OPENAI_BASE, headers);
}

/**
 * The body sent upstream: the client's, with the deployment's model name and without the
 * params the upstream does not take. A stream always asks for the usage chunk when the
 * upstream allows it, since spend needs it; it is withheld from a client that did not ask.
 */
export function upstreamBody(call: ProviderCall, target: UpstreamTarget): string {
  const drop = paramsToDrop(call.body, target.unsupportedParams, call.deployment);
  // The gateway decides about stream_options: an upstream that refuses it never sees it.
  if (!target.streamOptions && call.body.stream_options !== undefined) drop.push("stream_options");
  const addUsage = target.streamOptions && call.stream && !call.includeUsage;
  // The common case: nothing to change; forward the client's bytes as sent.
  if (!addUsage && drop.length === 0 && call.body.model === call.deployment.model) {
    return call.rawBody;
  }
  const body: Record<string, unknown> = { ...call.body, model: call.deployment.model };
  for (const param of drop) delete body[param];
  if (addUsage) {
    const opts = call.body.stream_options;
    body.stream_options = {
      ...(typeof opts === "object" && opts !== null ? opts : {}),
      include_usage: true,
    };
  }
  return JSON.stringify(body);
}
