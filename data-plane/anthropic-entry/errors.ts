import type { ApiError } from "../../schema/errors.js";
import { ERROR_TYPES } from "../providers/anthropic/errors.js";
import type { AnthropicErrorBody } from "../providers/anthropic/wire.js";

/** HTTP status → Anthropic error type, for errors whose type is OpenAI's. */
const TYPES_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/**
 * Any gateway error → Anthropic's `{type: "error", error: {type, message}}`. A type that is
 * already Anthropic's (an Anthropic upstream's, passed through) stands; otherwise the HTTP
 * status decides, so the Anthropic SDKs raise the class that matches the status.
 */
export function anthropicErrorBody(err: ApiError): AnthropicErrorBody {
  return { type: "error", error: { type: anthropicErrorType(err), message: err.message } };
}

export function anthropicErrorType(err: ApiError): string {
  if (err.code === "request_too_large") return "request_too_large";
  if (ERROR_TYPES[err.type] !== undefined && err.type !== "invalid_request_error") return err.type;
  return TYPES_BY_STATUS[err.status] ?? (err.status >= 500 ? "api_error" : "invalid_request_error");
}
