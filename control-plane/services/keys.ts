import { hash, randomBytes } from "node:crypto";
import type { Prisma, VirtualKey } from "../../generated/sqlite/client.js";
import { addDuration } from "../../schema/durations.js";
import { canManageKey, canReadKey, ensure } from "../auth/policy.js";
import { canReadAll, isProxyAdmin, type Principal } from "../auth/principal.js";
import type { ServiceContext } from "./context.js";
import { audit } from "./audit.js";
import { ConflictError, NotFoundError } from "./errors.js";
import { GenerateKeyInput, RegenerateKeyInput, UpdateKeyInput, parseInput } from "./inputs.js";
import { type Page, type PageRequest, pageArgs, toPage } from "./pagination.js";

export interface GeneratedKey {
  /** The plaintext key: shown once, never stored. */
  key: string;
  record: VirtualKey;
}

export interface KeyFilter {
  userId?: string | null;
  teamId?: string | null;
  keyAlias?: string | null;
}

/** A new key: `sk-` and 32 URL-safe characters (192 random bits). */
export function newKeyPlaintext(): string {
  return `sk-${randomBytes(24).toString("base64url")}`;
}

export function tokenHash(key: string): string {
  return hash("sha256", key, "hex");
}

/** How a key is shown after creation: `sk-...abcd`. */
export function keyName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

export class KeyService {
  constructor(private readonly ctx: ServiceContext) {}

  async generate(p: Principal, raw: unknown): Promise<GeneratedKey> {
    const input = parseInput(GenerateKeyInput, raw);
    const userId = input.userId ?? (p.kind === "master" ? null : (p.userId ?? null));
    const teamId = input.teamId ?? null;
    ensure(
      p.role !== "proxy_admin_viewer" && p.role !== "internal_user_viewer" && p.kind !== "key",
      "Viewers and keys without a user may not create keys.",
    );
    ensure(
      // A team key draws on the team's budget and models: its own user is not enough.
      teamId !== null
        ? isProxyAdmin(p) || p.teamAdminOf.has(teamId)
        : canManageKey(p, { userId, teamId }),
      teamId !== null
        ? `Only a proxy admin or an admin of team ${teamId} may create keys for it.`
        : "You may only create keys for yourself.",
    );
    await this.assertRefsExist(userId, teamId);
    const key = newKeyPlaintext();
    const now = this.ctx.now();
    const record = await this.ctx.db
      .$transaction(async (tx) => {
        const created = await tx.virtualKey.create({
          data: {
            token: tokenHash(key),
            keyName: keyName(key),
            userId,
            teamId,
            createdBy: p.actor,
            ...this.fields(input, now),
          },
        });
        await audit(tx, p, "key.generate", "key", created.id, null, created);
        return created;
      })
      .catch(uniqueAlias(input.keyAlias));
    await this.ctx.changed("key.generate", { keys: [record.id] });
    return { key, record };
  }

  async update(p: Principal, id: string, raw: unknown): Promise<VirtualKey> {
    const input = parseInput(UpdateKeyInput, raw);
    const before = await this.manageable(p, id);
    if (input.userId !== undefined || input.teamId !== undefined) {
      ensure(isProxyAdmin(p), "Only a proxy admin may move a key to another user or team.");
      await this.assertRefsExist(input.userId ?? null, input.teamId ?? null);
    }
    const after = await this.ctx.db
      .$transaction(async (tx) => {
        const updated = await tx.virtualKey.update({
          where: { id },
          data: {
            ...(input.userId !== undefined ? { userId: input.userId } : {}),
            ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
            ...this.fields(input, this.ctx.now(), before),
          },
        });
        await audit(tx, p, "key.update", "key", id, before, updated);
        return updated;
      })
      .catch(uniqueAlias(input.keyAlias));
    await this.ctx.changed("key.update", { keys: [id] });
    return after;
  }

  /** A new plaintext for the same key; the old one keeps working for `gracePeriod`, if given. */
  async regenerate(p: Principal, id: string, raw: unknown): Promise<GeneratedKey> {
    const input = parseInput(RegenerateKeyInput, raw);
    const before = await this.manageable(p, id);
    const key = newKeyPlaintext();
    const now = this.ctx.now();
    const record = await this.ctx.db.$transaction(async (tx) => {
      const updated = await tx.virtualKey.update({
        where: { id },
        data: {
          token: tokenHash(key),
          keyName: keyName(key),
          previousToken: input.gracePeriod ? before.token : null,
          previousTokenExpires: input.gracePeriod ? addDuration(now, input.gracePeriod) : null,
        },
      });
      await audit(tx, p, "key.regenerate", "key", id, before, updated);
      return updated;
    });
    await this.ctx.changed("key.regenerate", { keys: [id] });
    return { key, record };
  }

  async delete(p: Principal, id: string): Promise<VirtualKey> {
    const before = await this.manageable(p, id);
    await this.ctx.db.$transaction(async (tx) => {
      await tx.virtualKey.delete({ where: { id } });
      await audit(tx, p, "key.delete", "key", id, before, null);
    });
    await this.ctx.changed("key.delete", { keys: [id] });
    return before;
  }

