import { describe, expect, it } from "vitest";
import { ApiError } from "../../../schema/errors.js";
import { DEFAULT_ROUTER_SETTINGS } from "../../../schema/snapshot.js";
import { newRouter } from "./build.js";

const serverError = new ApiError(500, "boom", "api_error");
const settings = { ...DEFAULT_ROUTER_SETTINGS, allowedFails: 2, cooldownMs: 10_000 };
const NOW = 1_700_000_000_000;

describe("cooldowns", () => {
  it("cools a deployment down only after more than allowed_fails failures in a minute", () => {
    const router = newRouter();
    for (let i = 0; i < 2; i++) router.cooldowns.recordFailure("d", serverError, settings, 2, NOW);
    expect(router.loadOf("d").coolUntil).toBe(0);
    router.cooldowns.recordFailure("d", serverError, settings, 2, NOW);
    expect(router.loadOf("d").coolUntil).toBe(NOW + 10_000);
  });

  it("forgets failures from an earlier minute", () => {
    const router = newRouter();
    for (let i = 0; i < 2; i++) router.cooldowns.recordFailure("d", serverError, settings, 2, NOW);
    router.cooldowns.recordFailure("d", serverError, settings, 2, NOW + 60_000);
    expect(router.loadOf("d").coolUntil).toBe(0);
  });

  it("cools down at once on 429 and 401, for the upstream's Retry-After when longer", () => {
    const router = newRouter();
    router.cooldowns.recordFailure(
      "a",
      new ApiError(401, "no", "authentication_error"),
      settings,
      2,
      NOW,
    );
    expect(router.loadOf("a").coolUntil).toBe(NOW + 10_000);
    const limited = new ApiError(429, "slow down", "rate_limit_error", null, null, 30);
    router.cooldowns.recordFailure("b", limited, settings, 2, NOW);
    expect(router.loadOf("b").coolUntil).toBe(NOW + 30_000);
  });

  it("never cools down a group's only deployment, nor any when disable_cooldowns is set", () => {
    const router = newRouter();
    const limited = new ApiError(429, "slow down", "rate_limit_error");
    router.cooldowns.recordFailure("only", limited, settings, 1, NOW);
    router.cooldowns.recordFailure("d", limited, { ...settings, disableCooldowns: true }, 3, NOW);
    expect(router.loadOf("only").coolUntil).toBe(0);
    expect(router.loadOf("d").coolUntil).toBe(0);
  });
});
