import { addDuration } from "../../schema/durations.js";

/** Rate limits count per minute, in windows aligned to the clock (as LiteLLM's do). */
export const MINUTE_MS = 60_000;

export function minuteWindowEnd(now: number): number {
  return now - (now % MINUTE_MS) + MINUTE_MS;
}

/** A budget's current window: when it ends, and the spend the control plane knows for it. */
export interface BudgetWindow {
  end: number;
  seed: number;
}

/** Forever, for budgets without `budget_duration`. */
const NO_END = 8.64e15;

/**
 * The budget window `now` falls in. Windows of `duration` follow each other from
 * `resetAt` (the end of the window the control plane last reset, `budget_reset_at`);
 * `spend` belongs to that window only. Without a known `resetAt`, windows are counted
 * from the epoch. Without a duration the budget never resets.
 */
export function budgetWindow(
  now: number,
  duration: string | undefined,
  resetAt: number | undefined,
  spend: number,
): BudgetWindow {
  if (duration === undefined) return { end: NO_END, seed: spend };
  if (resetAt !== undefined && now < resetAt) return { end: resetAt, seed: spend };
  let end = addDuration(new Date(resetAt ?? 0), duration).getTime();
  const step = end - (resetAt ?? 0);
  if (step <= 0) return { end: NO_END, seed: spend };
  // Jump close with arithmetic (months are not all the same length: finish by stepping).
  if (end <= now) {
    const skip = Math.max(0, Math.floor((now - end) / step) - 1);
    if (!duration.trim().endsWith("mo")) end += skip * step;
    while (end <= now) end = addDuration(new Date(end), duration).getTime();
  }
  return { end, seed: resetAt === undefined ? spend : 0 };
}
