import type { Deployment } from "../../schema/snapshot.js";
import type { CallAbort } from "../upstream/call-abort.js";
import type { UpstreamPools } from "../upstream/pools.js";
import type { NativeFormat, NativeRequest } from "./native.js";

export type CallType = "chat" | "completion" | "embedding";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /**
   * Prompt tokens read from the upstream's prompt cache, and (Anthropic) written to it;
   * both are part of prompt_tokens and priced at their own rates.
   */
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number };
}

export interface ProviderCall {
  readonly callType: CallType;
  /** The client's request body, parsed once; providers must not mutate it. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The same body as the client sent it, for providers that can forward it unchanged. */
  readonly rawBody: string;
  readonly deployment: Deployment;
  readonly stream: boolean;
  /** The client asked for the final usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
  /** Aborted when the client goes away or the deployment's timeout passes. */
  readonly signal: CallAbort;
  readonly pools: UpstreamPools;
}

/** A whole (non-streamed) answer, already in OpenAI's JSON format. */
export interface JsonAnswer {
  readonly kind: "json";
  readonly body: string | Uint8Array;
  readonly usage: Usage | undefined;
}

/** A streamed answer: OpenAI chunk JSON texts (the part after `data: `), without [DONE]. */
export interface StreamAnswer {
  readonly kind: "stream";
  readonly chunks: AsyncIterable<string>;
  /** Known once `chunks` is exhausted (when the upstream reported it). */
  usage(): Usage | undefined;
}

export type Answer = JsonAnswer | StreamAnswer;

export interface HealthCheckResult {
  healthy: boolean;
  error?: string;
}

/**
 * One provider behind one interface: translate the request, call upstream, translate the
 * answer or stream, extract usage. Errors are thrown as ApiError, OpenAI-shaped.
 */
export interface Provider {
  call(call: ProviderCall): Promise<Answer>;
  /** The client wire format this provider speaks natively, if any (see native.ts). */
  readonly nativeFormat?: NativeFormat;
  /**
   * A call whose client spoke `nativeFormat`: the client's own body goes upstream (model
   * replaced), and the answer (JsonAnswer body marked with nativeAnswer, or StreamAnswer
   * chunks that are whole SSE events) comes back in that format; usage is still OpenAI's.
   */
  callNative?(call: ProviderCall, native: NativeRequest): Promise<Answer>;
  /** A cheap liveness probe that spends no tokens. */
  healthCheck(
    deployment: Deployment,
    pools: UpstreamPools,
    signal: AbortSignal,
  ): Promise<HealthCheckResult>;
}
