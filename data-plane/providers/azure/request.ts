import type { Deployment } from "../../../schema/snapshot.js";
import { misconfigured } from "../misconfigured.js";
import type { UpstreamTarget } from "../openai/request.js";
import type { CallType } from "../types.js";

/** LiteLLM's variable names, read when litellm_params leaves a field out. */
export const AZURE_ENV = {
  apiBase: "AZURE_API_BASE",
  apiKey: "AZURE_API_KEY",
  apiVersion: "AZURE_API_VERSION",
} as const;

const PATHS: Record<CallType, string> = {
  chat: "/chat/completions",
  completion: "/completions",
  embedding: "/embeddings",
};

/**
 * OpenAI params Azure OpenAI refuses. None known: its API follows OpenAI's, model by model
 * (a model that lacks a feature answers 400 itself, which passes through).
 */
const UNSUPPORTED: readonly string[] = [];

// Azure answers 400 to `stream_options` on API versions before it existed (2024-08-01-preview
// added it; 2024-06-01 GA lacks it). Dated versions compare as strings.
const STREAM_OPTIONS_SINCE = "2024-08-01";

// A Microsoft Entra ID access token is a JWT; Azure API keys are not.
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

/**
 * Azure OpenAI: `{api_base}/openai/deployments/{deployment}/{path}?api-version=X`, the
 * deployment being the part after `azure/`. An `api_key` goes in the `api-key` header; a
 * key that is an Entra ID token (a JWT) goes as `Authorization: Bearer` instead.
 */
export function azureTarget(d: Deployment, env: NodeJS.ProcessEnv = process.env): UpstreamTarget {
  const apiBase = d.apiBase ?? env[AZURE_ENV.apiBase];
  if (apiBase === undefined) {
    throw misconfigured(d, `api_base (https://NAME.openai.azure.com) or ${AZURE_ENV.apiBase}`);
  }
  const apiVersion = d.apiVersion ?? env[AZURE_ENV.apiVersion];
  if (apiVersion === undefined) {
    throw misconfigured(d, `api_version (e.g. 2024-10-21) or ${AZURE_ENV.apiVersion}`);
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = d.apiKey ?? env[AZURE_ENV.apiKey];
  if (key !== undefined) {
    if (JWT.test(key)) headers.authorization = `Bearer ${key}`;
    else headers["api-key"] = key;
  }
  Object.assign(headers, d.extraHeaders);

  const url = new URL(apiBase);
  // Tolerate an api_base given with the `/openai` segment already on.
  const base = url.pathname.replace(/\/+$/, "").replace(/\/openai$/, "");
  const query = `?api-version=${encodeURIComponent(apiVersion)}`;
  const deployment = `${base}/openai/deployments/${encodeURIComponent(d.model)}`;
  return {
    origin: url.origin,
    paths: {
      chat: deployment + PATHS.chat + query,
      completion: deployment + PATHS.completion + query,
      embedding: deployment + PATHS.embedding + query,
    },
    healthPath: `${base}/openai/models${query}`,
    headers,
    unsupportedParams: UNSUPPORTED,
    streamOptions: takesStreamOptions(apiVersion),
  };
}

/** Undated versions (`preview`, `latest`) are the newest API, which takes it. */
function takesStreamOptions(apiVersion: string): boolean {
  const date = /^\d{4}-\d{2}-\d{2}/.exec(apiVersion)?.[0];
  return date === undefined || date >= STREAM_OPTIONS_SINCE;
}
