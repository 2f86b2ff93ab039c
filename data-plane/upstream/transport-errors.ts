import { ApiError } from "../../schema/errors.js";
import type { CallAbort } from "./call-abort.js";

/** The reason the gateway aborts an upstream call whose time ran out. */
export class UpstreamTimeout extends Error {
  constructor(readonly ms: number) {
    super(`Upstream did not answer within ${ms / 1000}s`);
    this.name = "UpstreamTimeout";
  }
}

/** The reason the gateway aborts an upstream call whose client went away. */
export class ClientGone extends Error {
  constructor() {
    super("Client disconnected");
    this.name = "ClientGone";
  }
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

/**
 * Maps what went wrong reaching an upstream to the client's error: 504 when time ran out,
 * 502 when the upstream could not be reached or dropped the connection. ApiErrors (an
 * upstream that answered with an error) pass through unchanged.
 */
export function toUpstreamError(
  err: unknown,
  signal: CallAbort,
  deploymentId: string,
): ApiError | ClientGone {
  if (err instanceof ApiError) return err;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof UpstreamTimeout) return timeoutError(reason.message, deploymentId);
    return reason instanceof ClientGone ? reason : new ClientGone();
  }
  const code = errorCode(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return timeoutError("Upstream timed out", deploymentId);
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new ApiError(
      502,
      `Could not reach the upstream of deployment ${deploymentId} (${code})`,
      "api_error",
      "upstream_unreachable",
    );
  }
  if (code !== undefined && (code.startsWith("UND_ERR") || /^E[A-Z]+$/.test(code))) {
    return new ApiError(
      502,
      `The upstream of deployment ${deploymentId} closed or broke the connection (${code})`,
      "api_error",
      "upstream_connection_error",
    );
  }
  // Not a network failure: a fault in the gateway itself, not the deployment's.
  return new ApiError(
    500,
    "Internal error while handling the request",
    "server_error",
    INTERNAL_ERROR,
  );
}

/** The `code` of errors that are the gateway's own fault (logged, not blamed on upstream). */
export const INTERNAL_ERROR = "internal_error";

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT",
]);

function timeoutError(message: string, deploymentId: string): ApiError {
  return new ApiError(
    504,
    `${message} (deployment ${deploymentId})`,
    "timeout_error",
    "upstream_timeout",
  );
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // undici wraps socket errors; the system code sits on the cause.
  for (let depth = 0; depth < 3 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "UND_ERR_SOCKET") return code;
    if (typeof code === "string" && (e as { cause?: unknown }).cause === undefined) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
