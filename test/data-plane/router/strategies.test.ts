import { describe, expect, it } from "vitest";
import type { Router } from "../../../data-plane/router/router.js";
import type { ModelGroup } from "../../../data-plane/snapshot/indexed-snapshot.js";
import type { RouterSettings } from "../../../schema/snapshot.js";
import { deployments, groupOf, newRouter, seeded, settingsOf, snapshotOf } from "./build.js";

function counts(
  router: Router,
  group: ModelGroup,
  settings: RouterSettings,
  n: number,
  tags?: string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const d = router.pick(group, settings, tags, undefined);
    const id = d?.id ?? "none";
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

describe("simple-shuffle", () => {
  it("spreads 10,000 requests in proportion to weights (within 2 points)", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ weight: 3 }, { weight: 1 }, { weight: 0 }]),
    });
    const c = counts(newRouter(seeded(1)), groupOf(s, "m"), settingsOf(s), 10_000);
    expect(c["m-0"]! / 10_000).toBeCloseTo(0.75, 1);
    expect(Math.abs(c["m-0"]! / 10_000 - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(c["m-1"]! / 10_000 - 0.25)).toBeLessThan(0.02);
    expect(c["m-2"]).toBeUndefined();
  });

  it("uses rpm as the weight when no deployment sets one", () => {
    const s = snapshotOf({ model_list: deployments("m", [{ rpm: 900_000 }, { rpm: 100_000 }]) });
    const c = counts(newRouter(seeded(2)), groupOf(s, "m"), settingsOf(s), 5_000);
    expect(Math.abs(c["m-0"]! / 5_000 - 0.9)).toBeLessThan(0.02);
  });

  it("never sends a deployment more than its rpm in a minute", () => {
    const s = snapshotOf({ model_list: deployments("m", [{ rpm: 10 }, { rpm: 20 }]) });
    const c = counts(newRouter(seeded(3)), groupOf(s, "m"), settingsOf(s), 1_000);
    expect(c).toEqual({ "m-0": 10, "m-1": 20, none: 970 });
  });

  it("never gives a deployment more than max_parallel_requests at once", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ max_parallel_requests: 2 }, { max_parallel_requests: 3 }]),
    });
    const router = newRouter(seeded(4));
    const group = groupOf(s, "m");
    const picked = [];
    for (let i = 0; i < 1_000; i++) {
      const d = router.pick(group, settingsOf(s), undefined, undefined);
      if (d === undefined) continue;
      router.loadOf(d.id).inFlight++;
      picked.push(d.id);
    }
    expect(picked.filter((id) => id === "m-0")).toHaveLength(2);
    expect(picked.filter((id) => id === "m-1")).toHaveLength(3);
  });
});

describe("least-busy", () => {
  it("keeps in-flight counts within one of each other over 2,000 requests with random finishes", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{}, {}, {}, {}]),
      router_settings: { routing_strategy: "least-busy" },
    });
    const router = newRouter(seeded(5));
    const group = groupOf(s, "m");
    const random = seeded(6);
    const open: string[] = [];
    let worstSpread = 0;
    for (let i = 0; i < 2_000; i++) {
      const d = router.pick(group, settingsOf(s), undefined, undefined)!;
      router.loadOf(d.id).inFlight++;
      open.push(d.id);
      const loads = group.deployments.map((x) => router.loadOf(x.id).inFlight);
      worstSpread = Math.max(worstSpread, Math.max(...loads) - Math.min(...loads));
      // Requests finish in random order, about as fast as they come.
      if (open.length > 20 || random() < 0.5) {
        const [done] = open.splice(Math.floor(random() * open.length), 1);
        router.loadOf(done!).inFlight--;
      }
    }
    // A finish frees one slot: the next pick fills it, so no deployment gets two ahead.
    expect(worstSpread).toBeLessThanOrEqual(2);
  });

  it("never exceeds a deployment's max_parallel_requests even when all are busy", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ max_parallel_requests: 5 }, { max_parallel_requests: 5 }]),
      router_settings: { routing_strategy: "least-busy" },
    });
    const router = newRouter(seeded(7));
    const group = groupOf(s, "m");
    const c: Record<string, number> = {};
    for (let i = 0; i < 1_000; i++) {
      const d = router.pick(group, settingsOf(s), undefined, undefined);
      if (d === undefined) continue;
      router.loadOf(d.id).inFlight++;
      c[d.id] = (c[d.id] ?? 0) + 1;
    }
    expect(c).toEqual({ "m-0": 5, "m-1": 5 });
  });
});

describe("latency-based-routing", () => {
  it("moves traffic off a deployment that slowed down, and back once it recovers", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{}, {}]),
      router_settings: { routing_strategy: "latency-based-routing" },
    });
    const router = newRouter(seeded(8));
    const group = groupOf(s, "m");
    let slow = false;
    const phase = (n: number): Record<string, number> => {
      const c: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const d = router.pick(group, settingsOf(s), undefined, undefined)!;
        c[d.id] = (c[d.id] ?? 0) + 1;
        router.loadOf(d.id).recordLatency(d.id === "m-1" && slow ? 2_000 : 100);
      }
      return c;
    };
    const even = phase(2_000);
    expect(even["m-1"]! / 2_000).toBeGreaterThan(0.4);
    slow = true;
    phase(200); // m-1's recent samples turn slow
    const slowed = phase(2_000);
    expect(slowed["m-1"] ?? 0).toBeLessThan(2_000 * 0.05);
    slow = false;
    phase(1_000); // exploration refreshes m-1's numbers
    const recovered = phase(2_000);
    expect(recovered["m-1"]! / 2_000).toBeGreaterThan(0.4);
  });

  it("shares traffic among deployments within lowest_latency_buffer of the fastest", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{}, {}, {}]),
      router_settings: {
        routing_strategy: "latency-based-routing",
        routing_strategy_args: { lowest_latency_buffer: 0.5 },
      },
    });
    const router = newRouter(seeded(9));
    const group = groupOf(s, "m");
    const latency: Record<string, number> = { "m-0": 100, "m-1": 140, "m-2": 400 };
    for (const d of group.deployments) router.loadOf(d.id).recordLatency(latency[d.id]!);
    const c = counts(router, group, settingsOf(s), 4_000);
    expect(c["m-0"]! / 4_000).toBeGreaterThan(0.4);
    expect(c["m-1"]! / 4_000).toBeGreaterThan(0.4);
    expect((c["m-2"] ?? 0) / 4_000).toBeLessThan(0.05);
  });
});

