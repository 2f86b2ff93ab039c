import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { SharedCounters } from "../../../data-plane/limits/shared-counters.js";
import { Router } from "../../../data-plane/router/router.js";
import type { ModelGroup } from "../../../data-plane/snapshot/indexed-snapshot.js";
import type { RouterSettings } from "../../../schema/snapshot.js";
import { describeWhenAvailable } from "../../helpers/cluster.js";
import { redisUnavailable } from "../../helpers/redis.js";
import { deployments, groupOf, settingsOf, snapshotOf } from "./build.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = pino({ level: "silent" });

describeWhenAvailable(
  "deployment rpm held across data-plane nodes",
  await redisUnavailable(REDIS_URL),
  suite,
);

function suite(): void {
  const started: SharedCounters[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop()));
  });

  async function nodes(count: number): Promise<Router[]> {
    const prefix = `test-${randomBytes(4).toString("hex")}:`;
    const counters = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const c = new SharedCounters({
          redisUrl: REDIS_URL,
          nodeId: `n${i}`,
          keyPrefix: prefix,
          logger,
        });
        started.push(c);
        await c.start();
        return c;
      }),
    );
    // Let each see the others (heartbeats), so allowances are per `count` nodes.
    for (let i = 0; i < 100 && counters.some((c) => c.nodes < count); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(counters.map((c) => c.nodes)).toEqual(counters.map(() => count));
    return counters.map((c) => new Router(logger, undefined, Math.random, c));
  }

  /** One request's pick, waiting for syncs as the router does; false when refused. */
  async function pick(router: Router, group: ModelGroup, settings: RouterSettings) {
    for (let i = 0; i < 250; i++) {
      if (router.pick(group, settings, undefined, undefined) !== undefined) return true;
      if (!router.awaitingSync) return false;
      await router.nextSync();
    }
    return false;
  }

  it("lets three nodes together route at most the deployment's rpm, within (nodes − 1) × allowance", async () => {
    const snapshot = snapshotOf({ model_list: deployments("capped", [{ rpm: 900 }]) });
    const group = groupOf(snapshot, "capped");
    const settings = settingsOf(snapshot);
    const routers = await nodes(3);
    const attempts = routers.flatMap((r) =>
      Array.from({ length: 600 }, () => pick(r, group, settings)),
    );
    const routed = (await Promise.all(attempts)).filter(Boolean).length;
    const allowance = Math.floor((900 * 0.02) / 3);
    // Each node alone would route 600 (its own count stays under 900): 1,800 in all.
    expect(routed).toBeGreaterThanOrEqual(900);
    expect(routed).toBeLessThanOrEqual(900 + 2 * allowance);
  });

  it("shows a node what another routed: after a sync it routes only what is left of the minute", async () => {
    const snapshot = snapshotOf({ model_list: deployments("capped", [{ rpm: 100 }]) });
    const group = groupOf(snapshot, "capped");
    const settings = settingsOf(snapshot);
    const [a, b] = await nodes(2);
    for (let i = 0; i < 30; i++) expect(await pick(a!, group, settings)).toBe(true);
    await a!.nextSync();
    await b!.nextSync();
    const fromB = (
      await Promise.all(Array.from({ length: 100 }, () => pick(b!, group, settings)))
    ).filter(Boolean).length;
    expect(fromB).toBe(70);
  });
}
