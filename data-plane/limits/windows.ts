/** Rate limits count per minute, in windows aligned to the clock (as LiteLLM's do). */
export const MINUTE_MS = 60_000;

export function minuteWindowEnd(now: number): number {
  return now - (now % MINUTE_MS) + MINUTE_MS;
}

// Budget windows are shared with the control plane, which rolls them in the database.
export { type BudgetWindow, budgetWindow } from "../../schema/budget-windows.js";
