import type { Deployment } from "../../schema/snapshot.js";
import { groupWorstPrice } from "../pricing/group-price.js";
import type { CallType } from "../providers/types.js";
import type { Estimate } from "./limits.js";

/** Output allowance assumed when neither the request nor the model states one. */
const DEFAULT_MAX_OUTPUT = 4_096;
/**
 * Bytes of request body per prompt token, from below: real prompts run ~4 bytes per token
 * (JSON keys and punctuation make the body larger still), so this overestimates — what a
 * reservation must do. The real count replaces it when the answer arrives.
 */
const BYTES_PER_TOKEN = 3;

/**
 * A request's prompt tokens and worst-case cost before it is sent: every body byte group
 * as a prompt token at the group's dearest input price, plus the output allowance
 * (`max_tokens` / `max_completion_tokens`, else the model's) at its dearest output price.
 */
export function estimateRequest(
  callType: CallType,
  body: Readonly<Record<string, unknown>>,
  bodyLength: number,
  deployments: readonly Deployment[],
): Estimate {
  const tokens = Math.ceil(bodyLength / BYTES_PER_TOKEN);
  const price = groupWorstPrice(deployments);
  if (price.inputPerToken === 0 && price.outputPerToken === 0) return { tokens, worstCost: 0 };
  const maxOutput =
    callType === "embedding"
      ? 0
      : (positive(body.max_tokens) ??
        positive(body.max_completion_tokens) ??
        price.maxOutputTokens ??
        DEFAULT_MAX_OUTPUT);
  const n = positive(body.n) ?? 1;
  return {
    tokens,
    worstCost: tokens * price.inputPerToken + maxOutput * n * price.outputPerToken,
  };
}

function positive(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}