describe("usage-based-routing", () => {
  it("sends each request to the deployment with the most rpm headroom", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ rpm: 100 }, { rpm: 300 }]),
      router_settings: { routing_strategy: "usage-based-routing-v2" },
    });
    const c = counts(newRouter(seeded(10)), groupOf(s, "m"), settingsOf(s), 1_000);
    // Shares used stay level: 100 and 300 fill up together, then nothing is left.
    expect(c).toEqual({ "m-0": 100, "m-1": 300, none: 600 });
  });

  it("counts tokens against tpm", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ tpm: 1_000 }, { tpm: 1_000 }]),
      router_settings: { routing_strategy: "usage-based-routing" },
    });
    const router = newRouter(seeded(11));
    const group = groupOf(s, "m");
    router.loadOf("m-0").roll(Math.floor(Date.now() / 60_000));
    router.loadOf("m-0").tokens = 900;
    const c = counts(router, group, settingsOf(s), 10);
    expect(c["m-1"]).toBe(10);
  });
});

describe("cost-based-routing", () => {
  it("picks the cheapest deployment that may take the request", () => {
    const s = snapshotOf({
      model_list: [
        { model_name: "m", litellm_params: { model: "openai/gpt-4o" }, model_info: { id: "dear" } },
        {
          model_name: "m",
          litellm_params: { model: "openai/gpt-4o-mini", rpm: 50 },
          model_info: { id: "cheap" },
        },
      ],
      router_settings: { routing_strategy: "cost-based-routing" },
    });
    const c = counts(newRouter(seeded(12)), groupOf(s, "m"), settingsOf(s), 1_000);
    expect(c).toEqual({ cheap: 50, dear: 950 });
  });
});

describe("priority levels, aliases, wildcards and tags", () => {
  it("uses a higher `order` only when every deployment of the lower one is unavailable", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ order: 2 }, { order: 1, rpm: 5 }, { order: 1, rpm: 5 }]),
    });
    const c = counts(newRouter(seeded(13)), groupOf(s, "m"), settingsOf(s), 1_000);
    expect(c).toEqual({ "m-1": 5, "m-2": 5, "m-0": 990 });
  });

  it("skips a cooling deployment and falls through to the next level", () => {
    const s = snapshotOf({ model_list: deployments("m", [{ order: 1 }, { order: 2 }]) });
    const router = newRouter(seeded(14));
    router.cooldowns.coolDown("m-0", Date.now() + 60_000);
    const c = counts(router, groupOf(s, "m"), settingsOf(s), 100);
    expect(c).toEqual({ "m-1": 100 });
  });

  it("resolves model_group_alias and wildcard model names", () => {
    const s = snapshotOf({
      model_list: [
        ...deployments("gpt-4o", [{}]),
        { model_name: "anthropic/*", litellm_params: { model: "anthropic/*", api_key: "k" } },
      ],
      router_settings: { model_group_alias: { "gpt-4": "gpt-4o" } },
    });
    expect(groupOf(s, "gpt-4").name).toBe("gpt-4o");
    const wild = groupOf(s, "anthropic/claude-sonnet-4-5");
    expect(wild.name).toBe("anthropic/claude-sonnet-4-5");
    expect(wild.deployments[0]!.model).toBe("claude-sonnet-4-5");
    expect(groupOf(s, "anthropic/claude-sonnet-4-5")).toBe(wild);
    expect(() => groupOf(s, "gemini/x")).toThrow();
  });

  it("sends tagged requests only to deployments with one of the tags, else to `default`", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ tags: ["free"] }, { tags: ["paid"] }, { tags: ["default"] }]),
      router_settings: { enable_tag_filtering: true },
    });
    const router = newRouter(seeded(15));
    const group = groupOf(s, "m");
    expect(counts(router, group, settingsOf(s), 1_000, ["paid"])).toEqual({ "m-1": 1_000 });
    expect(counts(router, group, settingsOf(s), 1_000, ["other"])).toEqual({ "m-2": 1_000 });
    const untagged = counts(router, group, settingsOf(s), 3_000);
    expect(Object.keys(untagged).sort()).toEqual(["m-0", "m-1", "m-2"]);
  });

  it("ignores request tags unless enable_tag_filtering is on", () => {
    const s = snapshotOf({
      model_list: deployments("m", [{ tags: ["free"] }, { tags: ["paid"] }]),
    });
    const c = counts(newRouter(seeded(16)), groupOf(s, "m"), settingsOf(s), 2_000, ["paid"]);
    expect(c["m-0"]).toBeGreaterThan(800);
  });
});