  async setBlocked(p: Principal, id: string, blocked: boolean): Promise<VirtualKey> {
    const before = await this.manageable(p, id);
    const after = await this.ctx.db.$transaction(async (tx) => {
      const updated = await tx.virtualKey.update({ where: { id }, data: { blocked } });
      await audit(tx, p, blocked ? "key.block" : "key.unblock", "key", id, before, updated);
      return updated;
    });
    await this.ctx.changed(blocked ? "key.block" : "key.unblock", { keys: [id] });
    return after;
  }

  async get(p: Principal, id: string): Promise<VirtualKey> {
    const key = await this.ctx.db.virtualKey.findUnique({ where: { id } });
    if (key === null || !canReadKey(p, key)) throw new NotFoundError(`Key ${id} not found.`);
    return key;
  }

  /** Finds a key by its plaintext or its hash (LiteLLM's REST takes either). */
  async findByKeyOrHash(p: Principal, keyOrHash: string): Promise<VirtualKey> {
    const token = /^[0-9a-f]{64}$/.test(keyOrHash) ? keyOrHash : tokenHash(keyOrHash);
    const key = await this.ctx.db.virtualKey.findUnique({ where: { token } });
    if (key === null || !canReadKey(p, key)) throw new NotFoundError("Key not found.");
    return key;
  }

  async list(p: Principal, filter: KeyFilter, page: PageRequest): Promise<Page<VirtualKey>> {
    const where: Prisma.VirtualKeyWhereInput = {
      ...(filter.userId ? { userId: filter.userId } : {}),
      ...(filter.teamId ? { teamId: filter.teamId } : {}),
      ...(filter.keyAlias ? { keyAlias: filter.keyAlias } : {}),
    };
    if (!canReadAll(p)) {
      // Own keys, and the keys of teams the caller administers.
      where.OR = [
        ...(p.userId !== undefined ? [{ userId: p.userId }] : []),
        ...(p.keyId !== undefined ? [{ id: p.keyId }] : []),
        ...(p.teamAdminOf.size > 0 ? [{ teamId: { in: [...p.teamAdminOf] } }] : []),
      ];
      if (where.OR.length === 0) return { nodes: [], hasNextPage: false, endCursor: null };
    }
    const { first, ...args } = pageArgs(page, "id");
    const rows = await this.ctx.db.virtualKey.findMany({ where, ...args });
    return toPage(rows, first, (k) => k.id);
  }

  private async manageable(p: Principal, id: string): Promise<VirtualKey> {
    const key = await this.ctx.db.virtualKey.findUnique({ where: { id } });
    if (key === null || !canReadKey(p, key)) throw new NotFoundError(`Key ${id} not found.`);
    ensure(canManageKey(p, key), `You may not change key ${key.keyName}.`);
    return key;
  }

  private async assertRefsExist(userId: string | null, teamId: string | null): Promise<void> {
    if (userId !== null && (await this.ctx.db.user.findUnique({ where: { userId } })) === null) {
      throw new NotFoundError(`User ${userId} not found.`);
    }
    if (teamId !== null && (await this.ctx.db.team.findUnique({ where: { teamId } })) === null) {
      throw new NotFoundError(`Team ${teamId} not found.`);
    }
  }

  /** The columns an input sets (absent = unchanged; null = cleared). */
  private fields(input: GenerateKeyInput, now: Date, before?: VirtualKey) {
    const expires =
      input.duration !== undefined && input.duration !== null
        ? addDuration(now, input.duration)
        : input.expires;
    const budgetDuration = input.budgetDuration;
    return {
      ...(input.keyAlias !== undefined ? { keyAlias: input.keyAlias } : {}),
      ...(input.models !== undefined ? { models: JSON.stringify(input.models ?? []) } : {}),
      ...(input.maxBudget !== undefined ? { maxBudget: input.maxBudget } : {}),
      ...(input.softBudget !== undefined ? { softBudget: input.softBudget } : {}),
      ...(budgetDuration !== undefined
        ? {
            budgetDuration,
            budgetResetAt: budgetDuration === null ? null : addDuration(now, budgetDuration),
          }
        : {}),
      ...(input.rpmLimit !== undefined ? { rpmLimit: input.rpmLimit } : {}),
      ...(input.tpmLimit !== undefined ? { tpmLimit: input.tpmLimit } : {}),
      ...(input.maxParallelRequests !== undefined
        ? { maxParallelRequests: input.maxParallelRequests }
        : {}),
      ...(expires !== undefined || input.duration === null ? { expires: expires ?? null } : {}),
      ...(input.blocked !== undefined && input.blocked !== null ? { blocked: input.blocked } : {}),
      ...(input.metadata !== undefined
        ? {
            metadata: JSON.stringify({
              ...(before ? JSON.parse(before.metadata) : {}),
              ...(input.metadata ?? {}),
            }),
          }
        : {}),
    };
  }
}

/** A unique-constraint failure on the alias becomes a typed conflict. */
function uniqueAlias(alias: string | null | undefined) {
  return (err: unknown): never => {
    if (isUniqueViolation(err))
      throw new ConflictError(`A key with alias "${alias}" already exists.`);
    throw err;
  };
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
