import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { redactSecrets } from "../redact-secrets.js";
import type { GeminiErrorDetail } from "./wire.js";

/** google.rpc status names → HTTP statuses, for errors that arrive inside a stream. */
export const STATUS_BY_GOOGLE_CODE: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
};

// Google API keys; the deployment's own key is removed by value as well.
const GOOGLE_KEY = /AIza[0-9A-Za-z_-]{30,}/g;

/**
 * A Gemini error answer (`{error: {code, message, status}}`) → the OpenAI-shaped error
 * with the upstream's HTTP status and message (secrets removed). On a 429 the wait comes
 * from Retry-After, or else from the RetryInfo detail Google sends (`"retryDelay": "31s"`).
 */
export function geminiHttpError(
  status: number,
  bodyText: string,
  retryAfter: string | undefined,
  deployment: Deployment,
): ApiError {
  let detail: GeminiErrorDetail = {};
  try {
    const parsed = JSON.parse(bodyText) as { error?: unknown };
    if (typeof parsed.error === "object" && parsed.error !== null) {
      detail = parsed.error as GeminiErrorDetail;
    }
  } catch {
    // Not JSON (an HTML page from a proxy, say): keep the generic message.
  }
  return geminiError(detail, status, retryAfter, deployment);
}

/** An error object Gemini sent, as an HTTP error or inside a stream (`httpStatus` unset). */
export function geminiError(
  detail: GeminiErrorDetail,
  httpStatus: number | undefined,
  retryAfter: string | undefined,
  deployment: Deployment,
): ApiError {
  const google = typeof detail.status === "string" ? detail.status : undefined;
  const fromBody = STATUS_BY_GOOGLE_CODE[google ?? ""] ?? detail.code;
  const raw = httpStatus ?? fromBody ?? 502;
  const status = raw >= 400 && raw <= 599 ? raw : 502;
  const message =
    typeof detail.message === "string" && detail.message !== ""
      ? detail.message
      : `Upstream returned HTTP ${httpStatus ?? status}`;
  return new ApiError(
    status,
    redactSecrets(message, [deployment.apiKey]).replace(GOOGLE_KEY, "[redacted]"),
    TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"),
    google?.toLowerCase() ?? null,
    null,
    retrySeconds(retryAfter, detail),
  );
}

function retrySeconds(header: string | undefined, detail: GeminiErrorDetail): number | undefined {
  const fromHeader = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(fromHeader)) return fromHeader;
  for (const d of Array.isArray(detail.details) ? detail.details : []) {
    const delay =
      typeof d?.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
    if (delay !== null) return Math.ceil(Number(delay[1]));
  }
  return undefined;
}
