import type { OpenAIErrorBody } from "../../schema/errors.js";
import { InvalidInputError, ServiceError } from "../services/errors.js";
import { wireParam } from "./wire.js";

/** OpenAI's error types by status, so the official SDKs raise the matching exception. */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  409: "conflict_error",
  413: "invalid_request_error",
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function errorJson(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
  headers: Record<string, string> = {},
): Response {
  const body: OpenAIErrorBody = {
    error: { message, type: ERROR_TYPES[status] ?? "api_error", param, code },
  };
  return json(body, status, headers);
}

/**
 * A thrown error as the client sees it. Service errors keep their status, code and message
 * (written for people, free of secrets); anything else is a bare 500 — no stack, no detail.
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof InvalidInputError && err.issues.length > 0) {
    // The service names fields in camelCase; the caller sent snake_case.
    const issues = err.issues.map((i) => ({
      ...i,
      path: i.path === "(input)" ? i.path : wireParam(i.path),
    }));
    const message = err.message.startsWith("Invalid input:")
      ? `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`
      : err.message;
    const first = issues[0]?.path;
    return errorJson(
      err.status,
      message,
      err.code,
      first === undefined || first === "(input)" ? null : first,
    );
  }
  if (err instanceof ServiceError) return errorJson(err.status, err.message, err.code);
  return errorJson(500, "Internal server error.", "internal_error");
}
