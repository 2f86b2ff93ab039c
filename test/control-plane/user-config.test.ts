import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfigText } from "../../control-plane/config/load-config.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import type { User } from "../../prisma/client.js";
import { type DatabaseKind, describeForEachDatabase } from "../helpers/databases.js";

const DAY_MS = 86_400_000;

/** The config file, with alice's `max_budget` as given. */
const config = (aliceBudget: number) => `
general_settings:
  master_key: sk-user-config-test-master
user_config:
  - user_id: cfg-alice
    user_email: alice@example.com
    user_role: app_user
    models: [model-a, model-b]
    max_budget: ${aliceBudget}
    budget_duration: 30d
    rpm_limit: 10
    tpm_limit: 1000
  - user_id: cfg-bob
    user_role: internal_user_viewer
    max_budget: 5
`;

describeForEachDatabase("the config file's user_config", (db) => userConfigContract(db));

function userConfigContract(kind: DatabaseKind): void {
  let url: string;
  let drop: (() => Promise<void>) | undefined;
  /** The running control plane, if any: stopped after each start, or in afterAll on failure. */
  let cp: ControlPlane | undefined;
  /** Both users as the first start left them. */
  let first: User[] = [];

  beforeAll(async () => {
    const db = await kind.create("user_config");
    url = db.url;
    drop = db.drop;
  });

  afterAll(async () => {
    await cp?.stop();
    await drop?.();
  });

  /** Starts the control plane on the test database with `yaml`, reads what `read` asks, stops. */
  async function startAndRead<T>(yaml: string, read: (cp: ControlPlane) => Promise<T>) {
    cp = await ControlPlane.start({
      config: parseConfigText(yaml, "test.yaml", {}).config,
      databaseUrl: url,
      logger: pino({ level: "silent" }),
      onSnapshot: () => {},
    });
    try {
      return await read(cp);
    } finally {
      await cp.stop();
      cp = undefined;
    }
  }

  const readState = (cp: ControlPlane) =>
    Promise.all([
      cp.db.user.findMany({ orderBy: { userId: "asc" } }),
      cp.db.auditLog.findMany({
        where: { objectType: "user" },
        orderBy: [{ at: "asc" }, { objectId: "asc" }],
      }),
    ]);

  it("creates each user once, with the file's fields, and a restart changes nothing", async () => {
    const startedAt = Date.now();
    const [users] = await startAndRead(config(12.5), readState);
    first = users;
    const [again, audit] = await startAndRead(config(12.5), readState);

    expect(again.map((u) => u.userId)).toEqual(["cfg-alice", "cfg-bob"]);
    const [alice, bob] = again;
    expect(alice).toMatchObject({
      userEmail: "alice@example.com",
      userRole: "internal_user", // the tutorial's app_user
      models: JSON.stringify(["model-a", "model-b"]),
      maxBudget: 12.5,
      budgetDuration: "30d",
      rpmLimit: 10,
      tpmLimit: 1000,
      spend: 0,
    });
    expect(bob).toMatchObject({
      userEmail: null,
      userRole: "internal_user_viewer",
      models: "[]",
      maxBudget: 5,
      budgetDuration: null,
      budgetResetAt: null,
    });
    const resetAt = alice?.budgetResetAt?.getTime() ?? Number.NaN;
    expect((resetAt - startedAt) / DAY_MS).toBeCloseTo(30, 2);
    // The second start did not open a new budget window, nor touch the rows at all.
    expect(again).toEqual(first);

    expect(audit.map((a) => [a.action, a.objectId, a.actor])).toEqual([
      ["user.create", "cfg-alice", "config"],
      ["user.create", "cfg-bob", "config"],
    ]);
  });

  it("updates a user whose entry changed, and only that user", async () => {
    const [users, audit] = await startAndRead(config(40), readState);
    const [alice, bob] = users;
    const [aliceBefore, bobBefore] = first;

    expect(alice?.maxBudget).toBe(40);
    expect(alice?.budgetResetAt).toEqual(aliceBefore?.budgetResetAt);
    expect(alice?.updatedAt.getTime()).toBeGreaterThan(aliceBefore?.updatedAt.getTime() ?? 0);
    expect(bob).toEqual(bobBefore);

    const updates = audit.filter((a) => a.action === "user.update");
    expect(updates.map((a) => [a.objectId, a.actor])).toEqual([["cfg-alice", "config"]]);
    expect(JSON.parse(updates[0]?.before ?? "{}")).toMatchObject({ maxBudget: 12.5 });
    expect(JSON.parse(updates[0]?.after ?? "{}")).toMatchObject({ maxBudget: 40 });
    expect(audit.filter((a) => a.action === "user.create")).toHaveLength(2);
  });
}
