import type { RouterSettings } from "../../schema/snapshot.js";
import type { FailureKind } from "./retry-policy.js";

const NONE: readonly string[] = [];

/**
 * The model groups to try, in order, after `model` failed with `kind`: the request's own
 * `fallbacks` first, else `context_window_fallbacks` / `content_policy_fallbacks` for those
 * failures, else `fallbacks` (with the tutorial's `fallback_mapping`), else
 * `default_fallbacks`. Context-window and content-policy failures use only their own lists.
 */
export function fallbacksFor(
  model: string,
  kind: FailureKind,
  settings: RouterSettings,
  requestFallbacks: readonly string[] | undefined,
): readonly string[] {
  if (kind === "final") return NONE;
  if (kind === "contextWindow") return own(settings.contextWindowFallbacks, model) ?? NONE;
  if (kind === "contentPolicy") return own(settings.contentPolicyFallbacks, model) ?? NONE;
  if (requestFallbacks !== undefined) return requestFallbacks;
  return (
    own(settings.fallbacks, model) ?? own(settings.fallbacks, "*") ?? settings.defaultFallbacks
  );
}

function own(map: Record<string, string[]>, model: string): readonly string[] | undefined {
  return Object.hasOwn(map, model) ? map[model] : undefined;
}
