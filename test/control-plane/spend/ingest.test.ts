import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MASTER_PRINCIPAL } from "../../../control-plane/auth/principal.js";
import { parseConfigText } from "../../../control-plane/config/load-config.js";
import { ControlPlane } from "../../../control-plane/control-plane.js";
import { SpendRetention } from "../../../control-plane/spend/retention.js";
import { type DatabaseKind, describeForEachDatabase } from "../../helpers/databases.js";
import { spendEvent } from "../../helpers/spend-events.js";

const CONFIG = `
model_list:
  - model_name: m
    litellm_params:
      model: mock/fast
general_settings:
  master_key: sk-ingest-master
`;

describeForEachDatabase("spend ingest", (kind) => ingestContract(kind));

function ingestContract(kind: DatabaseKind): void {
  let cp: ControlPlane;
  let drop: (() => Promise<void>) | undefined;
  let key: { id: string; token: string; userId: string | null; teamId: string | null };

  beforeAll(async () => {
    const db = await kind.create("spend-ingest");
    drop = db.drop;
    cp = await ControlPlane.start({
      config: parseConfigText(CONFIG, "test.yaml", {}).config,
      databaseUrl: db.url,
      logger: pino({ level: "silent" }),
      onSnapshot: () => {},
    });
    await cp.organizations.create(MASTER_PRINCIPAL, {
      organizationId: "org-1",
      organizationAlias: "org one",
    });
    await cp.users.create(MASTER_PRINCIPAL, { userId: "u1" });
    await cp.teams.create(MASTER_PRINCIPAL, { teamId: "t1", organizationId: "org-1" });
    const generated = await cp.keys.generate(MASTER_PRINCIPAL, { userId: "u1", teamId: "t1" });
    key = generated.record;
  });

  afterAll(async () => {
    await cp?.stop();
    await drop?.();
  });

  async function totals() {
    const db = cp.db;
    const [k, u, t, o, logs, daily] = await Promise.all([
      db.virtualKey.findUniqueOrThrow({ where: { id: key.id } }),
      db.user.findUniqueOrThrow({ where: { userId: "u1" } }),
      db.team.findUniqueOrThrow({ where: { teamId: "t1" } }),
      db.organization.findUniqueOrThrow({ where: { organizationId: "org-1" } }),
      db.spendLog.aggregate({ _sum: { spend: true }, _count: true }),
      db.dailySpend.aggregate({ _sum: { spend: true, requests: true } }),
    ]);
    return {
      key: k.spend,
      user: u.spend,
      team: t.spend,
      org: o.spend,
      logs: logs._sum.spend ?? 0,
      rows: logs._count,
      daily: daily._sum.spend ?? 0,
      dailyRequests: daily._sum.requests ?? 0,
    };
  }

  it("writes rows, totals and daily aggregates once per request id, however often a batch repeats", async () => {
    const batch = [1, 2, 3].map((i) => spendEvent(`r-${i}`, key, 0.25 * i));
    const first = await cp.spendIngest.ingest(batch);
    expect(first.inserted.map((e) => e.request_id)).toEqual(["r-1", "r-2", "r-3"]);
    expect(first.totals.keys.get(key.id)).toBeCloseTo(1.5, 12);
    // The same batch again (a redelivery), and a batch that overlaps it with a repeat inside.
    const again = await cp.spendIngest.ingest(batch);
    expect(again.inserted).toEqual([]);
    const overlap = await cp.spendIngest.ingest([
      spendEvent("r-3", key, 0.75),
      spendEvent("r-4", key, 0.5),
      spendEvent("r-4", key, 0.5),
    ]);
    expect(overlap.inserted.map((e) => e.request_id)).toEqual(["r-4"]);
    const t = await totals();
    expect(t.rows).toBe(4);
    expect(t.dailyRequests).toBe(4);
    for (const v of [t.key, t.user, t.team, t.org, t.logs, t.daily]) expect(v).toBeCloseTo(2, 12);
  });

  it("keeps a day × key × model × team aggregate, and keeps it when old rows are deleted", async () => {
    const day2 = Date.parse("2026-11-26T12:00:00Z");
    await cp.spendIngest.ingest([
      spendEvent("d2-1", key, 1, day2),
      spendEvent("d2-2", key, 1, day2, { model_group: "other", status: "failure" }),
    ]);
    const rows = await cp.db.dailySpend.findMany({ orderBy: [{ date: "asc" }, { model: "asc" }] });
    expect(rows.map((r) => [r.date, r.model, r.teamId, r.requests, r.failed])).toEqual([
      ["2026-11-25", "m", "t1", 4, 0],
      ["2026-11-26", "m", "t1", 1, 0],
      ["2026-11-26", "other", "t1", 1, 1],
    ]);
    const deleted = await cp.spendIngest.store.deleteOlderThan(new Date("2026-11-26T00:00:00Z"), 2);
    expect(deleted).toBe(2);
    expect(await cp.spendIngest.store.deleteOlderThan(new Date("2026-11-26T00:00:00Z"), 10)).toBe(
      2,
    );
    expect(await cp.db.spendLog.count()).toBe(2);
    const daily = await cp.db.dailySpend.aggregate({ _sum: { spend: true } });
    expect(daily._sum.spend).toBeCloseTo(4, 12);
  });

  it("reads logs back with filters and cursor pages, and reports by group", async () => {
    const page1 = await cp.spend.logs(MASTER_PRINCIPAL, { keyId: key.id }, { first: 1 });
    expect(page1.nodes).toHaveLength(1);
    expect(page1.hasNextPage).toBe(true);
    const page2 = await cp.spend.logs(
      MASTER_PRINCIPAL,
      { keyId: key.id },
      { first: 5, after: page1.endCursor },
    );
    expect(page2.nodes.map((r) => r.requestId)).not.toContain(page1.nodes[0]!.requestId);
    expect(page1.nodes.length + page2.nodes.length).toBe(2);
    const tagged = await cp.spend.logs(MASTER_PRINCIPAL, { tags: ["a"], model: "other" }, {});
    expect(tagged.nodes.map((r) => r.requestId)).toEqual(["d2-2"]);
    const byModel = await cp.spend.report(MASTER_PRINCIPAL, "model", null, null);
    expect(byModel.map((r) => [r.group, r.requests])).toEqual([
      ["m", 5],
      ["other", 1],
    ]);
    const byTag = await cp.spend.report(MASTER_PRINCIPAL, "tag", null, null);
    expect(byTag.map((r) => [r.group, r.requests])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
  });

  it("retention deletes rows past spend_logs_retention in bounded batches; aggregates and totals stay", async () => {
    const now = Date.parse("2026-11-30T00:00:00Z");
    const old = now - 91 * 86_400_000;
    await cp.spendIngest.ingest(
      Array.from({ length: 7 }, (_, i) => spendEvent(`old-${i}`, key, 0.5, old)),
    );
    await cp.spendIngest.ingest([spendEvent("recent", key, 0.5, now - 86_400_000)]);
    const keyBefore = (await cp.db.virtualKey.findUniqueOrThrow({ where: { id: key.id } })).spend;
    const dailyBefore = (await cp.db.dailySpend.aggregate({ _sum: { spend: true } }))._sum.spend;
    const retention = new SpendRetention({
      retention: "90d",
      store: cp.spendIngest.store,
      logger: pino({ level: "silent" }),
      batchSize: 3,
    });
    expect(await retention.runOnce(new Date(now))).toBe(7);
    const left = await cp.db.spendLog.findMany({ select: { requestId: true } });
    expect(left.map((r) => r.requestId).sort()).toEqual(["d2-1", "d2-2", "recent"]);
    expect((await cp.db.virtualKey.findUniqueOrThrow({ where: { id: key.id } })).spend).toBe(
      keyBefore,
    );
    expect((await cp.db.dailySpend.aggregate({ _sum: { spend: true } }))._sum.spend).toBe(
      dailyBefore,
    );
  });
}
