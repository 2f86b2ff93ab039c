import type { ApiError } from "../../schema/errors.js";
import type { RouterSettings } from "../../schema/snapshot.js";
import { INTERNAL_ERROR } from "../upstream/transport-errors.js";

/**
 * What kind of failure an attempt ended in, for retries (`retry_policy`) and for which
 * fallback list applies. `final` failures are the request's own fault (a 400 other than the
 * two below, a 404 model): neither retried nor sent elsewhere.
 */
export type FailureKind =
  | "auth"
  | "timeout"
  | "rateLimit"
  | "contentPolicy"
  | "contextWindow"
  | "server"
  | "final";

const CONTEXT_WINDOW =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long/i;

export function failureKind(error: ApiError): FailureKind {
  const { status, code, type } = error;
  if (code === INTERNAL_ERROR) return "final";
  if (
    code === "context_length_exceeded" ||
    (status === 400 && CONTEXT_WINDOW.test(error.message))
  ) {
    return "contextWindow";
  }
  if (
    code === "content_policy_violation" ||
    code === "content_filter" ||
    type === "content_filter"
  ) {
    return "contentPolicy";
  }
  if (status === 401 || status === 403) return "auth";
  if (status === 408 || status === 504) return "timeout";
  if (status === 429) return "rateLimit";
  if (status >= 500) return "server";
  return "final";
}

/** Retries allowed on one group for this kind of failure. */
export function retriesFor(kind: FailureKind, settings: RouterSettings): number {
  const policy = settings.retryPolicy;
  switch (kind) {
    case "auth":
      return policy.auth ?? 0;
    case "contentPolicy":
      return policy.contentPolicy ?? 0;
    case "timeout":
      return policy.timeout ?? settings.numRetries;
    case "rateLimit":
      return policy.rateLimit ?? settings.numRetries;
    case "server":
      return policy.server ?? settings.numRetries;
    default:
      return 0;
  }
}

/**
 * The longest a retry waits, ms: an upstream asking for more (Retry-After) is not retried;
 * the request falls back, or the client gets the 429 with its Retry-After.
 */
export const MAX_RETRY_WAIT_MS = 30_000;
const MAX_BACKOFF_MS = 10_000;

/**
 * How long to wait before retry number `retry` (1-based): exponential from `retryBaseMs`
 * with jitter (50–100% of the step), at least `retry_after`; at least the upstream's
 * Retry-After when the retry goes to the deployment that sent it. More than
 * MAX_RETRY_WAIT_MS means "do not retry".
 */
export function backoffMs(
  retry: number,
  settings: RouterSettings,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, settings.retryBaseMs * 2 ** (retry - 1));
  let wait = Math.max(settings.retryMinMs, ceiling * (0.5 + random() / 2));
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
    wait = Math.max(wait, retryAfterSeconds * 1000);
  }
  return wait;
}
