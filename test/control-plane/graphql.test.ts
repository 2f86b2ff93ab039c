import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { printSchemaSDL } from "../../control-plane/graphql/schema.js";
import { createYoga, type SwitchyardYoga } from "../../control-plane/graphql/yoga.js";
import { ConfigSchema } from "../../schema/config.js";
import type { Snapshot } from "../../schema/snapshot.js";
import { type DatabaseKind, describeForEachDatabase } from "../helpers/databases.js";

const MASTER_KEY = "sk-master-graphql-test";
const UPSTREAM_SECRET = "sk-supersecret-1234567890";

interface GraphQLAnswer {
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary answer shapes.
  data?: any;
  errors?: { message: string; extensions?: { code?: string; issues?: unknown } }[];
}

describe("schema/schema.graphql", () => {
  it("matches the schema the code builds", async () => {
    const file = fileURLToPath(new URL("../../schema/schema.graphql", import.meta.url));
    const committed = await readFile(file, "utf8").catch(() => "");
    expect(
      committed,
      "schema/schema.graphql is out of date: run `npm run graphql:schema` and commit the result",
    ).toBe(printSchemaSDL());
  });
});

describeForEachDatabase("GraphQL admin API", (db) => adminApiContract(db));

function adminApiContract(kind: DatabaseKind): void {
  let cp: ControlPlane;
  let yoga: SwitchyardYoga;
  let drop: () => Promise<void>;
  const snapshots: Snapshot[] = [];
  /** Every response body, searched for secrets at the end. */
  const bodies: string[] = [];

  /** Keys of the callers the authorization tests use. */
  const keys = { viewer: "", alice: "", bob: "", tara: "" };
  /** A key of bob's and a key of team-b, which others try to touch. */
  const ids = { bobKey: "", teamBKey: "", teamAKey: "" };

  async function gql(
    query: string,
    variables: Record<string, unknown> = {},
    key: string | null = MASTER_KEY,
  ): Promise<GraphQLAnswer> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const res = await yoga.fetch("http://x/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    bodies.push(text);
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
    return JSON.parse(text) as GraphQLAnswer;
  }

  /** Runs a mutation and returns its (single) result object, whatever its type. */
  async function mutate(
    document: string,
    variables: Record<string, unknown> = {},
    key: string | null = MASTER_KEY,
  ) {
    const answer = await gql(document, variables, key);
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const [result] = Object.values(answer.data as Record<string, { __typename: string }>);
    if (result === undefined) throw new Error("no result");
    // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary result shapes.
    return result as any;
  }

  const ERRORS = `
    __typename
    ... on Error { message code }
    ... on InvalidInputError { issues { path message } }
  `;
  const KEY_FIELDS = `
    id tokenHash keyName keyAlias models spend maxBudget remainingBudget budgetDuration
    blocked metadata userId teamId expires user { userId } team { teamId }
  `;
  const GENERATE = `mutation ($input: GenerateKeyInput) {
    generateKey(input: $input) { ${ERRORS} ... on GeneratedKey { key virtualKey { ${KEY_FIELDS} } } }
  }`;
  const KEY_MUTATION = (name: string) => `mutation ($id: ID!) {
    ${name}(id: $id) { ${ERRORS} ... on VirtualKey { ${KEY_FIELDS} } }
  }`;

  async function generate(input: Record<string, unknown>, key: string | null = MASTER_KEY) {
    return mutate(GENERATE, { input }, key);
  }

  beforeAll(async () => {
    const db = await kind.create("graphql");
    drop = db.drop;
    cp = await ControlPlane.start({
      config: ConfigSchema.parse({ general_settings: { master_key: MASTER_KEY } }),
      databaseUrl: db.url,
      logger: pino({ level: "silent" }),
      onSnapshot: (s) => snapshots.push(s),
    });
    yoga = createYoga(cp, { graphiql: false });

    const createUser = `mutation ($input: CreateUserInput!) { createUser(input: $input) { ${ERRORS} ... on User { userId } } }`;
    for (const [userId, userRole] of [
      ["viewer", "PROXY_ADMIN_VIEWER"],
      ["alice", "INTERNAL_USER"],
      ["bob", "INTERNAL_USER"],
      ["tara", "INTERNAL_USER"],
    ]) {
      expect((await mutate(createUser, { input: { userId, userRole } })).__typename).toBe("User");
    }
    const createTeam = `mutation ($input: CreateTeamInput!) { createTeam(input: $input) { ${ERRORS} ... on Team { teamId } } }`;
    expect(
      (
        await mutate(createTeam, {
          input: { teamId: "team-a", members: [{ userId: "tara", role: "ADMIN" }] },
        })
      ).__typename,
    ).toBe("Team");
    expect((await mutate(createTeam, { input: { teamId: "team-b" } })).__typename).toBe("Team");

    for (const name of ["viewer", "alice", "bob", "tara"] as const) {
      keys[name] = (await generate({ userId: name })).key;
    }
    ids.bobKey = (await generate({ userId: "bob", keyAlias: "bobs-key" })).virtualKey.id;
    ids.teamAKey = (await generate({ teamId: "team-a" })).virtualKey.id;
    ids.teamBKey = (await generate({ teamId: "team-b" })).virtualKey.id;
  });

  afterAll(async () => {
    await cp?.stop();
    await drop?.();
  });

  it("takes a key through its life: generate, list, update, block, unblock, regenerate, delete", async () => {
    const created = await generate({
      keyAlias: "lifecycle",
      models: ["gpt-4o"],
      maxBudget: 10,
      budgetDuration: "30d",
      metadata: { owner: "ops" },
    });
    expect(created.__typename).toBe("GeneratedKey");
    const plaintext: string = created.key;
    const vk = created.virtualKey;
    expect(plaintext).toMatch(/^sk-/);
    expect(vk.tokenHash).toBe(sha256(plaintext));
    expect(vk.keyName).toBe(`sk-...${plaintext.slice(-4)}`);
    expect(vk).toMatchObject({
      keyAlias: "lifecycle",
      models: ["gpt-4o"],
      maxBudget: 10,
      remainingBudget: 10,
      budgetDuration: "30d",
      blocked: false,
      metadata: { owner: "ops" },
    });
    // The data plane has it before the mutation answered.
    expect(lastSnapshot().keys.some((k) => k.tokenHash === vk.tokenHash)).toBe(true);

    const listed = await gql(
      `query ($alias: String) { keys(keyAlias: $alias) { nodes { id tokenHash } pageInfo { hasNextPage endCursor } } }`,
      { alias: "lifecycle" },
    );
    expect(listed.data.keys.nodes).toEqual([{ id: vk.id, tokenHash: vk.tokenHash }]);
    expect(listed.data.keys.pageInfo).toEqual({ hasNextPage: false, endCursor: vk.id });

    const updated = await mutate(
      `mutation ($id: ID!, $input: UpdateKeyInput!) { updateKey(id: $id, input: $input) { ${ERRORS} ... on VirtualKey { ${KEY_FIELDS} } } }`,
      {
        id: vk.id,
        input: { maxBudget: 20, models: ["gpt-4o", "claude"], metadata: { tier: "gold" } },
      },
    );
    expect(updated).toMatchObject({
      __typename: "VirtualKey",
      maxBudget: 20,
      models: ["gpt-4o", "claude"],
      metadata: { owner: "ops", tier: "gold" },
      keyAlias: "lifecycle",
    });

    const blocked = await mutate(KEY_MUTATION("blockKey"), { id: vk.id });
    expect(blocked.blocked).toBe(true);
    expect(lastSnapshot().keys.find((k) => k.id === vk.id)?.blocked).toBe(true);
    // A blocked key is refused by the control plane too.
    expect((await gql("{ me { role } }", {}, plaintext)).errors?.[0]?.extensions?.code).toBe(
      "UNAUTHENTICATED",
    );
    const unblocked = await mutate(KEY_MUTATION("unblockKey"), { id: vk.id });
    expect(unblocked.blocked).toBe(false);

    const regenerated = await mutate(
      `mutation ($id: ID!, $grace: String) { regenerateKey(id: $id, gracePeriod: $grace) { ${ERRORS} ... on GeneratedKey { key virtualKey { id tokenHash } } } }`,
      { id: vk.id, grace: "1h" },
    );
    expect(regenerated.__typename).toBe("GeneratedKey");
    expect(regenerated.key).not.toBe(plaintext);
    expect(regenerated.virtualKey).toEqual({ id: vk.id, tokenHash: sha256(regenerated.key) });
    const hashes = lastSnapshot().keys.map((k) => k.tokenHash);
    expect(hashes).toContain(sha256(regenerated.key));
    expect(hashes).toContain(vk.tokenHash); // the old key, for its grace period

    const deleted = await mutate(KEY_MUTATION("deleteKey"), { id: vk.id });
    expect(deleted).toMatchObject({ __typename: "VirtualKey", id: vk.id });
    const after = lastSnapshot().keys.map((k) => k.tokenHash);
    expect(after).not.toContain(sha256(regenerated.key));
    expect(after).not.toContain(vk.tokenHash);
    const gone = await gql(`query ($id: ID!) { key(id: $id) { id } }`, { id: vk.id });
    expect(gone.data.key).toBeNull();
    expect(gone.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("pages through keys with first/after", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const answer = await gql(
        `query ($after: String) { keys(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const { nodes, pageInfo } = answer.data.keys;
      expect(nodes.length).toBeLessThanOrEqual(2);
      seen.push(...nodes.map((n: { id: string }) => n.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen.length).toBeGreaterThanOrEqual(7);
    expect(new Set(seen).size).toBe(seen.length);
  });

  describe("authorization", () => {
    it("lets a proxy_admin_viewer read everything but change nothing", async () => {
      const listed = await gql(
        "{ keys(first: 500) { nodes { id userId } } users { nodes { userId } } }",
        {},
        keys.viewer,
      );
      expect(listed.errors).toBeUndefined();
      expect(listed.data.keys.nodes.map((k: { id: string }) => k.id)).toContain(ids.bobKey);
      expect(listed.data.users.nodes.map((u: { userId: string }) => u.userId)).toContain("alice");

      expect((await generate({}, keys.viewer)).__typename).toBe("ForbiddenError");
      expect(
        (await mutate(KEY_MUTATION("blockKey"), { id: ids.bobKey }, keys.viewer)).__typename,
      ).toBe("ForbiddenError");
      const createUser = await mutate(
        `mutation { createUser(input: { userId: "mallory" }) { ${ERRORS} } }`,
        {},
        keys.viewer,
      );
      expect(createUser).toMatchObject({ __typename: "ForbiddenError", code: "forbidden" });
    });

    it("lets an internal_user manage its own keys only, and not list users", async () => {
      const own = await generate({ keyAlias: "alices-own" }, keys.alice);
      expect(own.__typename).toBe("GeneratedKey");
      expect(own.virtualKey.userId).toBe("alice");

      const forBob = await generate({ userId: "bob" }, keys.alice);
      expect(forBob).toMatchObject({
        __typename: "ForbiddenError",
        message: "You may only create keys for yourself.",
      });

      const users = await gql("{ users { nodes { userId } } }", {}, keys.alice);
      expect(users.data.users).toBeNull();
      expect(users.errors?.[0]).toMatchObject({
        message: "Only a proxy admin or proxy admin viewer may read this.",
        extensions: { code: "FORBIDDEN" },
      });

      const mine = await gql("{ keys(first: 500) { nodes { userId } } }", {}, keys.alice);
      expect(mine.data.keys.nodes.length).toBeGreaterThanOrEqual(2);
      expect(mine.data.keys.nodes.every((k: { userId: string }) => k.userId === "alice")).toBe(
        true,
      );

      // Someone else's key does not exist, as far as alice can tell.
      expect(
        (await mutate(KEY_MUTATION("deleteKey"), { id: ids.bobKey }, keys.alice)).__typename,
      ).toBe("NotFoundError");
      const model = await mutate(
        `mutation { createModel(input: { modelName: "m", litellmParams: { model: "mock/m" } }) { ${ERRORS} } }`,
        {},
        keys.alice,
      );
      expect(model).toMatchObject({
        __typename: "ForbiddenError",
        message: "Only a proxy admin may do this.",
      });
      const budget = await mutate(
        `mutation { updateBudget(target: USER, id: "alice", maxBudget: 1000) { ${ERRORS} } }`,
        {},
        keys.alice,
      );
      expect(budget.__typename).toBe("ForbiddenError");
    });

    it("lets a team admin manage its team's keys and members, not another team's", async () => {
      const teamKey = await generate({ teamId: "team-a", keyAlias: "team-a-service" }, keys.tara);
      expect(teamKey.__typename).toBe("GeneratedKey");
      expect(teamKey.virtualKey.team).toEqual({ teamId: "team-a" });
      expect(
        (await mutate(KEY_MUTATION("blockKey"), { id: ids.teamAKey }, keys.tara)).blocked,
      ).toBe(true);
      expect(
        (await mutate(KEY_MUTATION("unblockKey"), { id: ids.teamAKey }, keys.tara)).blocked,
      ).toBe(false);

      const listed = await gql(`{ keys(teamId: "team-a") { nodes { id } } }`, {}, keys.tara);
      expect(listed.data.keys.nodes.map((k: { id: string }) => k.id)).toEqual(
        expect.arrayContaining([ids.teamAKey, teamKey.virtualKey.id]),
      );

      expect(await generate({ teamId: "team-b" }, keys.tara)).toMatchObject({
        __typename: "ForbiddenError",
        message: "Only a proxy admin or an admin of team team-b may create keys for it.",
      });
      expect(
        (await mutate(KEY_MUTATION("blockKey"), { id: ids.teamBKey }, keys.tara)).__typename,
      ).toBe("NotFoundError");

      const addMember = `mutation ($team: String!, $user: String!) {
        addTeamMember(teamId: $team, userId: $user) { ${ERRORS} ... on TeamMember { teamId role user { userId } } }
      }`;
      expect(await mutate(addMember, { team: "team-a", user: "bob" }, keys.tara)).toEqual({
        __typename: "TeamMember",
        teamId: "team-a",
        role: "USER",
        user: { userId: "bob" },
      });
      expect((await mutate(addMember, { team: "team-b", user: "bob" }, keys.tara)).__typename).toBe(
        "ForbiddenError",
      );
      // A plain member may not add members.
      expect(
        (await mutate(addMember, { team: "team-a", user: "alice" }, keys.bob)).__typename,
      ).toBe("ForbiddenError");

      const team = await gql(
        `{ team(teamId: "team-a") { teamId members { userId role } } }`,
        {},
        keys.bob,
      );
      expect(team.data.team.members).toEqual([
        { userId: "bob", role: "USER" },
        { userId: "tara", role: "ADMIN" },
      ]);
    });

    it("answers a request without a valid key with a typed UnauthenticatedError", async () => {
      const mutation = await mutate(`mutation { generateKey { ${ERRORS} } }`, {}, null);
      expect(mutation).toEqual({
        __typename: "UnauthenticatedError",
        code: "unauthenticated",
        message: "No API key provided. Pass it as 'Authorization: Bearer <key>'.",
      });
      const badKey = await mutate(
        `mutation { deleteKey(id: "x") { ${ERRORS} } }`,
        {},
        "sk-not-a-key",
      );
      expect(badKey).toMatchObject({
        __typename: "UnauthenticatedError",
        message: "Invalid API key.",
      });

      const query = await gql("{ keys { nodes { id } } me { role } }", {}, null);
      expect(query.data).toEqual({ keys: null, me: null });
      expect(query.errors?.map((e) => e.extensions?.code)).toEqual([
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
      ]);
      expect(query.errors?.[0]?.message).toBe(
        "No API key provided. Pass it as 'Authorization: Bearer <key>'.",
      );
    });
  });

  it("answers invalid input with InvalidInputError and the path of every problem", async () => {
    const key = await generate({ maxBudget: -1, budgetDuration: "forever", rpmLimit: -5 });
    expect(key.__typename).toBe("InvalidInputError");
    expect(key.code).toBe("invalid_input");
    expect(key.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      "budgetDuration",
      "maxBudget",
      "rpmLimit",
    ]);

    const user = await mutate(
      `mutation { createUser(input: { userId: "u1", userEmail: "not-an-email" }) { ${ERRORS} } }`,
    );
    expect(user.__typename).toBe("InvalidInputError");
    expect(user.issues).toEqual([{ path: "userEmail", message: expect.any(String) }]);

    const model = await mutate(
      `mutation { createModel(input: { modelName: "x", litellmParams: { api_base: "http://h" } }) { ${ERRORS} } }`,
    );
    expect(model.__typename).toBe("InvalidInputError");
    expect(model.issues.map((i: { path: string }) => i.path)).toEqual(["litellmParams.model"]);
  });

  it("answers a duplicate key alias with ConflictError", async () => {
    const conflict = await generate({ userId: "bob", keyAlias: "bobs-key" });
    expect(conflict).toMatchObject({ __typename: "ConflictError", code: "conflict" });
    expect(conflict.message).toContain("bobs-key");
  });

  it("answers a missing object with NotFoundError", async () => {
    expect((await mutate(KEY_MUTATION("deleteKey"), { id: "no-such-key" })).__typename).toBe(
      "NotFoundError",
    );
    expect((await mutate(`mutation { deleteUser(userId: "nobody") { ${ERRORS} } }`)).message).toBe(
      "User nobody not found.",
    );
    expect((await generate({ userId: "nobody" })).__typename).toBe("NotFoundError");
    expect(
      (await mutate(`mutation { resetSpend(target: TEAM, id: "nope") { ${ERRORS} } }`)).__typename,
    ).toBe("NotFoundError");
    const user = await gql(`{ user(userId: "nobody") { userId } }`);
    expect(user.data.user).toBeNull();
    expect(user.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("shows the caller its own key and user with spend and remaining budget", async () => {
    const budgeted = await generate({ userId: "alice", maxBudget: 10 });
    await mutate(
      `mutation { updateBudget(target: USER, id: "alice", maxBudget: 100) { ${ERRORS} ... on BudgetState { maxBudget } } }`,
    );
    await cp.db.virtualKey.update({ where: { id: budgeted.virtualKey.id }, data: { spend: 2.5 } });
    const me = await gql(
      "{ me { kind role actor spend remainingBudget key { id spend remainingBudget } user { userId maxBudget remainingBudget } } }",
      {},
      budgeted.key,
    );
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toEqual({
      kind: "USER",
      role: "INTERNAL_USER",
      actor: "alice",
      spend: 2.5,
      remainingBudget: 7.5,
      key: { id: budgeted.virtualKey.id, spend: 2.5, remainingBudget: 7.5 },
      user: { userId: "alice", maxBudget: 100, remainingBudget: 100 },
    });

    const reset = await mutate(
      `mutation ($id: String!) { resetSpend(target: KEY, id: $id) { ${ERRORS} ... on BudgetState { target spend remainingBudget } } }`,
      { id: budgeted.virtualKey.id },
    );
    expect(reset).toEqual({
      __typename: "BudgetState",
      target: "KEY",
      spend: 0,
      remainingBudget: 10,
    });

    const master = await gql("{ me { kind role key { id } user { userId } remainingBudget } }");
    expect(master.data.me).toEqual({
      kind: "MASTER",
      role: "PROXY_ADMIN",
      key: null,
      user: null,
      remainingBudget: null,
    });
  });

  it("keeps organizations and the audit log to admins", async () => {
    const org = await mutate(
      `mutation { createOrganization(input: { organizationId: "org-1", organizationAlias: "Acme", maxBudget: 500 }) { ${ERRORS} ... on Organization { organizationId remainingBudget } } }`,
    );
    expect(org).toEqual({
      __typename: "Organization",
      organizationId: "org-1",
      remainingBudget: 500,
    });
    await mutate(
      `mutation { updateTeam(teamId: "team-a", input: { organizationId: "org-1" }) { ${ERRORS} } }`,
    );

    const asViewer = await gql(
      `{ organizations { nodes { organizationId teams { teamId } } } }`,
      {},
      keys.viewer,
    );
    expect(asViewer.data.organizations.nodes).toEqual([
      { organizationId: "org-1", teams: [{ teamId: "team-a" }] },
    ]);
    const asMember = await gql(`{ organizations { nodes { organizationId } } }`, {}, keys.bob);
    expect(asMember.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // A member sees the team, but not the organization's budget.
    const team = await gql(
      `{ team(teamId: "team-a") { organizationId organization { organizationId } } }`,
      {},
      keys.bob,
    );
    expect(team.data.team).toEqual({ organizationId: "org-1", organization: null });

    const log = await gql(
      `{ auditLog(objectType: "organization", first: 5) { nodes { actor action objectId after } } }`,
    );
    expect(log.data.auditLog.nodes[0]).toMatchObject({
      actor: "master_key",
      action: "organization.create",
      objectId: "org-1",
      after: expect.objectContaining({ organizationAlias: "Acme" }),
    });
    expect(
      (await gql("{ auditLog { nodes { id } } }", {}, keys.viewer)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
  });

  it("never shows an upstream secret, in any answer", async () => {
    const created = await mutate(
      `mutation ($input: CreateModelInput!) { createModel(input: $input) { ${ERRORS} ... on Model { id modelName litellmParams } } }`,
      {
        input: {
          modelName: "secret-model",
          litellmParams: {
            model: "openai/gpt-4o",
            api_key: UPSTREAM_SECRET,
            api_base: "http://upstream",
          },
        },
      },
    );
    expect(created.__typename).toBe("Model");
    expect(created.litellmParams).toEqual({
      model: "openai/gpt-4o",
      api_key: "sk-...7890",
      api_base: "http://upstream",
    });

    // Sending the masked value back keeps the stored secret.
    const updated = await mutate(
      `mutation ($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { ${ERRORS} ... on Model { litellmParams } } }`,
      {
        id: created.id,
        input: { litellmParams: { ...created.litellmParams, api_base: "http://upstream-2" } },
      },
    );
    expect(updated.litellmParams.api_key).toBe("sk-...7890");
    const stored = lastSnapshot().deployments.find((d) => d.id === created.id);
    expect(stored?.apiKey).toBe(UPSTREAM_SECRET);

    const models = await gql("{ models { id litellmParams } }", {}, keys.alice);
    expect(models.data.models.map((m: { id: string }) => m.id)).toContain(created.id);
    await gql(`{ auditLog(objectType: "model") { nodes { before after } } }`);
    expect(
      (
        await mutate(
          `mutation ($id: ID!) { deleteModel(id: $id) { ${ERRORS} ... on Model { litellmParams } } }`,
          { id: created.id },
        )
      ).__typename,
    ).toBe("Model");

    expect(bodies.length).toBeGreaterThan(30);
    for (const body of bodies) expect(body).not.toContain(UPSTREAM_SECRET);
  });

  it("serves GraphiQL only when asked", async () => {
    const page = (y: SwitchyardYoga) =>
      y.fetch("http://x/graphql", { headers: { accept: "text/html" } });
    expect(await (await page(yoga)).text()).not.toContain("graphiql");
    const withGraphiql = createYoga(cp, { graphiql: true });
    expect(await (await page(withGraphiql)).text()).toContain("graphiql");
  });

  function lastSnapshot(): Snapshot {
    const last = snapshots.at(-1);
    if (last === undefined) throw new Error("no snapshot yet");
    return last;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
