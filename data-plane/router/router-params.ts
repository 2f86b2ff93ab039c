import { badRequest } from "../../schema/errors.js";

/** Body params that speak to the gateway's router, never sent upstream (LiteLLM's names). */
const ROUTER_PARAMS = ["fallbacks", "timeout", "num_retries"] as const;

export interface RouterParams {
  /** Model groups to fall back to, replacing the configured `fallbacks`. */
  fallbacks: string[] | undefined;
  /** The whole request's time, ms, across every attempt. */
  timeoutMs: number | undefined;
  numRetries: number | undefined;
}

/** The request's router params; undefined (no allocation) when it has none. */
export function routerParams(body: Readonly<Record<string, unknown>>): RouterParams | undefined {
  if (
    body.fallbacks === undefined &&
    body.timeout === undefined &&
    body.num_retries === undefined &&
    !hasMetadataTags(body)
  ) {
    return undefined;
  }
  const { fallbacks, timeout, num_retries } = body;
  if (
    fallbacks !== undefined &&
    fallbacks !== null &&
    !(Array.isArray(fallbacks) && fallbacks.every((f) => typeof f === "string" || isModelRef(f)))
  ) {
    throw badRequest("'fallbacks' must be a list of model names.", "fallbacks", "invalid_value");
  }
  if (timeout !== undefined && timeout !== null && !(typeof timeout === "number" && timeout > 0)) {
    throw badRequest("'timeout' must be a positive number of seconds.", "timeout", "invalid_value");
  }
  if (
    num_retries !== undefined &&
    num_retries !== null &&
    !(typeof num_retries === "number" && Number.isInteger(num_retries) && num_retries >= 0)
  ) {
    throw badRequest("'num_retries' must be a whole number ≥ 0.", "num_retries", "invalid_value");
  }
  return {
    fallbacks: Array.isArray(fallbacks)
      ? fallbacks.map((f: unknown) => (typeof f === "string" ? f : (f as { model: string }).model))
      : undefined,
    timeoutMs: typeof timeout === "number" ? Math.min(timeout, 2_147_483) * 1000 : undefined,
    numRetries: typeof num_retries === "number" ? num_retries : undefined,
  };
}

/**
 * The body to send upstream: the client's without the router params, and without
 * `metadata.tags` (routing tags; OpenAI takes only string values in `metadata`).
 */
export function withoutRouterParams(
  body: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body };
  for (const param of ROUTER_PARAMS) delete copy[param];
  if (hasMetadataTags(body)) {
    const { tags: _, ...rest } = body.metadata as Record<string, unknown>;
    if (Object.keys(rest).length === 0) delete copy.metadata;
    else copy.metadata = rest;
  }
  return copy;
}

function hasMetadataTags(body: Readonly<Record<string, unknown>>): boolean {
  const metadata = body.metadata;
  return (
    typeof metadata === "object" &&
    metadata !== null &&
    (metadata as { tags?: unknown }).tags !== undefined
  );
}

function isModelRef(f: unknown): boolean {
  return (
    typeof f === "object" && f !== null && typeof (f as { model?: unknown }).model === "string"
  );
}
