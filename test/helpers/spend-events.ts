import type { SpendEvent } from "../../schema/spend-event.js";

/** A spend event of `spend` USD by the key, at `at` (epoch ms). */
export function spendEvent(
  requestId: string,
  key: { id: string; token: string; userId: string | null; teamId: string | null },
  spend: number,
  at = Date.parse("2026-11-25T10:00:00Z"),
  extra: Partial<SpendEvent> = {},
): SpendEvent {
  return {
    request_id: requestId,
    call_type: "chat",
    api_key: key.token,
    key_id: key.id,
    spend,
    prompt_tokens: 10,
    completion_tokens: 5,
    cached_tokens: 0,
    startTime: at,
    endTime: at + 100,
    completionStartTime: at + 10,
    model: "fast",
    model_group: "m",
    model_id: "dep-1",
    custom_llm_provider: "mock",
    user: key.userId ?? undefined,
    team_id: key.teamId ?? undefined,
    organization_id: "org-1",
    request_tags: ["a", "b"],
    cache_hit: false,
    status: "success",
    metadata: { status_code: 200 },
    ...extra,
  };
}
