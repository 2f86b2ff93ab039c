import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { redactSecrets } from "../redact-secrets.js";

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  413: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
};

/**
 * An upstream that answered with an error status: the client gets that status and the
 * upstream's message (secrets removed), with the upstream's Retry-After on a 429.
 */
export function upstreamHttpError(
  status: number,
  bodyText: string,
  retryAfter: string | undefined,
  deployment: Deployment,
): ApiError {
  let message = `Upstream returned HTTP ${status}`;
  let type = TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  let code: string | null = null;
  let param: string | null = null;
  try {
    const parsed = JSON.parse(bodyText) as { error?: unknown };
    const e = parsed.error;
    if (typeof e === "object" && e !== null) {
      const fields = e as Record<string, unknown>;
      if (typeof fields.message === "string" && fields.message !== "") message = fields.message;
      if (typeof fields.type === "string") type = fields.type;
      if (typeof fields.code === "string") code = fields.code;
      if (typeof fields.param === "string") param = fields.param;
    } else if (typeof e === "string") {
      message = e;
    }
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the generic message.
  }
  const seconds = retryAfter === undefined ? undefined : Number(retryAfter);
  const clientStatus = status >= 400 && status <= 599 ? status : 502;
  return new ApiError(
    clientStatus,
    redactSecrets(message, [deployment.apiKey]),
    type,
    code,
    param,
    seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined,
  );
}
