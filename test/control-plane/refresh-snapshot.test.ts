import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_PRINCIPAL } from "../../control-plane/auth/principal.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { buildSnapshot } from "../../control-plane/snapshot/build-snapshot.js";
import { IndexedSnapshot } from "../../data-plane/snapshot/indexed-snapshot.js";
import type { SnapshotDelta } from "../../schema/bus-messages.js";
import { ConfigSchema } from "../../schema/config.js";
import type { Snapshot } from "../../schema/snapshot.js";

const config = ConfigSchema.parse({
  model_list: [{ model_name: "from-config", litellm_params: { model: "mock/a" } }],
  general_settings: { master_key: "sk-master" },
});

/** A snapshot's content, order and build time aside. */
function content(s: Snapshot) {
  const by = <T>(list: T[], id: (x: T) => string) =>
    [...list].sort((a, b) => id(a).localeCompare(id(b)));
  return {
    version: s.version,
    deployments: by(s.deployments, (d) => d.id),
    keys: by(s.keys, (k) => k.tokenHash),
    users: by(s.users, (u) => u.userId),
    teams: by(s.teams, (t) => t.teamId),
  };
}

function indexes(s: IndexedSnapshot) {
  return {
    keys: [...s.keysByHash.keys()].sort(),
    users: [...s.usersById.keys()].sort(),
    teams: [...s.teamsById.keys()].sort(),
    models: s.modelNames,
  };
}

describe("a change rereads only what it touched, and ends where a full rebuild would", () => {
  let dir: string;
  let cp: ControlPlane;
  let node: IndexedSnapshot | undefined;
  const deltas: (SnapshotDelta | undefined)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-refresh-"));
    cp = await ControlPlane.start({
      config,
      databaseUrl: `file:${join(dir, "t.db")}`,
      logger: pino({ level: "silent" }),
      onSnapshot: (snapshot, _change, delta) => {
        deltas.push(delta);
        // A node that follows the deltas, as data-plane nodes do.
        if (node === undefined || delta === undefined) node = new IndexedSnapshot(snapshot);
        else node.applyDelta(delta);
      },
    });
  });

  afterAll(async () => {
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function expectConsistent(): Promise<void> {
    const incremental = cp.snapshot();
    const full = await buildSnapshot(cp.db, config, incremental.version);
    expect(content(incremental)).toEqual(content(full));
    expect(indexes(node!)).toEqual(indexes(new IndexedSnapshot(full)));
    expect(node!.version).toBe(incremental.version);
  }

  it("after every kind of change", async () => {
    const p = MASTER_PRINCIPAL;
    await cp.users.create(p, { userId: "u1", models: ["from-config"] });
    await cp.teams.create(p, { teamId: "t1", members: [{ userId: "u1", role: "admin" }] });
    const a = await cp.keys.generate(p, { userId: "u1", models: ["from-config"] });
    const b = await cp.keys.generate(p, { teamId: "t1" });
    const c = await cp.keys.generate(p, { keyAlias: "c" });
    await expectConsistent();

    await cp.keys.update(p, a.record.id, { maxBudget: 3, rpmLimit: 10 });
    await cp.keys.setBlocked(p, b.record.id, true);
    await cp.keys.regenerate(p, c.record.id, { gracePeriod: "1h" });
    await expectConsistent();
    expect(cp.snapshot().keys.filter((k) => k.id === c.record.id)).toHaveLength(2);

    await cp.keys.regenerate(p, c.record.id, {});
    await cp.budgets.update(p, "user", "u1", { maxBudget: 50, budgetDuration: "30d" });
    const model = await cp.models.create(p, {
      modelName: "db-model",
      litellmParams: { model: "mock/b" },
    });
    await cp.models.update(p, model.id, { modelName: "db-model-renamed" });
    await expectConsistent();
    expect(cp.snapshot().keys.filter((k) => k.id === c.record.id)).toHaveLength(1);

    // Deleting a user or team takes their keys with them, on the nodes too.
    await cp.users.delete(p, "u1");
    await cp.teams.delete(p, "t1");
    await cp.models.delete(p, model.id);
    await cp.keys.delete(p, c.record.id);
    await expectConsistent();
    expect(cp.snapshot().keys).toHaveLength(0);
    expect(cp.snapshot().deployments.map((d) => d.modelName)).toEqual(["from-config"]);

    // Every change after start travelled as a delta, none as a whole snapshot.
    expect(deltas.slice(1).every((d) => d !== undefined)).toBe(true);
  });
});
