import { randomUUID } from "node:crypto";
import type { Organization } from "../../generated/sqlite/client.js";
import { requireProxyAdmin, requireReadAll } from "../auth/policy.js";
import type { Principal } from "../auth/principal.js";
import { audit } from "./audit.js";
import type { ServiceContext } from "./context.js";
import { InvalidInputError, NotFoundError } from "./errors.js";
import { OrganizationInput, parseInput } from "./inputs.js";
import { limitColumns, mergedMetadata } from "./limits.js";
import { type Page, type PageRequest, pageArgs, toPage } from "./pagination.js";
import { conflict } from "./users.js";

export class OrganizationService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(p: Principal, raw: unknown): Promise<Organization> {
    requireProxyAdmin(p, "create organizations");
    const input = parseInput(OrganizationInput, raw);
    if (!input.organizationAlias) {
      throw new InvalidInputError("organizationAlias is required", [
        { path: "organizationAlias", message: "required" },
      ]);
    }
    const organizationId = input.organizationId ?? randomUUID();
    const org = await this.ctx.db
      .$transaction(async (tx) => {
        const created = await tx.organization.create({
          data: {
            organizationId,
            organizationAlias: input.organizationAlias ?? organizationId,
            ...limitColumns(input, this.ctx.now(), { parallel: false }),
            ...mergedMetadata(undefined, input.metadata),
          },
        });
        await audit(tx, p, "organization.create", "organization", organizationId, null, created);
        return created;
      })
      .catch(conflict(`An organization "${input.organizationAlias}" already exists.`));
    await this.ctx.changed("organization.create", { organizations: [organizationId] });
    return org;
  }

  async update(p: Principal, organizationId: string, raw: unknown): Promise<Organization> {
    requireProxyAdmin(p, "change organizations");
    const input = parseInput(OrganizationInput, raw);
    const before = await this.get(p, organizationId);
    const after = await this.ctx.db
      .$transaction(async (tx) => {
        const updated = await tx.organization.update({
          where: { organizationId },
          data: {
            ...(input.organizationAlias ? { organizationAlias: input.organizationAlias } : {}),
            ...limitColumns(input, this.ctx.now(), { parallel: false }),
            ...mergedMetadata(before.metadata, input.metadata),
          },
        });
        await audit(tx, p, "organization.update", "organization", organizationId, before, updated);
        return updated;
      })
      .catch(conflict(`An organization "${input.organizationAlias}" already exists.`));
    await this.ctx.changed("organization.update", { organizations: [organizationId] });
    return after;
  }

  async delete(p: Principal, organizationId: string): Promise<Organization> {
    requireProxyAdmin(p, "delete organizations");
    const before = await this.get(p, organizationId);
    const teams = await this.ctx.db.team.findMany({
      where: { organizationId },
      select: { teamId: true },
    });
    await this.ctx.db.$transaction(async (tx) => {
      await tx.organization.delete({ where: { organizationId } });
      await audit(tx, p, "organization.delete", "organization", organizationId, before, null);
    });
    // Its teams stay, without an organization.
    await this.ctx.changed("organization.delete", {
      organizations: [organizationId],
      teams: teams.map((t) => t.teamId),
    });
    return before;
  }

  async get(p: Principal, organizationId: string): Promise<Organization> {
    requireReadAll(p, "read organizations");
    const org = await this.ctx.db.organization.findUnique({ where: { organizationId } });
    if (org === null) throw new NotFoundError(`Organization ${organizationId} not found.`);
    return org;
  }

  async list(p: Principal, page: PageRequest): Promise<Page<Organization>> {
    requireReadAll(p, "list organizations");
    const { first, ...args } = pageArgs(page, "organizationId");
    const rows = await this.ctx.db.organization.findMany(args);
    return toPage(rows, first, (o) => o.organizationId);
  }
}
