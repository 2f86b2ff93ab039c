import { randomBytes } from "node:crypto";
import { isGeneratedRequestId } from "../routes/request-headers.js";
import type { SpendEvent } from "../../schema/spend-event.js";
import type { FinishedCall } from "./finished-call.js";

export type { SpendEvent };

export interface SpendEventOptions {
  /** The master key's spend is recorded under its hash, as LiteLLM does. */
  masterKeyHash: string | undefined;
  /** `general_settings.store_prompts_in_spend_logs`. */
  storePrompts: boolean;
}

/** LiteLLM's SpendLogs `call_type` names (the proxy's async calls). */
const LITELLM_CALL_TYPES: Record<FinishedCall["callType"], string> = {
  chat: "acompletion",
  completion: "atext_completion",
  embedding: "aembedding",
};

/** Builds the spend event of a finished call (in the recorder's flush, never on the request). */
export function buildSpendEvent(call: FinishedCall, options: SpendEventOptions): SpendEvent {
  const { caller, outcome, body } = call;
  const deployment = outcome.deployment;
  const usage = outcome.usage;
  const metadata: Record<string, unknown> = { status_code: call.status };
  const bodyMetadata = objectOf(body?.metadata);
  for (const [k, v] of Object.entries(bodyMetadata)) if (k !== "tags") metadata[k] = v;
  if (outcome.errorCode !== undefined) metadata.error_code = outcome.errorCode;
  if (outcome.retries > 0) metadata.retries = outcome.retries;
  if (outcome.fallbacks > 0) metadata.fallbacks = outcome.fallbacks;
  if (call.stream) metadata.stream = true;
  if (call.aborted && usage === undefined) metadata.billed_chunks = outcome.chunks;
  let requestId = call.requestId;
  if (!isGeneratedRequestId(requestId)) {
    // A client-sent id may repeat; the record's id must not (it is the idempotency key).
    metadata.client_request_id = requestId;
    requestId = `${requestId}~${nextSuffix()}`;
  }
  if (options.storePrompts && body !== undefined) {
    metadata.messages = body.messages ?? body.prompt ?? body.input;
  }
  const completionTokens =
    usage?.completion_tokens ?? (deployment !== undefined ? outcome.chunks : 0);
  const event: SpendEvent = {
    request_id: requestId,
    call_type: LITELLM_CALL_TYPES[call.callType],
    api_key: "",
    spend: call.cost,
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: completionTokens,
    cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    startTime: call.startedAtEpochMs,
    endTime: call.startedAtEpochMs + Math.max(0, call.endedAt - call.startedAt),
    model: deployment?.model ?? call.model,
    model_group: call.model,
    request_tags: tagsOf(call.tagsHeader, bodyMetadata.tags),
    cache_hit: false,
    status: statusOf(call),
    metadata,
  };
  if (call.respondedAt > 0) {
    event.completionStartTime =
      call.startedAtEpochMs + Math.max(0, call.respondedAt - call.startedAt);
  }
  if (deployment !== undefined) {
    event.model_id = deployment.id;
    event.custom_llm_provider = deployment.provider;
    if (deployment.apiBase !== undefined) event.api_base = deployment.apiBase;
  }
  if (caller.kind === "key") {
    event.api_key = caller.key.tokenHash;
    event.key_id = caller.key.id;
    if (caller.key.userId !== undefined) event.user = caller.key.userId;
    if (caller.key.teamId !== undefined) event.team_id = caller.key.teamId;
    const org = caller.team?.organizationId;
    if (org !== undefined) event.organization_id = org;
  } else if (caller.kind === "master") {
    event.api_key = options.masterKeyHash ?? "";
  }
  if (typeof body?.user === "string" && body.user !== "") event.end_user = body.user;
  return event;
}

function statusOf(call: FinishedCall): SpendEvent["status"] {
  if (call.aborted) return "aborted";
  return call.status >= 200 && call.status < 300 ? "success" : "failure";
}

/** `x-switchyard-tags` (comma-separated) then `metadata.tags`, without repeats. */
function tagsOf(header: string, fromBody: unknown): string[] {
  const tags: string[] = [];
  if (header !== "") {
    for (const t of header.split(",")) {
      const tag = t.trim();
      if (tag !== "" && !tags.includes(tag)) tags.push(tag);
    }
  }
  if (Array.isArray(fromBody)) {
    for (const t of fromBody)
      if (typeof t === "string" && t !== "" && !tags.includes(t)) tags.push(t);
  }
  return tags;
}

function objectOf(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

const SUFFIX_PREFIX = randomBytes(4).toString("hex");
let suffixCounter = 0;
function nextSuffix(): string {
  return `${SUFFIX_PREFIX}${(suffixCounter++).toString(36)}`;
}
