import type { Dispatcher } from "undici";
import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { upstreamError } from "../../upstream/error-response.js";
import { redactSecrets } from "../redact-secrets.js";

/** Anthropic error type → the status and OpenAI error fields a client gets. */
export const ERROR_TYPES: Readonly<
  Record<string, { status: number; type: string; code?: string }>
> = {
  invalid_request_error: { status: 400, type: "invalid_request_error" },
  authentication_error: { status: 401, type: "authentication_error" },
  billing_error: { status: 402, type: "billing_error" },
  permission_error: { status: 403, type: "permission_error" },
  not_found_error: { status: 404, type: "not_found_error" },
  request_too_large: { status: 413, type: "invalid_request_error", code: "request_too_large" },
  rate_limit_error: { status: 429, type: "rate_limit_error" },
  api_error: { status: 500, type: "api_error" },
  timeout_error: { status: 504, type: "timeout_error" },
  // 529 is not a status OpenAI SDKs know; 503 is, and they retry it.
  overloaded_error: { status: 503, type: "overloaded_error", code: "overloaded_error" },
};

/** Statuses Anthropic uses that clients would not understand. */
const STATUS_FOR_CLIENT: Readonly<Record<number, number>> = { 529: 503 };

/** An upstream that answered with an error status, read and mapped. */
export async function errorFromResponse(
  res: Dispatcher.ResponseData,
  deployment: Deployment,
): Promise<ApiError> {
  return upstreamError(res, deployment, anthropicHttpError);
}

/**
 * `{type: "error", error: {type, message}}` with an HTTP status → ApiError with that
 * status (529 → 503), the upstream's message (secrets removed), Retry-After passed on.
 */
export function anthropicHttpError(
  status: number,
  bodyText: string,
  retryAfter: string | undefined,
  deployment: Deployment,
): ApiError {
  const parsed = parseError(bodyText);
  const known = parsed === undefined ? undefined : ERROR_TYPES[parsed.type];
  const mappedStatus = STATUS_FOR_CLIENT[status] ?? status;
  const clientStatus = mappedStatus >= 400 && mappedStatus <= 599 ? mappedStatus : 502;
  const type =
    known?.type || parsed?.type || (clientStatus >= 500 ? "api_error" : "invalid_request_error");
  const message = parsed?.message || `Upstream returned HTTP ${status}`;
  const seconds = retryAfter === undefined ? undefined : Number(retryAfter);
  return new ApiError(
    clientStatus,
    redactSecrets(message, [deployment.apiKey]),
    type,
    known?.code ?? null,
    null,
    seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined,
  );
}

/** An `error` event inside a stream (no HTTP status of its own): the status comes from its type. */
export function anthropicStreamError(
  error: { type?: unknown; message?: unknown },
  deployment: Deployment,
): ApiError {
  const type = typeof error.type === "string" ? error.type : "api_error";
  const known = ERROR_TYPES[type];
  const message = typeof error.message === "string" ? error.message : "Upstream stream error";
  return new ApiError(
    known?.status ?? 502,
    redactSecrets(message, [deployment.apiKey]),
    known?.type ?? type,
    known?.code ?? null,
  );
}

function parseError(text: string): { type: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    const e = body.error;
    if (typeof e !== "object" || e === null) return undefined;
    return {
      type: typeof e.type === "string" ? e.type : "",
      message: typeof e.message === "string" ? e.message : "",
    };
  } catch {
    // Not JSON (an HTML page from a proxy, say): the generic message stands.
    return undefined;
  }
}
