import type { Deployment } from "../../../schema/snapshot.js";
import { misconfigured } from "../misconfigured.js";
import { targetAtBase, type UpstreamTarget } from "../openai/request.js";
import type { Family } from "./families.js";

/**
 * Where a family's deployment calls go. `api_base` and `api_key` from litellm_params win;
 * otherwise the family's variables, then its default base. Variables are read by the data
 * plane when a deployment is first called (each node its own environment, so keys need not
 * travel in snapshots); a new snapshot reads them again.
 */
export function compatibleTarget(
  family: Family,
  d: Deployment,
  env: NodeJS.ProcessEnv = process.env,
): UpstreamTarget {
  const apiBase = d.apiBase ?? fromEnv(env, family.apiBaseEnv) ?? family.apiBase;
  if (apiBase === undefined) {
    const variable = family.apiBaseEnv === undefined ? "" : ` or ${family.apiBaseEnv}`;
    throw misconfigured(d, `api_base${variable}`);
  }
  const key = d.apiKey ?? fromEnv(env, family.apiKeyEnv);
  if (key === undefined && family.keyRequired) {
    const variable = family.apiKeyEnv === undefined ? "" : ` or ${family.apiKeyEnv}`;
    throw misconfigured(d, `api_key${variable}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, variable] of Object.entries(family.headersFromEnv ?? {})) {
    const value = fromEnv(env, variable);
    if (value !== undefined) headers[name] = value;
  }
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  Object.assign(headers, d.extraHeaders);
  return targetAtBase(withPath(apiBase, family.pathIfBare), headers, {
    unsupportedParams: family.unsupportedParams,
    streamOptions: family.streamOptions,
    models: family.models,
  });
}

function fromEnv(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

function withPath(apiBase: string, pathIfBare: string | undefined): string {
  if (pathIfBare === undefined) return apiBase;
  const url = new URL(apiBase);
  if (url.pathname !== "/" && url.pathname !== "") return apiBase;
  return url.origin + pathIfBare;
}
