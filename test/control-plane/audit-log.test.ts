import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_PRINCIPAL } from "../../control-plane/auth/principal.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { ConfigSchema } from "../../schema/config.js";

const SECRET = "sk-upstream-secret-abcdef123456";

describe("the audit log", () => {
  let dir: string;
  let cp: ControlPlane;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-audit-"));
    cp = await ControlPlane.start({
      config: ConfigSchema.parse({ general_settings: { master_key: "sk-master" } }),
      databaseUrl: `file:${join(dir, "t.db")}`,
      logger: pino({ level: "silent" }),
      onSnapshot: () => {},
    });
  });

  afterAll(async () => {
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records who changed what, and never a key, a key's hash or an upstream secret", async () => {
    const p = { ...MASTER_PRINCIPAL, actor: "alice@example.com" };
    const key = await cp.keys.generate(p, { keyAlias: "audited" });
    const again = await cp.keys.regenerate(p, key.record.id, { gracePeriod: "1h" });
    await cp.keys.setBlocked(p, key.record.id, true);
    const model = await cp.models.create(p, {
      modelName: "m",
      litellmParams: { model: "openai/gpt-4o", api_key: SECRET },
    });
    await cp.models.update(p, model.id, {
      litellmParams: { model: "openai/gpt-4o", api_key: `${SECRET}-2` },
    });
    await cp.models.delete(p, model.id);

    const rows = await cp.db.auditLog.findMany({ orderBy: { at: "asc" } });
    expect(rows.map((r) => r.action)).toEqual([
      "key.generate",
      "key.regenerate",
      "key.block",
      "model.create",
      "model.update",
      "model.delete",
    ]);
    expect(rows.every((r) => r.actor === "alice@example.com")).toBe(true);
    const text = JSON.stringify(rows);
    for (const secret of [key.key, again.key, key.record.token, again.record.token, SECRET]) {
      expect(text).not.toContain(secret);
    }
    // Still useful: the masked forms say which key and which secret.
    expect(text).toContain(key.record.keyName);
    expect(text).toContain("sk-...3456");
  });
});
