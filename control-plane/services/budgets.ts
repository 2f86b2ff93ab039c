import { addDuration } from "../../schema/durations.js";
import { requireProxyAdmin } from "../auth/policy.js";
import type { Principal } from "../auth/principal.js";
import { audit } from "./audit.js";
import type { ChangeRefs, ServiceContext } from "./context.js";
import { NotFoundError } from "./errors.js";
import { BudgetInput, parseInput } from "./inputs.js";
import { limitColumns } from "./limits.js";

export type BudgetTarget = "key" | "user" | "team" | "organization";

export interface BudgetState {
  target: BudgetTarget;
  id: string;
  spend: number;
  maxBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
}

/** Budgets and spend resets for keys, users, teams and organizations (proxy admins). */
export class BudgetService {
  constructor(private readonly ctx: ServiceContext) {}

  async update(p: Principal, target: BudgetTarget, id: string, raw: unknown): Promise<BudgetState> {
    requireProxyAdmin(p, "change budgets");
    const input = parseInput(BudgetInput, raw);
    const columns = limitColumns(
      {
        maxBudget: input.maxBudget,
        softBudget: input.softBudget,
        budgetDuration: input.budgetDuration,
      },
      this.ctx.now(),
      { softBudget: target === "key" },
    );
    return this.write(p, target, id, "budget.update", columns);
  }

  /**
   * Spend back to 0, and a new budget window from now: `budget_reset_at` becomes the new
   * window's end (now + duration), or now for a budget without one, so nodes start counting
   * afresh.
   */
  async resetSpend(p: Principal, target: BudgetTarget, id: string): Promise<BudgetState> {
    requireProxyAdmin(p, "reset spend");
    const now = this.ctx.now();
    return this.write(p, target, id, "budget.reset_spend", (before) => ({
      spend: 0,
      budgetResetAt: before.budgetDuration === null ? now : addDuration(now, before.budgetDuration),
    }));
  }

  private async write(
    p: Principal,
    target: BudgetTarget,
    id: string,
    action: string,
    change:
      | Record<string, unknown>
      | ((before: { budgetDuration: string | null }) => Record<string, unknown>),
  ): Promise<BudgetState> {
    const state = await this.ctx.db.$transaction(async (tx) => {
      const before = await read(tx, target, id);
      if (before === null) throw new NotFoundError(`${target} ${id} not found.`);
      const data = typeof change === "function" ? change(before) : change;
      const after =
        target === "key"
          ? await tx.virtualKey.update({ where: { id }, data })
          : target === "user"
            ? await tx.user.update({ where: { userId: id }, data })
            : target === "team"
              ? await tx.team.update({ where: { teamId: id }, data })
              : await tx.organization.update({ where: { organizationId: id }, data });
      await audit(tx, p, action, target, id, before, after);
      return {
        target,
        id,
        spend: after.spend,
        maxBudget: after.maxBudget,
        budgetDuration: after.budgetDuration,
        budgetResetAt: after.budgetResetAt,
      };
    });
    await this.ctx.changed(action, refsOf(target, id));
    return state;
  }
}

type Reader = Parameters<Parameters<ServiceContext["db"]["$transaction"]>[0]>[0];

function read(tx: Reader, target: BudgetTarget, id: string) {
  switch (target) {
    case "key":
      return tx.virtualKey.findUnique({ where: { id } });
    case "user":
      return tx.user.findUnique({ where: { userId: id } });
    case "team":
      return tx.team.findUnique({ where: { teamId: id } });
    case "organization":
      return tx.organization.findUnique({ where: { organizationId: id } });
  }
}

/** What a budget change touches in the snapshot. */
function refsOf(target: BudgetTarget, id: string): ChangeRefs {
  if (target === "key") return { keys: [id] };
  if (target === "user") return { users: [id] };
  if (target === "team") return { teams: [id] };
  return { organizations: [id] };
}
