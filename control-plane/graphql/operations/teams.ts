import { builder } from "../builder.js";
import { CreateTeamInputRef, UpdateTeamInputRef } from "../inputs.js";
import { connection, pageArgs } from "../types/pagination.js";
import { TeamRef } from "../types/team.js";
import { TeamMemberRef, TeamRoleEnum } from "../types/team-member.js";

const TeamConnection = connection("Team", TeamRef);

builder.queryFields((t) => ({
  teams: t.field({
    nullable: true,
    type: TeamConnection,
    description: "Admins and viewers see every team; others the teams they belong to.",
    authScopes: { authenticated: true },
    args: pageArgs,
    resolve: async (_root, { first, after }, ctx) =>
      ctx.cp.teams.list(await ctx.principal(), { first, after }),
  }),
  team: t.field({
    type: TeamRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { teamId: t.arg.string({ required: true }) },
    resolve: async (_root, { teamId }, ctx) => ctx.cp.teams.get(await ctx.principal(), teamId),
  }),
}));

builder.mutationFields((t) => ({
  createTeam: t.field({
    type: TeamRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: { input: t.arg({ type: CreateTeamInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.cp.teams.create(await ctx.principal(), input),
  }),
  updateTeam: t.field({
    type: TeamRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: {
      teamId: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateTeamInputRef, required: true }),
    },
    resolve: async (_root, { teamId, input }, ctx) =>
      ctx.cp.teams.update(await ctx.principal(), teamId, input),
  }),
  deleteTeam: t.field({
    type: TeamRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    description: "Deletes the team and the team's keys.",
    args: { teamId: t.arg.string({ required: true }) },
    resolve: async (_root, { teamId }, ctx) => ctx.cp.teams.delete(await ctx.principal(), teamId),
  }),
  // Team admins manage their own team's members; the service checks which team.
  addTeamMember: t.field({
    type: TeamMemberRef,
    errors: {},
    authScopes: { authenticated: true },
    args: {
      teamId: t.arg.string({ required: true }),
      userId: t.arg.string({ required: true }),
      role: t.arg({ type: TeamRoleEnum, defaultValue: "user" }),
    },
    resolve: async (_root, { teamId, userId, role }, ctx) =>
      ctx.cp.teams.addMember(await ctx.principal(), teamId, userId, role ?? "user"),
  }),
  removeTeamMember: t.field({
    type: TeamMemberRef,
    errors: {},
    authScopes: { authenticated: true },
    args: {
      teamId: t.arg.string({ required: true }),
      userId: t.arg.string({ required: true }),
    },
    resolve: async (_root, { teamId, userId }, ctx) =>
      ctx.cp.teams.removeMember(await ctx.principal(), teamId, userId),
  }),
}));
