import { createYoga } from "graphql-yoga";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MASTER_PRINCIPAL } from "../../../control-plane/auth/principal.js";
import { parseConfigText } from "../../../control-plane/config/load-config.js";
import { ControlPlane } from "../../../control-plane/control-plane.js";
import { useLiteLLMRest } from "../../../control-plane/rest/plugin.js";
import { BudgetWindowRoller } from "../../../control-plane/spend/budget-windows.js";
import type { ChangeRefs } from "../../../control-plane/services/context.js";
import { openSpendStore, type SpendStore } from "../../../control-plane/spend/spend-store.js";
import type { Caller } from "../../../data-plane/auth/authenticate.js";
import { BudgetAlerts } from "../../../data-plane/limits/budget-alerts.js";
import { Limits } from "../../../data-plane/limits/limits.js";
import { SharedCounters } from "../../../data-plane/limits/shared-counters.js";
import type { KeyEntry, Snapshot } from "../../../schema/snapshot.js";
import { type DatabaseKind, describeForEachDatabase } from "../../helpers/databases.js";
import { spendEvent } from "../../helpers/spend-events.js";

const MASTER_KEY = "sk-budget-windows-master";
const CONFIG = `
model_list:
  - model_name: m
    litellm_params:
      model: mock/fast
general_settings:
  master_key: ${MASTER_KEY}
`;
const logger = pino({ level: "silent" });
const HOUR = 3_600_000;
/** Windows end on the hour from here (times far from the real clock, which rolls nothing). */
const B = Date.parse("2030-01-01T00:00:00Z");

describeForEachDatabase("budget windows rolled in the database", (kind) => rollContract(kind));

