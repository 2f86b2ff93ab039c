import type { Team, TeamMembership } from "../../generated/sqlite/client.js";
import type { Db } from "../db.js";
import { InvalidInputError } from "../services/errors.js";
import type { MemberRole } from "../services/teams.js";
import { keyJson } from "./keys.js";
import { type Route, allPages, requireString, requireStringList } from "./route.js";
import { serviceInput, toWire } from "./wire.js";

/**
 * LiteLLM's team management: /team/new, /team/info, /team/update, /team/delete,
 * /team/member_add, /team/member_delete. Members are `{ user_id, role: "admin" | "user" }`.
 */
export const teamRoutes: Route[] = [
  {
    method: "POST",
    path: "/team/new",
    async handle(ctx) {
      const body = await ctx.body();
      const input = serviceInput(body);
      if (Array.isArray(input.members)) input.members = input.members.map(memberInput);
      const team = await ctx.cp.teams.create(await ctx.principal(), input);
      return teamJson(team, await membersOf(ctx.cp.db, team.teamId));
    },
  },
  {
    method: "GET",
    path: "/team/info",
    async handle(ctx) {
      const p = await ctx.principal();
      const teamId = requireString(ctx.url.searchParams.get("team_id"), "team_id");
      const team = await ctx.cp.teams.get(p, teamId);
      const members = await membersOf(ctx.cp.db, teamId);
      const keys = await allPages((after) =>
        ctx.cp.keys.list(p, { teamId }, { first: 500, after }),
      );
      return {
        team_id: team.teamId,
        team_info: teamJson(team, members),
        keys: keys.map(keyJson),
        team_memberships: members.map((m) => toWire(m)),
      };
    },
  },
  {
    method: "POST",
    path: "/team/update",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const teamId = requireString(body.team_id, "team_id");
      const team = await ctx.cp.teams.update(
        p,
        teamId,
        serviceInput(body, ["team_id", "members_with_roles"]),
      );
      return { team_id: team.teamId, data: teamJson(team, await membersOf(ctx.cp.db, teamId)) };
    },
  },
  {
    method: "POST",
    path: "/team/delete",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const teamIds = requireStringList(body.team_ids, "team_ids");
      for (const teamId of teamIds) await ctx.cp.teams.get(p, teamId);
      for (const teamId of teamIds) await ctx.cp.teams.delete(p, teamId);
      return { deleted_teams: teamIds };
    },
  },
  {
    method: "POST",
    path: "/team/member_add",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const teamId = requireString(body.team_id, "team_id");
      const given = Array.isArray(body.member) ? body.member : [body.member];
      const members = given.map((m, i) =>
        member(m, Array.isArray(body.member) ? `member.${i}` : "member"),
      );
      const added: TeamMembership[] = [];
      for (const m of members)
        added.push(await ctx.cp.teams.addMember(p, teamId, m.userId, m.role));
      const team = await ctx.cp.teams.get(p, teamId);
      return {
        ...teamJson(team, await membersOf(ctx.cp.db, teamId)),
        updated_users: added.map((m) => ({ user_id: m.userId })),
        updated_team_memberships: added.map((m) => toWire(m)),
      };
    },
  },
  {
    method: "POST",
    path: "/team/member_delete",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const teamId = requireString(body.team_id, "team_id");
      await ctx.cp.teams.removeMember(p, teamId, requireString(body.user_id, "user_id"));
      return teamJson(await ctx.cp.teams.get(p, teamId), await membersOf(ctx.cp.db, teamId));
    },
  },
];

/** A team as LiteLLM shows it, with `members_with_roles` when the members were read. */
export function teamJson(team: Team, members?: TeamMembership[]): Record<string, unknown> {
  return {
    ...toWire(team),
    ...(members
      ? { members_with_roles: members.map((m) => ({ user_id: m.userId, role: m.role })) }
      : {}),
  };
}

/** A team's members (read only after the service allowed reading or changing the team). */
function membersOf(db: Db, teamId: string): Promise<TeamMembership[]> {
  return db.teamMembership.findMany({ where: { teamId }, orderBy: { userId: "asc" } });
}

function memberInput(m: unknown): unknown {
  return typeof m === "object" && m !== null && !Array.isArray(m)
    ? serviceInput(m as Record<string, unknown>)
    : m;
}

function member(raw: unknown, param: string): { userId: string; role: MemberRole } {
  const m = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const userId = requireString(m.user_id, `${param}.user_id`);
  const role = m.role ?? "user";
  if (role !== "admin" && role !== "user") {
    throw new InvalidInputError(`${param}.role must be "admin" or "user".`, [
      { path: `${param}.role`, message: "invalid" },
    ]);
  }
  return { userId, role };
}
