import { randomUUID } from "node:crypto";
import type { Team, TeamMembership } from "../../generated/sqlite/client.js";
import { canManageTeamMembers, ensure, requireProxyAdmin } from "../auth/policy.js";
import { canReadAll, isProxyAdmin, type Principal } from "../auth/principal.js";
import { audit } from "./audit.js";
import type { ServiceContext } from "./context.js";
import { NotFoundError } from "./errors.js";
import { parseInput, TeamInput } from "./inputs.js";
import { limitColumns, mergedMetadata } from "./limits.js";
import { type Page, type PageRequest, pageArgs, toPage } from "./pagination.js";
import { conflict } from "./users.js";

export type MemberRole = "admin" | "user";

export class TeamService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(p: Principal, raw: unknown): Promise<Team> {
    requireProxyAdmin(p, "create teams");
    const input = parseInput(TeamInput, raw);
    const teamId = input.teamId ?? randomUUID();
    await this.assertOrganization(input.organizationId);
    await this.assertUsers((input.members ?? []).map((m) => m.userId));
    const team = await this.ctx.db
      .$transaction(async (tx) => {
        const created = await tx.team.create({
          data: {
            teamId,
            teamAlias: input.teamAlias ?? null,
            organizationId: input.organizationId ?? null,
            blocked: input.blocked ?? false,
            ...limitColumns(input, this.ctx.now()),
            ...mergedMetadata(undefined, input.metadata),
            members: {
              create: (input.members ?? []).map((m) => ({ userId: m.userId, role: m.role })),
            },
          },
        });
        await audit(tx, p, "team.create", "team", teamId, null, created);
        return created;
      })
      .catch(
        conflict(`A team with id "${teamId}" or alias "${input.teamAlias ?? ""}" already exists.`),
      );
    await this.ctx.changed("team.create", { teams: [teamId] });
    return team;
  }

  async update(p: Principal, teamId: string, raw: unknown): Promise<Team> {
    requireProxyAdmin(p, "change teams");
    const input = parseInput(TeamInput, raw);
    const before = await this.find(teamId);
    if (input.organizationId !== undefined) await this.assertOrganization(input.organizationId);
    const after = await this.ctx.db
      .$transaction(async (tx) => {
        const updated = await tx.team.update({
          where: { teamId },
          data: {
            ...(input.teamAlias !== undefined ? { teamAlias: input.teamAlias } : {}),
            ...(input.organizationId !== undefined ? { organizationId: input.organizationId } : {}),
            ...(input.blocked !== undefined && input.blocked !== null
              ? { blocked: input.blocked }
              : {}),
            ...limitColumns(input, this.ctx.now()),
            ...mergedMetadata(before.metadata, input.metadata),
          },
        });
        await audit(tx, p, "team.update", "team", teamId, before, updated);
        return updated;
      })
      .catch(conflict(`Another team already has alias "${input.teamAlias ?? ""}".`));
    await this.ctx.changed("team.update", { teams: [teamId] });
    return after;
  }

  async delete(p: Principal, teamId: string): Promise<Team> {
    requireProxyAdmin(p, "delete teams");
    const before = await this.find(teamId);
    await this.ctx.db.$transaction(async (tx) => {
      // A team's keys stop working with the team.
      await tx.virtualKey.deleteMany({ where: { teamId } });
      await tx.team.delete({ where: { teamId } });
      await audit(tx, p, "team.delete", "team", teamId, before, null);
    });
    await this.ctx.changed("team.delete", { teams: [teamId] });
    return before;
  }

  async addMember(
    p: Principal,
    teamId: string,
    userId: string,
    role: MemberRole = "user",
  ): Promise<TeamMembership> {
    ensure(
      canManageTeamMembers(p, teamId),
      `Only a proxy admin or an admin of team ${teamId} may change its members.`,
    );
    await this.find(teamId);
    await this.assertUsers([userId]);
    ensure(
      role !== "admin" || isProxyAdmin(p) || p.teamAdminOf.has(teamId),
      "You may not make team admins.",
    );
    const membership = await this.ctx.db.$transaction(async (tx) => {
      const m = await tx.teamMembership.upsert({
        where: { teamId_userId: { teamId, userId } },
        create: { teamId, userId, role },
        update: { role },
      });
      await audit(tx, p, "team.member.add", "team", teamId, null, m);
      return m;
    });
    await this.ctx.changed("team.member.add", {});
    return membership;
  }

  async removeMember(p: Principal, teamId: string, userId: string): Promise<TeamMembership> {
    ensure(
      canManageTeamMembers(p, teamId),
      `Only a proxy admin or an admin of team ${teamId} may change its members.`,
    );
    const existing = await this.ctx.db.teamMembership.findUnique({
      where: { teamId_userId: { teamId, userId } },
    });
    if (existing === null)
      throw new NotFoundError(`User ${userId} is not a member of team ${teamId}.`);
    await this.ctx.db.$transaction(async (tx) => {
      await tx.teamMembership.delete({ where: { teamId_userId: { teamId, userId } } });
      await audit(tx, p, "team.member.remove", "team", teamId, existing, null);
    });
    await this.ctx.changed("team.member.remove", {});
    return existing;
  }

  async get(p: Principal, teamId: string): Promise<Team> {
    const team = await this.find(teamId);
    if (!canReadAll(p) && !(await this.isMember(p, teamId)))
      throw new NotFoundError(`Team ${teamId} not found.`);
    return team;
  }

  async list(p: Principal, page: PageRequest): Promise<Page<Team>> {
    const { first, ...args } = pageArgs(page, "teamId");
    const where = canReadAll(p) ? {} : { members: { some: { userId: p.userId ?? "\u0000" } } };
    const rows = await this.ctx.db.team.findMany({ where, ...args });
    return toPage(rows, first, (t) => t.teamId);
  }

  private async isMember(p: Principal, teamId: string): Promise<boolean> {
    if (p.userId === undefined) return false;
    const m = await this.ctx.db.teamMembership.findUnique({
      where: { teamId_userId: { teamId, userId: p.userId } },
    });
    return m !== null;
  }

  private async find(teamId: string): Promise<Team> {
    const team = await this.ctx.db.team.findUnique({ where: { teamId } });
    if (team === null) throw new NotFoundError(`Team ${teamId} not found.`);
    return team;
  }

  private async assertOrganization(organizationId: string | null | undefined): Promise<void> {
    if (!organizationId) return;
    const org = await this.ctx.db.organization.findUnique({ where: { organizationId } });
    if (org === null) throw new NotFoundError(`Organization ${organizationId} not found.`);
  }

  private async assertUsers(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const found = await this.ctx.db.user.findMany({
      where: { userId: { in: userIds } },
      select: { userId: true },
    });
    const missing = userIds.filter((id) => !found.some((u) => u.userId === id));
    if (missing.length > 0) throw new NotFoundError(`User(s) not found: ${missing.join(", ")}.`);
  }
}
