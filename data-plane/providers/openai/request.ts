import type { Deployment } from "../../../schema/snapshot.js";
import type { CallType, ProviderCall } from "../types.js";

export const DEFAULT_OPENAI_BASE = "https://api.openai.com/v1";

const PATHS: Record<CallType, string> = {
  chat: "/chat/completions",
  completion: "/completions",
  embedding: "/embeddings",
};

export interface UpstreamTarget {
  origin: string;
  /** `/v1` or whatever path prefix the api_base carries. */
  basePath: string;
  /** Static headers: auth, organization, extra_headers. */
  headers: Record<string, string>;
}

// Computed once per deployment object; a new snapshot brings new objects.
const targets = new WeakMap<Deployment, UpstreamTarget>();

export function upstreamTarget(d: Deployment): UpstreamTarget {
  let t = targets.get(d);
  if (t === undefined) {
    const url = new URL(d.apiBase ?? DEFAULT_OPENAI_BASE);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...d.extraHeaders,
    };
    if (d.apiKey !== undefined) headers.authorization = `Bearer ${d.apiKey}`;
    if (d.organization !== undefined) headers["openai-organization"] = d.organization;
    t = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ""), headers };
    targets.set(d, t);
  }
  return t;
}

export function upstreamPath(target: UpstreamTarget, callType: CallType): string {
  return target.basePath + PATHS[callType];
}

/**
 * The body sent upstream: the client's, with the deployment's model name. A stream always
 * asks for the usage chunk, since spend needs it; it is withheld from a client that did
 * not ask for it.
 */
export function upstreamBody(call: ProviderCall): string {
  const addUsage = call.stream && !call.includeUsage;
  // The common case: the public name is the upstream's; forward the client's bytes as sent.
  if (!addUsage && call.body.model === call.deployment.model) return call.rawBody;
  const body: Record<string, unknown> = { ...call.body, model: call.deployment.model };
  if (addUsage) {
    const opts = call.body.stream_options;
    body.stream_options = {
      ...(typeof opts === "object" && opts !== null ? opts : {}),
      include_usage: true,
    };
  }
  return JSON.stringify(body);
}