function rollContract(kind: DatabaseKind): void {
  let cp: ControlPlane;
  let url: string;
  let drop: (() => Promise<void>) | undefined;
  let yoga: ReturnType<typeof createYoga>;
  let key: { id: string; token: string; userId: string | null; teamId: string | null };
  /** A second control plane's roller, on a connection of its own. */
  let otherStore: SpendStore;
  let other: BudgetWindowRoller;
  const otherPublished: ChangeRefs[] = [];

  beforeAll(async () => {
    const db = await kind.create("budget-windows");
    drop = db.drop;
    url = db.url;
    cp = await ControlPlane.start({
      config: parseConfigText(CONFIG, "test.yaml", {}).config,
      databaseUrl: url,
      logger,
      onSnapshot: () => {},
    });
    // Runs are driven by the tests, with `now` given.
    await cp.budgetWindows.stop();
    yoga = createYoga({ plugins: [useLiteLLMRest(cp)], logging: false });
    await cp.organizations.create(MASTER_PRINCIPAL, {
      organizationId: "org-1",
      organizationAlias: "org one",
    });
    await cp.users.create(MASTER_PRINCIPAL, { userId: "u1" });
    await cp.teams.create(MASTER_PRINCIPAL, { teamId: "t1", organizationId: "org-1" });
    key = (await cp.keys.generate(MASTER_PRINCIPAL, { userId: "u1", teamId: "t1" })).record;
    otherStore = await openSpendStore(url);
    other = new BudgetWindowRoller({
      db: cp.db,
      store: otherStore,
      publish: async (refs) => {
        otherPublished.push(refs);
      },
      logger,
    });
  });

  afterAll(async () => {
    await otherStore?.close();
    await cp?.stop();
    await drop?.();
  });

  /** Every subject of the key gets `duration`, a window ending at `resetAt` and `spend`. */
  async function setBudgets(duration: string | null, resetAt: number | null, spend?: number) {
    const data = {
      budgetDuration: duration,
      budgetResetAt: resetAt === null ? null : new Date(resetAt),
      ...(spend === undefined ? {} : { spend }),
    };
    await cp.db.virtualKey.update({ where: { id: key.id }, data });
    await cp.db.user.update({ where: { userId: "u1" }, data });
    await cp.db.team.update({ where: { teamId: "t1" }, data });
    await cp.db.organization.update({ where: { organizationId: "org-1" }, data });
  }

  async function rows() {
    const db = cp.db;
    const [k, u, t, o] = await Promise.all([
      db.virtualKey.findUniqueOrThrow({ where: { id: key.id } }),
      db.user.findUniqueOrThrow({ where: { userId: "u1" } }),
      db.team.findUniqueOrThrow({ where: { teamId: "t1" } }),
      db.organization.findUniqueOrThrow({ where: { organizationId: "org-1" } }),
    ]);
    return [k, u, t, o].map((r) => ({
      spend: Math.round(r.spend * 1e9) / 1e9,
      resetAt: r.budgetResetAt?.toISOString() ?? null,
    }));
  }

  const each = (spend: number, resetAt: number | null) =>
    Array.from({ length: 4 }, () => ({
      spend,
      resetAt: resetAt === null ? null : new Date(resetAt).toISOString(),
    }));

  it("leaves a node's counters alone: no spend counted twice or lost in the window", async () => {
    // A key of its own, with a stale row: its last window ended 10 minutes ago.
    const own = (await cp.keys.generate(MASTER_PRINCIPAL, {})).record;
    const now = Date.now();
    await cp.db.virtualKey.update({
      where: { id: own.id },
      data: {
        maxBudget: 1,
        budgetDuration: "1h",
        budgetResetAt: new Date(now - 10 * 60_000),
        spend: 5,
      },
    });
    await cp.budgets.update(MASTER_PRINCIPAL, "key", own.id, { maxBudget: 1 });
    const entry = () => cp.snapshot().keys.find((k) => k.id === own.id) as KeyEntry;
    const { limits, counters } = await nodeLimits();
    const caller = (k: KeyEntry): Caller => ({
      kind: "key",
      key: k,
      user: undefined,
      team: undefined,
    });
    const before = entry();
    expect(before.spend).toBe(5);
    (await limits.admit(caller(before), SETTINGS, ESTIMATE, now)).settle(10, 0.6);
    // What the node spent reaches the database.
    await cp.spendIngest.ingest([spendEvent("node-1", own, 0.6, now - 1_000)]);
    expect(await cp.budgetWindows.runOnce(new Date(now))).toBe(1);
    const after = entry();
    expect(after.spend).toBeCloseTo(0.6, 9);
    expect(after.budgetResetAt).toBe(now - 10 * 60_000 + HOUR);
    // $0.60 spent of $1: admitted (counted twice, it would be $1.20).
    (await limits.admit(caller(after), SETTINGS, ESTIMATE, now)).settle(10, 0.5);
    // $1.10 now: refused (had the node lost the window's first $0.60, it would admit).
    expect(() => limits.admit(caller(after), SETTINGS, ESTIMATE, now)).toThrow(/Budget exceeded/);
    await counters.stop();
    await cp.db.virtualKey.update({ where: { id: own.id }, data: { budgetDuration: null } });
  });

  it("sets spend to the new window's logs and budget_reset_at to its end, for every subject", async () => {
    await setBudgets("1h", B, 0);
    await cp.spendIngest.ingest([
      spendEvent("old-1", key, 1, B - 30 * 60_000),
      spendEvent("new-1", key, 0.25, B + 10 * 60_000),
    ]);
    expect(await rows()).toEqual(each(1.25, B));
    const changes: string[] = [];
    const unsubscribe = cp.onChange((e) => changes.push(e.change));
    expect(await cp.budgetWindows.runOnce(new Date(B + 20 * 60_000))).toBe(4);
    unsubscribe();
    expect(await rows()).toEqual(each(0.25, B + HOUR));
    // Published: the nodes' snapshot has the rolled rows.
    expect(changes).toEqual(["budget.window"]);
    const snap = cp.snapshot();
    const k = snap.keys.find((x) => x.id === key.id);
    const u = snap.users.find((x) => x.userId === "u1");
    const o = snap.organizations?.find((x) => x.organizationId === "org-1");
    for (const entry of [k, u, o]) {
      expect(entry?.spend).toBeCloseTo(0.25, 9);
      expect(entry?.budgetResetAt).toBe(B + HOUR);
    }
  });

  it("rolls nothing more on a second run, or on another control plane's", async () => {
    expect(await cp.budgetWindows.runOnce(new Date(B + 30 * 60_000))).toBe(0);
    expect(await other.runOnce(new Date(B + 30 * 60_000))).toBe(0);
    expect(otherPublished).toEqual([]);
    expect(await rows()).toEqual(each(0.25, B + HOUR));
  });

  it("adds a batch ingested after the roll on top of the new window's spend", async () => {
    await cp.spendIngest.ingest([spendEvent("new-2", key, 0.5, B + 25 * 60_000)]);
    expect(await rows()).toEqual(each(0.75, B + HOUR));
    const reply = await yoga.fetch("http://localhost/user/spend?user_id=u1", {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { spend: number; total_spend: number };
    expect(body.spend).toBeCloseTo(0.75, 9);
    expect(body.total_spend).toBeCloseTo(0.75, 9);
  });

  it("rolls each row once when two control planes roll at the same time", async () => {
    await cp.spendIngest.ingest([spendEvent("w2-1", key, 0.125, B + HOUR + 60_000)]);
    const now = new Date(B + HOUR + 5 * 60_000);
    const [a, b] = await Promise.all([cp.budgetWindows.runOnce(now), other.runOnce(now)]);
    expect(a + b).toBe(4);
    expect(await rows()).toEqual(each(0.125, B + 2 * HOUR));
  });

  it("lands on the window holding now after several went by, with that window's logs only", async () => {
    await cp.spendIngest.ingest([
      spendEvent("w5-1", key, 0.25, B + 4 * HOUR + 50 * 60_000),
      spendEvent("w6-1", key, 0.5, B + 5 * HOUR + 10 * 60_000),
    ]);
    expect(await cp.budgetWindows.runOnce(new Date(B + 5 * HOUR + 30 * 60_000))).toBe(4);
    expect(await rows()).toEqual(each(0.5, B + 6 * HOUR));
  });

  it("counts every batch exactly once when batches are ingested while rows roll", async () => {
    const batches = Array.from({ length: 20 }, (_, i) =>
      cp.spendIngest.ingest([spendEvent(`race-${i}`, key, 0.25, B + 6 * HOUR + 60_000)]),
    );
    const now = new Date(B + 6 * HOUR + 30 * 60_000);
    const [a, b] = await Promise.all([
      cp.budgetWindows.runOnce(now),
      other.runOnce(now),
      ...batches,
    ]);
    expect(a + b).toBe(4);
    expect(await rows()).toEqual(each(5, B + 7 * HOUR));
  });

  it("steps calendar months, clamped: a window ending Jan 31 is followed by one ending Feb 28", async () => {
    const jan31 = Date.parse("2031-01-31T00:00:00Z");
    await setBudgets("1mo", jan31);
    await cp.spendIngest.ingest([
      spendEvent("m-1", key, 0.25, jan31 - 60_000),
      spendEvent("m-2", key, 0.5, jan31),
      spendEvent("m-3", key, 0.125, Date.parse("2031-02-20T00:00:00Z")),
    ]);
    expect(await cp.budgetWindows.runOnce(new Date("2031-02-10T00:00:00Z"))).toBe(4);
    expect(await rows()).toEqual(each(0.625, Date.parse("2031-02-28T00:00:00Z")));
    // And in a leap year, Feb 29.
    const leap = Date.parse("2032-01-31T00:00:00Z");
    await setBudgets("1mo", leap);
    expect(await cp.budgetWindows.runOnce(new Date("2032-02-01T00:00:00Z"))).toBe(4);
    expect(await rows()).toEqual(each(0, Date.parse("2032-02-29T00:00:00Z")));
  });

  it("gives a row without budget_reset_at the window nodes count from the epoch, spend kept", async () => {
    await setBudgets("1h", null, 7);
    expect(await cp.budgetWindows.runOnce(new Date(B + 5 * HOUR + 20 * 60_000))).toBe(4);
    expect(await rows()).toEqual(each(7, B + 6 * HOUR));
    await setBudgets(null, null);
    expect(await cp.budgetWindows.runOnce(new Date(B + 9 * HOUR))).toBe(0);
  });

  it("rolls what ended while no control plane ran before a starting one's first snapshot", async () => {
    // Three windows of an hour ended while it was down; the current one started 10 min ago.
    const now = Date.now();
    const from = now - 3 * HOUR - 10 * 60_000;
    await cp.users.create(MASTER_PRINCIPAL, { userId: "u2" });
    await cp.db.user.update({
      where: { userId: "u2" },
      data: { budgetDuration: "1h", budgetResetAt: new Date(from), spend: 9 },
    });
    const own = { id: "none", token: "t".repeat(64), userId: "u2", teamId: null };
    await cp.spendIngest.ingest([
      spendEvent("down-1", own, 0.25, now - 20 * 60_000),
      spendEvent("down-2", own, 0.5, now - 60_000),
    ]);
    const restarted = await ControlPlane.start({
      config: parseConfigText(CONFIG, "test.yaml", {}).config,
      databaseUrl: url,
      logger,
      onSnapshot: () => {},
    });
    try {
      const u2 = restarted.snapshot().users.find((u) => u.userId === "u2");
      expect(u2?.spend).toBeCloseTo(0.5, 9);
      expect(u2?.budgetResetAt).toBe(from + 4 * HOUR);
    } finally {
      await restarted.stop();
    }
  });
}

const SETTINGS: Snapshot["settings"] = { maxBodyBytes: 1_000_000, gracefulShutdownMs: 0 };
const ESTIMATE = { tokens: 10, worstCost: 0.1 };

/** A node's limits, counting alone (as an embedded data plane does). */
async function nodeLimits(): Promise<{ limits: Limits; counters: SharedCounters }> {
  const counters = new SharedCounters({ redisUrl: undefined, nodeId: "n", keyPrefix: "", logger });
  await counters.start();
  const alerts = new BudgetAlerts({
    webhookUrl: () => undefined,
    claimOnce: (id, at) => counters.claimOnce(id, at),
    nodeId: "n",
    logger,
  });
  return { limits: new Limits(counters, alerts), counters };
}
