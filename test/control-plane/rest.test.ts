import { createHash } from "node:crypto";
import { createYoga } from "graphql-yoga";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../control-plane/config/load-config.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { useLiteLLMRest } from "../../control-plane/rest/plugin.js";
import { type DatabaseKind, describeForEachDatabase } from "../helpers/databases.js";

const MASTER_KEY = "sk-rest-test-master";
const UPSTREAM_SECRET = "sk-supersecret-1234567890";
const HEADER_SECRET = "Bearer hdr-secret-abcdefghijkl";
const DB_MODEL_SECRET = "sk-dbmodel-secret-0987654321";

const CONFIG = `
model_list:
  - model_name: cfg-gpt
    litellm_params:
      model: openai/gpt-4o
      api_key: ${UPSTREAM_SECRET}
      extra_headers:
        Authorization: "${HEADER_SECRET}"
  - model_name: cfg-mock
    litellm_params:
      model: mock/fast
general_settings:
  master_key: ${MASTER_KEY}
user_config:
  - user_id: config-user
    user_role: app_user
    models: [cfg-mock]
`;

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
  body: any;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function expectError(reply: Reply, status: number, type: string): void {
  expect(reply.status).toBe(status);
  expect(Object.keys(reply.body)).toEqual(["error"]);
  expect(reply.body.error).toEqual({
    message: expect.any(String),
    type,
    param: reply.body.error.param,
    code: expect.any(String),
  });
  expect(reply.body.error.param === null || typeof reply.body.error.param === "string").toBe(true);
  expect(reply.body.error.message).not.toMatch(/\bat .*\.ts:\d+/);
}

describeForEachDatabase("LiteLLM REST API", (db) => restApiContract(db));

