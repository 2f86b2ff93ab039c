import { ApiError, badRequest } from "../../schema/errors.js";
import type { CallType } from "../providers/types.js";

/** The fields the gateway itself needs; everything else is the upstream's to judge. */
export interface ValidRequest {
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

const REQUIRED: Record<CallType, string> = {
  chat: "messages",
  completion: "prompt",
  embedding: "input",
};

export function parseRequest(text: string, callType: CallType): ValidRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. The body must be valid JSON (see https://www.json.org).",
      null,
      "invalid_json",
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object.", null, "invalid_json");
  }
  const b = body as Record<string, unknown>;
  const model = b.model;
  if (typeof model !== "string" || model === "") {
    throw badRequest("you must provide a model parameter", "model", "missing_required_parameter");
  }
  const field = REQUIRED[callType];
  const value = b[field];
  if (value === undefined || value === null) {
    throw badRequest(
      `Missing required parameter: '${field}'.`,
      field,
      "missing_required_parameter",
    );
  }
  if (callType === "chat" && (!Array.isArray(value) || value.length === 0)) {
    throw badRequest(
      "Invalid 'messages': expected a non-empty array of messages.",
      "messages",
      "invalid_value",
    );
  }
  const stream = b.stream;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    throw badRequest("Invalid type for 'stream': expected a boolean.", "stream", "invalid_type");
  }
  const isStream = callType !== "embedding" && stream === true;
  const opts = b.stream_options;
  const includeUsage =
    isStream &&
    typeof opts === "object" &&
    opts !== null &&
    (opts as { include_usage?: unknown }).include_usage === true;
  return { body: b, model, stream: isStream, includeUsage };
}

export function modelNotFound(model: string): ApiError {
  return new ApiError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    "model_not_found",
    "model",
  );
}
