import { describe, expect, it } from "vitest";
import { buildSnapshotFromConfig } from "../../control-plane/snapshot/build-from-config.js";
import { ConfigSchema } from "../../schema/config.js";
import { DEFAULT_ROUTER_SETTINGS } from "../../schema/snapshot.js";

describe("router settings in the snapshot", () => {
  it("carries router_settings and litellm_settings in the snapshot's shape", () => {
    const config = ConfigSchema.parse({
      router_settings: {
        routing_strategy: "least-busy",
        num_retries: "3",
        retry_policy: { RateLimitErrorRetries: 5, AuthenticationErrorRetries: 0 },
        retry_after: 2,
        fallbacks: [{ a: ["b"] }, { c: ["d", "e"] }],
        context_window_fallbacks: [{ a: ["big"] }],
        max_fallbacks: 2,
        model_group_alias: { "gpt-4": "gpt-4o" },
        enable_tag_filtering: "true",
        allowed_fails: 1,
        cooldown_time: 30,
      },
      litellm_settings: { content_policy_fallbacks: [{ a: ["safe"] }], default_fallbacks: ["any"] },
      fallback_mapping: { "gpt-4": ["gpt-4-fallback"] },
    });
    const router = buildSnapshotFromConfig(config).settings.router;
    expect(router).toEqual({
      ...DEFAULT_ROUTER_SETTINGS,
      strategy: "least-busy",
      numRetries: 3,
      retryPolicy: { rateLimit: 5, auth: 0 },
      retryMinMs: 2000,
      fallbacks: { a: ["b"], c: ["d", "e"], "gpt-4": ["gpt-4-fallback"] },
      contextWindowFallbacks: { a: ["big"] },
      contentPolicyFallbacks: { a: ["safe"] },
      defaultFallbacks: ["any"],
      maxFallbacks: 2,
      modelGroupAlias: { "gpt-4": "gpt-4o" },
      enableTagFiltering: true,
      allowedFails: 1,
      cooldownMs: 30_000,
    });
  });

  it("refuses an unknown routing strategy", () => {
    expect(
      ConfigSchema.safeParse({ router_settings: { routing_strategy: "fastest" } }).success,
    ).toBe(false);
  });
});
