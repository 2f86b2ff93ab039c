import { describe, expect, it } from "vitest";
import { fallbacksFor } from "../../../data-plane/router/fallbacks.js";
import {
  backoffMs,
  failureKind,
  MAX_RETRY_WAIT_MS,
  retriesFor,
} from "../../../data-plane/router/retry-policy.js";
import { routerParams, withoutRouterParams } from "../../../data-plane/router/router-params.js";
import { requestTags } from "../../../data-plane/router/tag-filter.js";
import { ApiError } from "../../../schema/errors.js";
import { DEFAULT_ROUTER_SETTINGS } from "../../../schema/snapshot.js";

const error = (status: number, code: string | null = null, message = "x", type = "api_error") =>
  new ApiError(status, message, type, code);

describe("failure kinds", () => {
  it("tells the error classes of retry_policy apart", () => {
    expect(failureKind(error(401))).toBe("auth");
    expect(failureKind(error(403))).toBe("auth");
    expect(failureKind(error(504, "upstream_timeout"))).toBe("timeout");
    expect(failureKind(error(429))).toBe("rateLimit");
    expect(failureKind(error(500))).toBe("server");
    expect(failureKind(error(502, "upstream_connection_error"))).toBe("server");
    expect(failureKind(error(400, "content_policy_violation"))).toBe("contentPolicy");
    expect(failureKind(error(400, "context_length_exceeded"))).toBe("contextWindow");
    expect(
      failureKind(error(400, null, "prompt is too long: 210000 tokens > 200000 maximum")),
    ).toBe("contextWindow");
    expect(failureKind(error(400))).toBe("final");
    expect(failureKind(error(404))).toBe("final");
    expect(failureKind(error(500, "internal_error"))).toBe("final");
  });

  it("retries each class per retry_policy, else num_retries (auth and content policy: 0)", () => {
    const settings = { ...DEFAULT_ROUTER_SETTINGS, numRetries: 3, retryPolicy: { rateLimit: 5 } };
    expect(retriesFor("rateLimit", settings)).toBe(5);
    expect(retriesFor("server", settings)).toBe(3);
    expect(retriesFor("timeout", settings)).toBe(3);
    expect(retriesFor("auth", settings)).toBe(0);
    expect(retriesFor("contentPolicy", settings)).toBe(0);
    expect(retriesFor("final", settings)).toBe(0);
  });
});

describe("backoff", () => {
  const settings = { ...DEFAULT_ROUTER_SETTINGS, retryBaseMs: 100 };

  it("doubles per retry with jitter between half and all of the step", () => {
    expect(backoffMs(1, settings, undefined, () => 0)).toBe(50);
    expect(backoffMs(1, settings, undefined, () => 0.999_999)).toBeCloseTo(100, 3);
    expect(backoffMs(3, settings, undefined, () => 0)).toBe(200);
    expect(backoffMs(30, settings, undefined, () => 0)).toBe(5_000);
  });

  it("waits at least retry_after, and at least the upstream's Retry-After", () => {
    expect(backoffMs(1, { ...settings, retryMinMs: 2_000 }, undefined, () => 0)).toBe(2_000);
    expect(backoffMs(1, settings, 3, () => 0)).toBe(3_000);
    expect(backoffMs(1, settings, 120, () => 0)).toBeGreaterThan(MAX_RETRY_WAIT_MS);
  });
});

describe("fallback lists", () => {
  const settings = {
    ...DEFAULT_ROUTER_SETTINGS,
    fallbacks: { a: ["b"], "*": ["star"] },
    contextWindowFallbacks: { a: ["big"] },
    contentPolicyFallbacks: { a: ["safe"] },
    defaultFallbacks: ["default"],
  };

  it("picks the list for the kind of failure", () => {
    expect(fallbacksFor("a", "server", settings, undefined)).toEqual(["b"]);
    expect(fallbacksFor("a", "contextWindow", settings, undefined)).toEqual(["big"]);
    expect(fallbacksFor("a", "contentPolicy", settings, undefined)).toEqual(["safe"]);
    expect(fallbacksFor("z", "contentPolicy", settings, undefined)).toEqual([]);
    expect(fallbacksFor("a", "final", settings, undefined)).toEqual([]);
  });

  it("prefers the request's own, then the model's, then `*`, then default_fallbacks", () => {
    expect(fallbacksFor("a", "rateLimit", settings, ["mine"])).toEqual(["mine"]);
    expect(fallbacksFor("z", "rateLimit", settings, undefined)).toEqual(["star"]);
    const noStar = { ...settings, fallbacks: { a: ["b"] } };
    expect(fallbacksFor("z", "rateLimit", noStar, undefined)).toEqual(["default"]);
  });
});

describe("request params and tags", () => {
  it("reads the router's body params and keeps them from the upstream", () => {
    const body = {
      model: "m",
      fallbacks: ["x", { model: "y" }],
      timeout: 2,
      num_retries: 1,
      metadata: { tags: ["t"], user: "u" },
    };
    expect(routerParams(body)).toEqual({ fallbacks: ["x", "y"], timeoutMs: 2000, numRetries: 1 });
    expect(withoutRouterParams(body)).toEqual({ model: "m", metadata: { user: "u" } });
    expect(routerParams({ model: "m" })).toBeUndefined();
  });

  it("refuses malformed router params with a 400 naming the param", () => {
    expect(() => routerParams({ timeout: -1 })).toThrow(
      expect.objectContaining({ param: "timeout" }),
    );
    expect(() => routerParams({ fallbacks: "x" })).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  it("merges x-switchyard-tags and metadata.tags", () => {
    expect(requestTags(" a, b ,", { metadata: { tags: ["c", 1] } })).toEqual(["a", "b", "c"]);
    expect(requestTags("", {})).toBeUndefined();
  });
});
