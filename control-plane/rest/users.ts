import type { Team, User } from "../../generated/sqlite/client.js";
import type { Db } from "../db.js";
import { InvalidInputError } from "../services/errors.js";
import { generatedKeyJson, keyJson } from "./keys.js";
import { type Route, allPages, requireString, requireStringList } from "./route.js";
import { teamJson } from "./teams.js";
import { serviceInput, toWire } from "./wire.js";

/** Fields of /user/new that are about the key it makes or the teams it joins, not the user. */
const NOT_USER_FIELDS = ["auto_create_key", "teams", "key_alias", "duration", "send_invite_email"];

/** LiteLLM's earlier roles (and the tutorial's `app_user`) are internal users. */
const LEGACY_ROLES = new Set(["app_user", "app_owner"]);

/**
 * LiteLLM's user management: /user/new (which also makes the user a key, as LiteLLM does,
 * unless `auto_create_key: false`), /user/info, /user/update, /user/delete, and the
 * tutorial's /user/spend and /user/reset_budget.
 */
export const userRoutes: Route[] = [
  {
    method: "POST",
    path: "/user/new",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const teamIds =
        body.teams === undefined || body.teams === null
          ? []
          : requireStringList(body.teams, "teams");
      // Every team is checked before the user is made, so a typo leaves nothing behind.
      for (const teamId of teamIds) await ctx.cp.teams.get(p, teamId);
      const user = await ctx.cp.users.create(p, userInput(body, NOT_USER_FIELDS));
      for (const teamId of teamIds) await ctx.cp.teams.addMember(p, teamId, user.userId, "user");
      const answer: Record<string, unknown> = { ...userJson(user), teams: teamIds };
      if (body.auto_create_key === false) return answer;
      const generated = generatedKeyJson(
        await ctx.cp.keys.generate(p, {
          userId: user.userId,
          keyAlias: body.key_alias,
          duration: body.duration,
        }),
      );
      return {
        ...answer,
        key: generated.key,
        key_name: generated.key_name,
        key_alias: generated.key_alias,
        token: generated.token,
        expires: generated.expires,
      };
    },
  },
  {
    method: "GET",
    path: "/user/info",
    async handle(ctx) {
      const p = await ctx.principal();
      const userId = ctx.url.searchParams.get("user_id") || p.userId;
      if (userId === undefined) {
        throw new InvalidInputError("Pass ?user_id=<id>: the master key belongs to no user.", [
          { path: "user_id", message: "required" },
        ]);
      }
      const user = await ctx.cp.users.get(p, userId);
      const keys = await allPages((after) =>
        ctx.cp.keys.list(p, { userId }, { first: 500, after }),
      );
      return {
        user_id: user.userId,
        user_info: userJson(user),
        keys: keys.map(keyJson),
        teams: (await teamsOf(ctx.cp.db, userId)).map((t) => teamJson(t)),
      };
    },
  },
  {
    method: "POST",
    path: "/user/update",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const userId = requireString(body.user_id, "user_id");
      return userJson(await ctx.cp.users.update(p, userId, userInput(body, ["user_id"])));
    },
  },
  {
    method: "POST",
    path: "/user/delete",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const userIds = requireStringList(body.user_ids, "user_ids");
      for (const userId of userIds) await ctx.cp.users.get(p, userId);
      for (const userId of userIds) await ctx.cp.users.delete(p, userId);
      return { deleted_users: userIds };
    },
  },
  {
    // The tutorial's "Get user spending": the caller's own user, or ?user_id= for admins.
    method: "GET",
    path: "/user/spend",
    async handle(ctx) {
      const p = await ctx.principal();
      const userId = ctx.url.searchParams.get("user_id") || p.userId;
      if (userId === undefined) {
        throw new InvalidInputError("Pass ?user_id=<id>: the master key belongs to no user.", [
          { path: "user_id", message: "required" },
        ]);
      }
      const user = await ctx.cp.users.get(p, userId);
      return {
        user_id: user.userId,
        total_spend: user.spend,
        spend: user.spend,
        max_budget: user.maxBudget,
        budget_duration: user.budgetDuration,
        budget_reset_at: user.budgetResetAt,
      };
    },
  },
  {
    // The tutorial's "Reset budget" (proxy admins): spend back to 0.
    method: "POST",
    path: "/user/reset_budget",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const state = await ctx.cp.budgets.resetSpend(
        p,
        "user",
        requireString(body.user_id, "user_id"),
      );
      return {
        user_id: state.id,
        spend: state.spend,
        max_budget: state.maxBudget,
        budget_duration: state.budgetDuration,
        budget_reset_at: state.budgetResetAt,
      };
    },
  },
];

export function userJson(user: User): Record<string, unknown> {
  return toWire(user);
}

function userInput(
  body: Record<string, unknown>,
  omit: readonly string[],
): Record<string, unknown> {
  const input = serviceInput(body, omit);
  if (typeof input.userRole === "string" && LEGACY_ROLES.has(input.userRole))
    input.userRole = "internal_user";
  return input;
}

/** The teams a user is in (read only after the service allowed reading the user). */
async function teamsOf(db: Db, userId: string): Promise<Team[]> {
  const rows = await db.teamMembership.findMany({
    where: { userId },
    include: { team: true },
    orderBy: { teamId: "asc" },
  });
  return rows.map((r) => r.team);
}
