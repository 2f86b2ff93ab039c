import { randomUUID } from "node:crypto";
import type { User } from "../../generated/sqlite/client.js";
import { ensure, requireProxyAdmin, requireReadAll } from "../auth/policy.js";
import { canReadAll, type Principal } from "../auth/principal.js";
import { audit } from "./audit.js";
import type { ServiceContext } from "./context.js";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.js";
import { parseInput, UserInput } from "./inputs.js";
import { isUniqueViolation } from "./keys.js";
import { limitColumns, mergedMetadata } from "./limits.js";
import { type Page, type PageRequest, pageArgs, toPage } from "./pagination.js";

export class UserService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(p: Principal, raw: unknown): Promise<User> {
    requireProxyAdmin(p, "create users");
    const input = parseInput(UserInput, raw);
    const userId = input.userId ?? randomUUID();
    const user = await this.ctx.db
      .$transaction(async (tx) => {
        const created = await tx.user.create({
          data: {
            userId,
            userEmail: input.userEmail ?? null,
            userRole: input.userRole ?? "internal_user",
            ...limitColumns(input, this.ctx.now()),
            ...mergedMetadata(undefined, input.metadata),
          },
        });
        await audit(tx, p, "user.create", "user", userId, null, created);
        return created;
      })
      .catch(
        conflict(
          `A user with id "${userId}"${input.userEmail ? ` or email "${input.userEmail}"` : ""} already exists.`,
        ),
      );
    await this.ctx.changed("user.create", { users: [userId] });
    return user;
  }

  /** Creates or updates a user (the config file's `user_config` at start). Idempotent. */
  async upsert(p: Principal, raw: unknown): Promise<User> {
    const input = parseInput(UserInput, raw);
    if (!input.userId)
      throw new InvalidInputError("userId is required", [{ path: "userId", message: "required" }]);
    let existing = await this.ctx.db.user.findUnique({ where: { userId: input.userId } });
    if (existing === null) {
      try {
        return await this.create(p, input);
      } catch (err) {
        // Another instance starting at the same moment created it first: update instead.
        if (!(err instanceof ConflictError)) throw err;
        existing = await this.ctx.db.user.findUnique({ where: { userId: input.userId } });
        if (existing === null) throw err;
      }
    }
    // Only what differs is written: a restart must not move a budget window or spam the audit log.
    const changed = Object.fromEntries(
      Object.entries(input).filter(([k, v]) => v !== undefined && !sameAsStored(existing, k, v)),
    );
    if (Object.keys(changed).length === 0) return existing;
    return this.update(p, input.userId, changed);
  }

  async update(p: Principal, userId: string, raw: unknown): Promise<User> {
    requireProxyAdmin(p, "change users");
    const input = parseInput(UserInput, raw);
    const before = await this.find(userId);
    const after = await this.ctx.db
      .$transaction(async (tx) => {
        const updated = await tx.user.update({
          where: { userId },
          data: {
            ...(input.userEmail !== undefined ? { userEmail: input.userEmail } : {}),
            ...(input.userRole ? { userRole: input.userRole } : {}),
            ...limitColumns(input, this.ctx.now()),
            ...mergedMetadata(before.metadata, input.metadata),
          },
        });
        await audit(tx, p, "user.update", "user", userId, before, updated);
        return updated;
      })
      .catch(conflict(`Another user already has email "${input.userEmail ?? ""}".`));
    await this.ctx.changed("user.update", { users: [userId] });
    return after;
  }

  async delete(p: Principal, userId: string): Promise<User> {
    requireProxyAdmin(p, "delete users");
    const before = await this.find(userId);
    await this.ctx.db.$transaction(async (tx) => {
      // The user's keys go with the user: a key must not outlive the person it was for.
      await tx.virtualKey.deleteMany({ where: { userId } });
      await tx.user.delete({ where: { userId } });
      await audit(tx, p, "user.delete", "user", userId, before, null);
    });
    await this.ctx.changed("user.delete", { users: [userId] });
    return before;
  }

  async get(p: Principal, userId: string): Promise<User> {
    ensure(canReadAll(p) || p.userId === userId, "You may only read your own user.");
    return this.find(userId);
  }

  async list(
    p: Principal,
    filter: { role?: string | null },
    page: PageRequest,
  ): Promise<Page<User>> {
    requireReadAll(p, "list users");
    const { first, ...args } = pageArgs(page, "userId");
    const rows = await this.ctx.db.user.findMany({
      where: filter.role ? { userRole: filter.role } : {},
      ...args,
    });
    return toPage(rows, first, (u) => u.userId);
  }

  private async find(userId: string): Promise<User> {
    const user = await this.ctx.db.user.findUnique({ where: { userId } });
    if (user === null) throw new NotFoundError(`User ${userId} not found.`);
    return user;
  }
}

export function conflict(message: string) {
  return (err: unknown): never => {
    if (isUniqueViolation(err)) throw new ConflictError(message);
    throw err;
  };
}

function sameAsStored(user: User, field: string, value: unknown): boolean {
  const stored = (user as unknown as Record<string, unknown>)[field];
  if (field === "models") return JSON.stringify(value ?? []) === user.models;
  if (field === "metadata") return JSON.stringify(value ?? {}) === user.metadata;
  return stored === value;
}
