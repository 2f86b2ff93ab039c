import type { BudgetState, BudgetTarget } from "../../services/budgets.js";
import { builder } from "../builder.js";

/** What is left of a budget in its current window; null when there is no budget. */
export function remainingBudget(row: { maxBudget: number | null; spend: number }): number | null {
  return row.maxBudget === null ? null : Math.max(0, row.maxBudget - row.spend);
}

export const BudgetTargetEnum = builder.enumType("BudgetTarget", {
  values: {
    KEY: { value: "key" },
    USER: { value: "user" },
    TEAM: { value: "team" },
    ORGANIZATION: { value: "organization" },
  } as const satisfies Record<string, { value: BudgetTarget }>,
});

export const BudgetStateRef = builder.objectRef<BudgetState>("BudgetState").implement({
  description: "A key's, user's, team's or organization's budget after a change.",
  fields: (t) => ({
    target: t.field({ type: BudgetTargetEnum, resolve: (b) => b.target }),
    id: t.exposeString("id"),
    spend: t.exposeFloat("spend"),
    maxBudget: t.exposeFloat("maxBudget", { nullable: true }),
    remainingBudget: t.float({ nullable: true, resolve: remainingBudget }),
    budgetDuration: t.exposeString("budgetDuration", { nullable: true }),
    budgetResetAt: t.expose("budgetResetAt", { type: "DateTime", nullable: true }),
  }),
});