function restApiContract(kind: DatabaseKind): void {
  let cp: ControlPlane;
  let yoga: ReturnType<typeof createYoga>;
  let drop: (() => Promise<void>) | undefined;
  /** Every response body, so that one test can check no secret ever left. */
  const seen: string[] = [];

  beforeAll(async () => {
    const db = await kind.create("rest");
    drop = db.drop;
    cp = await ControlPlane.start({
      config: parseConfigText(CONFIG, "test.yaml", {}).config,
      databaseUrl: db.url,
      logger: pino({ level: "silent" }),
      onSnapshot: () => {},
    });
    yoga = createYoga({ plugins: [useLiteLLMRest(cp)], logging: false });
  });

  afterAll(async () => {
    await cp?.stop();
    await drop?.();
  });

  async function call(
    method: string,
    path: string,
    options: { key?: string | null; body?: unknown; rawBody?: string } = {},
  ): Promise<Reply> {
    const key = options.key === undefined ? MASTER_KEY : options.key;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const body =
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await yoga.fetch(`http://localhost${path}`, { method, headers, body });
    const text = await res.text();
    seen.push(text);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body: parsed };
  }

  const post = (path: string, body: unknown, key?: string | null) =>
    call("POST", path, { body, key });
  const get = (path: string, key?: string | null) => call("GET", path, { key });

  /** A user with an internal_user key, made through the API. */
  async function newUser(userId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const reply = await post("/user/new", { user_id: userId, ...extra });
    expect(reply.status).toBe(200);
    return reply.body.key as string;
  }

  describe("POST /key/generate", () => {
    it("answers in LiteLLM's shape: the plaintext once, its SHA-256 as token, settings in snake_case", async () => {
      await newUser("gen-user");
      const reply = await post("/key/generate", {
        key_alias: "gen-alias",
        user_id: "gen-user",
        models: ["cfg-mock"],
        duration: "30d",
        max_budget: 12.5,
        soft_budget: 10,
        budget_duration: "1mo",
        rpm_limit: 60,
        tpm_limit: 6000,
        max_parallel_requests: 3,
        metadata: { app: "billing", nested_key: { keep_case: true } },
        tags: ["ignored-extra-field"],
      });
      expect(reply.status).toBe(200);
      const k = reply.body;
      expect(k.key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
      expect(k.token).toBe(sha256(k.key));
      expect(k.token_id).toBe(k.token);
      expect(k.key_name).toBe(`sk-...${k.key.slice(-4)}`);
      expect(k).toMatchObject({
        key_alias: "gen-alias",
        user_id: "gen-user",
        team_id: null,
        models: ["cfg-mock"],
        max_budget: 12.5,
        soft_budget: 10,
        budget_duration: "1mo",
        rpm_limit: 60,
        tpm_limit: 6000,
        max_parallel_requests: 3,
        blocked: false,
        spend: 0,
        metadata: { app: "billing", nested_key: { keep_case: true } },
      });
      const days = (Date.parse(k.expires) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThan(30.1);
      expect(k.budget_reset_at).toEqual(expect.any(String));
      expect(k).not.toHaveProperty("previous_token");
      expect(k).not.toHaveProperty("keyAlias");
    });

    it("refuses a caller-chosen key value instead of ignoring it", async () => {
      expectError(
        await post("/key/generate", { key: "sk-my-own-key" }),
        400,
        "invalid_request_error",
      );
    });

    it("names the offending field in LiteLLM's spelling", async () => {
      const reply = await post("/key/generate", { max_budget: -1, rpm_limit: "lots" });
      expectError(reply, 400, "invalid_request_error");
      expect(reply.body.error.param).toBe("max_budget");
      expect(reply.body.error.message).toContain("rpm_limit");
      expect(reply.body.error.message).not.toContain("maxBudget");
    });

    it("refuses a second key with the same alias with 409", async () => {
      expect((await post("/key/generate", { key_alias: "dup-alias" })).status).toBe(200);
      expectError(await post("/key/generate", { key_alias: "dup-alias" }), 409, "conflict_error");
    });
  });

  describe("a key's life: generate → info → update → regenerate (grace) → block → delete", () => {
    it("goes through every step with LiteLLM's requests and answers", async () => {
      await newUser("life-user");
      const generated = await post("/key/generate", {
        user_id: "life-user",
        key_alias: "life",
        models: ["cfg-mock"],
      });
      const first: string = generated.body.key;
      const hash: string = generated.body.token;

      // info, by plaintext and by hash; `info` never carries the hash
      const byKey = await get(`/key/info?key=${encodeURIComponent(first)}`);
      expect(byKey.status).toBe(200);
      expect(byKey.body.key).toBe(first);
      expect(byKey.body.info).toMatchObject({
        key_alias: "life",
        user_id: "life-user",
        models: ["cfg-mock"],
        spend: 0,
      });
      expect(byKey.body.info).not.toHaveProperty("token");
      expect((await get(`/key/info?key=${hash}`)).body.info.key_alias).toBe("life");

      // no ?key=: the caller's own key
      const own = await get("/key/info", first);
      expect(own.status).toBe(200);
      expect(own.body.info.key_alias).toBe("life");

      // update
      const updated = await post("/key/update", {
        key: first,
        max_budget: 5,
        models: [],
        metadata: { team: "x" },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        key: first,
        token: hash,
        max_budget: 5,
        models: [],
        metadata: { team: "x" },
      });

      // regenerate with a grace period: the new key works, the old one still does for a while
      const regenerated = await post("/key/regenerate", { key: first, grace_period: "1h" });
      expect(regenerated.status).toBe(200);
      const second: string = regenerated.body.key;
      expect(second).not.toBe(first);
      expect(regenerated.body.token).toBe(sha256(second));
      expect(regenerated.body).toMatchObject({
        key_alias: "life",
        max_budget: 5,
        user_id: "life-user",
      });
      expect((await get("/key/info", second)).status).toBe(200);
      expect((await get("/key/info", first)).status).toBe(200);
      expect(cp.snapshot().keys.map((k) => k.tokenHash)).toEqual(
        expect.arrayContaining([sha256(first), sha256(second)]),
      );

      // the path form, without grace: the previous key stops at once
      const third = await post(`/key/${encodeURIComponent(second)}/regenerate`, {});
      expect(third.status).toBe(200);
      expectError(await get("/key/info", second), 401, "authentication_error");
      const current: string = third.body.key;

      // block / unblock
      const blocked = await post("/key/block", { key: current });
      expect(blocked.status).toBe(200);
      expect(blocked.body.blocked).toBe(true);
      expectError(await get("/key/info", current), 401, "authentication_error");
      expect(cp.snapshot().keys.find((k) => k.tokenHash === sha256(current))?.blocked).toBe(true);
      expect((await post("/key/unblock", { key: current })).body.blocked).toBe(false);
      expect((await get("/key/info", current)).status).toBe(200);

      // delete by hash
      const deleted = await post("/key/delete", { keys: [sha256(current)] });
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ deleted_keys: [sha256(current)] });
      expectError(
        await get(`/key/info?key=${encodeURIComponent(current)}`),
        404,
        "not_found_error",
      );
      expectError(await get("/key/info", current), 401, "authentication_error");
    });

    it("deletes by alias, all or nothing", async () => {
      const a = await post("/key/generate", { key_alias: "del-a" });
      expectError(
        await post("/key/delete", { key_aliases: ["del-a", "no-such-alias"] }),
        404,
        "not_found_error",
      );
      expect((await get(`/key/info?key=${a.body.token}`)).status).toBe(200);
      expect((await post("/key/delete", { key_aliases: ["del-a"] })).body).toEqual({
        deleted_keys: ["del-a"],
      });
      expect((await get(`/key/info?key=${a.body.token}`)).status).toBe(404);
    });

    it("asks for ?key= when the master key asks about itself", async () => {
      const reply = await get("/key/info");
      expectError(reply, 400, "invalid_request_error");
      expect(reply.body.error.param).toBe("key");
    });
  });

  describe("users", () => {
    it("/user/new makes the user and a key for them, as LiteLLM does", async () => {
      const reply = await post("/user/new", {
        user_id: "u-new",
        user_email: "u-new@example.com",
        user_role: "internal_user",
        models: ["cfg-mock"],
        max_budget: 100,
        budget_duration: "30d",
        rpm_limit: 10,
        tpm_limit: 1000,
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        user_id: "u-new",
        user_email: "u-new@example.com",
        user_role: "internal_user",
        models: ["cfg-mock"],
        max_budget: 100,
        budget_duration: "30d",
        rpm_limit: 10,
        tpm_limit: 1000,
        spend: 0,
        teams: [],
      });
      expect(reply.body.key).toMatch(/^sk-/);
      expect(reply.body.token).toBe(sha256(reply.body.key));
      const principal = await cp.principal(reply.body.key);
      expect(principal).toMatchObject({ kind: "user", userId: "u-new", role: "internal_user" });
    });

    it("/user/new with auto_create_key: false makes no key; LiteLLM's app_user is an internal user", async () => {
      const reply = await post("/user/new", {
        user_id: "u-nokey",
        user_role: "app_user",
        auto_create_key: false,
      });
      expect(reply.status).toBe(200);
      expect(reply.body).not.toHaveProperty("key");
      expect(reply.body.user_role).toBe("internal_user");
    });

    it("/user/info shows the user, their keys and their teams; a user may read themselves", async () => {
      const key = await newUser("u-info");
      await post("/team/new", {
        team_id: "t-of-u-info",
        members_with_roles: [{ user_id: "u-info", role: "user" }],
      });
      const reply = await get("/user/info?user_id=u-info");
      expect(reply.status).toBe(200);
      expect(reply.body.user_id).toBe("u-info");
      expect(reply.body.user_info).toMatchObject({ user_id: "u-info", user_role: "internal_user" });
      expect(reply.body.keys).toHaveLength(1);
      expect(reply.body.keys[0].token).toBe(sha256(key));
      expect(reply.body.teams.map((t: { team_id: string }) => t.team_id)).toEqual(["t-of-u-info"]);

      const self = await get("/user/info", key);
      expect(self.status).toBe(200);
      expect(self.body.user_id).toBe("u-info");
      expectError(await get("/user/info?user_id=config-user", key), 403, "permission_error");
    });

    it("/user/update changes fields; /user/delete removes the users and their keys", async () => {
      const key = await newUser("u-upd");
      const updated = await post("/user/update", {
        user_id: "u-upd",
        max_budget: 7,
        user_role: "internal_user_viewer",
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        user_id: "u-upd",
        max_budget: 7,
        user_role: "internal_user_viewer",
      });

      expectError(
        await post("/user/delete", { user_ids: ["u-upd", "nobody"] }),
        404,
        "not_found_error",
      );
      expect((await get("/user/info?user_id=u-upd")).status).toBe(200);
      expect((await post("/user/delete", { user_ids: ["u-upd"] })).body).toEqual({
        deleted_users: ["u-upd"],
      });
      expectError(await get("/user/info?user_id=u-upd"), 404, "not_found_error");
      expectError(await get("/key/info", key), 401, "authentication_error");
    });

    it("/user/spend answers the tutorial's total_spend; /user/reset_budget is for admins", async () => {
      const key = await newUser("u-spend", { max_budget: 20 });
      const own = await get("/user/spend", key);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ user_id: "u-spend", total_spend: 0, max_budget: 20 });
      expectError(await get("/user/spend?user_id=config-user", key), 403, "permission_error");
      expect((await get("/user/spend?user_id=u-spend")).body.total_spend).toBe(0);

      expectError(
        await post("/user/reset_budget", { user_id: "u-spend" }, key),
        403,
        "permission_error",
      );
      const reset = await post("/user/reset_budget", { user_id: "u-spend" });
      expect(reset.status).toBe(200);
      expect(reset.body).toMatchObject({ user_id: "u-spend", spend: 0, max_budget: 20 });
    });

    it("the config file's user_config users are there", async () => {
      const reply = await get("/user/info?user_id=config-user");
      expect(reply.body.user_info).toMatchObject({
        user_role: "internal_user",
        models: ["cfg-mock"],
      });
    });
  });

  describe("teams", () => {
    it("/team/new, /team/info, member_add, member_delete, /team/update, /team/delete", async () => {
      await newUser("t-admin");
      await newUser("t-member");
      const created = await post("/team/new", {
        team_id: "t-1",
        team_alias: "Team One",
        models: ["cfg-mock"],
        max_budget: 50,
        members_with_roles: [{ user_id: "t-admin", role: "admin" }],
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        team_id: "t-1",
        team_alias: "Team One",
        models: ["cfg-mock"],
        max_budget: 50,
        blocked: false,
        members_with_roles: [{ user_id: "t-admin", role: "admin" }],
      });

      const added = await post("/team/member_add", {
        team_id: "t-1",
        member: { user_id: "t-member", role: "user" },
      });
      expect(added.status).toBe(200);
      expect(added.body.members_with_roles).toEqual([
        { user_id: "t-admin", role: "admin" },
        { user_id: "t-member", role: "user" },
      ]);
      expect(added.body.updated_team_memberships).toEqual([
        expect.objectContaining({ team_id: "t-1", user_id: "t-member", role: "user" }),
      ]);

      const teamKey = await post("/key/generate", { team_id: "t-1", key_alias: "t-1-key" });
      const info = await get("/team/info?team_id=t-1");
      expect(info.status).toBe(200);
      expect(info.body.team_id).toBe("t-1");
      expect(info.body.team_info.team_alias).toBe("Team One");
      expect(info.body.keys.map((k: { token: string }) => k.token)).toEqual([teamKey.body.token]);
      expect(info.body.team_memberships).toHaveLength(2);

      const removed = await post("/team/member_delete", { team_id: "t-1", user_id: "t-member" });
      expect(removed.body.members_with_roles).toEqual([{ user_id: "t-admin", role: "admin" }]);

      const updated = await post("/team/update", {
        team_id: "t-1",
        max_budget: 80,
        team_alias: "Team Uno",
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        team_id: "t-1",
        data: { max_budget: 80, team_alias: "Team Uno" },
      });

      expect((await post("/team/delete", { team_ids: ["t-1"] })).body).toEqual({
        deleted_teams: ["t-1"],
      });
      expectError(await get("/team/info?team_id=t-1"), 404, "not_found_error");
      expectError(await get(`/key/info?key=${teamKey.body.token}`), 404, "not_found_error");
    });

    it("names a member without user_id in LiteLLM's spelling", async () => {
      const reply = await post("/team/new", {
        team_id: "t-bad",
        members_with_roles: [{ role: "admin" }],
      });
      expectError(reply, 400, "invalid_request_error");
      expect(reply.body.error.param).toMatch(/^members_with_roles\.0/);
    });

    it("a team admin may add members to their team, not to another", async () => {
      const adminKey = await newUser("ta-admin");
      await newUser("ta-new");
      await post("/team/new", {
        team_id: "t-a",
        members_with_roles: [{ user_id: "ta-admin", role: "admin" }],
      });
      await post("/team/new", { team_id: "t-b" });
      expect(
        (
          await post(
            "/team/member_add",
            { team_id: "t-a", member: [{ user_id: "ta-new" }] },
            adminKey,
          )
        ).status,
      ).toBe(200);
      expectError(
        await post("/team/member_add", { team_id: "t-b", member: { user_id: "ta-new" } }, adminKey),
        403,
        "permission_error",
      );
    });
  });

  describe("models", () => {
    it("/model/new adds a deployment; /model/info lists the config file's and the API's, secrets masked", async () => {
      const created = await post("/model/new", {
        model_name: "db-gpt",
        litellm_params: {
          model: "openai/gpt-4o-mini",
          api_key: DB_MODEL_SECRET,
          api_base: "https://example.test/v1",
        },
        model_info: { mode: "chat" },
      });
      expect(created.status).toBe(200);
      expect(created.body.model_id).toEqual(expect.any(String));
      expect(created.body.litellm_params.api_key).not.toContain("0987654321");

      for (const path of ["/model/info", "/v1/model/info"]) {
        const reply = await get(path);
        expect(reply.status).toBe(200);
        const names = reply.body.data.map((m: { model_name: string }) => m.model_name);
        expect(names).toEqual(expect.arrayContaining(["cfg-gpt", "cfg-mock", "db-gpt"]));
        const cfg = reply.body.data.find((m: { model_name: string }) => m.model_name === "cfg-gpt");
        expect(cfg.litellm_params.model).toBe("openai/gpt-4o");
        expect(cfg.litellm_params.api_key).toBe("sk-...7890");
        expect(cfg.litellm_params.extra_headers.Authorization).not.toContain("abcdefghijkl");
        expect(cfg.model_info).toMatchObject({ id: expect.any(String), db_model: false });
        const db = reply.body.data.find((m: { model_name: string }) => m.model_name === "db-gpt");
        expect(db.model_info).toMatchObject({
          id: created.body.model_id,
          db_model: true,
          mode: "chat",
        });
        expect(db.litellm_params).toMatchObject({
          model: "openai/gpt-4o-mini",
          api_base: "https://example.test/v1",
        });
      }

      const one = await get(`/model/info?litellm_model_id=${created.body.model_id}`);
      expect(one.body.data).toHaveLength(1);

      // A non-admin key sees the list too (as in LiteLLM); no key at all does not.
      const userKey = await newUser("model-reader");
      expect((await get("/model/info", userKey)).status).toBe(200);
      expectError(await get("/model/info", null), 401, "authentication_error");
    });

    it("/model/delete removes an API deployment and refuses a config-file one", async () => {
      const created = await post("/model/new", {
        model_name: "to-delete",
        litellm_params: { model: "mock/x" },
      });
      const id: string = created.body.model_id;
      const deleted = await post("/model/delete", { id });
      expect(deleted.status).toBe(200);
      expect(deleted.body.message).toContain(id);
      expect(cp.snapshot().deployments.some((d) => d.id === id)).toBe(false);
      expectError(await post("/model/delete", { id }), 404, "not_found_error");

      const cfgId = cp.snapshot().deployments.find((d) => d.modelName === "cfg-gpt")?.id;
      const refused = await post("/model/delete", { id: cfgId });
      expectError(refused, 400, "invalid_request_error");
      expect(refused.body.error.message).toContain("config file");
    });
  });

  describe("authorization", () => {
    it("non-admin keys get 403 on admin endpoints", async () => {
      const key = await newUser("plain-user");
      const cases: [string, unknown][] = [
        ["/user/new", { user_id: "x-1" }],
        ["/user/update", { user_id: "config-user", max_budget: 1 }],
        ["/user/delete", { user_ids: ["plain-user"] }],
        ["/team/new", { team_id: "x-team" }],
        ["/model/new", { model_name: "x", litellm_params: { model: "mock/x" } }],
        ["/key/generate", { user_id: "config-user" }],
      ];
      for (const [path, body] of cases) {
        const reply = await post(path, body, key);
        expect({ path, status: reply.status }).toEqual({ path, status: 403 });
        expectError(reply, 403, "permission_error");
      }
      const cfgId = cp.snapshot().deployments[0]?.id;
      expectError(await post("/model/delete", { id: cfgId }, key), 403, "permission_error");
    });

    it("an internal user may generate keys for themselves", async () => {
      const key = await newUser("self-serve");
      const reply = await post("/key/generate", { key_alias: "mine" }, key);
      expect(reply.status).toBe(200);
      expect(reply.body.user_id).toBe("self-serve");
    });

    it("a missing or unknown key is 401", async () => {
      expectError(await post("/key/generate", {}, null), 401, "authentication_error");
      expectError(await post("/key/generate", {}, "sk-not-a-key"), 401, "authentication_error");
    });
  });

  describe("HTTP edges", () => {
    it("bad JSON is 400", async () => {
      const reply = await call("POST", "/key/generate", { rawBody: "{not json" });
      expectError(reply, 400, "invalid_request_error");
      expectError(
        await call("POST", "/key/generate", { rawBody: "[1,2]" }),
        400,
        "invalid_request_error",
      );
    });

    it("authenticates before reading the body; refuses a body over 1 MB with 413", async () => {
      expectError(
        await call("POST", "/key/generate", { rawBody: "{not json", key: null }),
        401,
        "authentication_error",
      );
      const big = JSON.stringify({ metadata: { blob: "x".repeat(1024 * 1024 + 10) } });
      expectError(
        await call("POST", "/key/generate", { rawBody: big }),
        413,
        "invalid_request_error",
      );
    });

    it("an empty body is an empty request (a key with defaults)", async () => {
      const reply = await call("POST", "/key/generate", { rawBody: "" });
      expect(reply.status).toBe(200);
      expect(reply.body.key).toMatch(/^sk-/);
    });

    it("a known path with the wrong method is 405; an unknown path falls through to the server", async () => {
      const wrong = await get("/key/generate");
      expectError(wrong, 405, "invalid_request_error");
      const unknown = await post("/key/not-a-route", {});
      expect(unknown.status).toBe(404);
      expect(unknown.body?.error?.code).toBeUndefined();
    });

    it("no response ever carried an upstream secret", () => {
      expect(seen.length).toBeGreaterThan(20);
      for (const text of seen) {
        expect(text).not.toContain(UPSTREAM_SECRET);
        expect(text).not.toContain("1234567890");
        expect(text).not.toContain(DB_MODEL_SECRET);
        expect(text).not.toContain(HEADER_SECRET);
        expect(text).not.toContain(MASTER_KEY);
      }
    });
  });
}
