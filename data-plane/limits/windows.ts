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
 * from the epoch. Without a duration the budget never resets on its own.
 */
export function budgetWindow(
  now: number,
  duration: string | undefined,
  resetAt: number | undefined,
  spend: number,
): BudgetWindow {
  // A budget that never resets: one window, but a manual reset (which stamps
  // budget_reset_at) starts a new one.
  if (duration === undefined) return { end: NO_END + (resetAt ?? 0), seed: spend };
  if (resetAt !== undefined && now < resetAt) return { end: resetAt, seed: spend };
  const anchor = resetAt ?? 0;
  const seed = resetAt === undefined ? spend : 0;
  const months = MONTHS.exec(duration.trim());
  if (months !== null) {
    const n = Number(months[1]);
    if (n <= 0) return { end: NO_END, seed: spend };
    // Counted from the anchor each time, so that a window ending on the 31st stays there.
    for (let k = n; ; k += n) {
      const end = addMonthsClamped(anchor, k);
      if (end > now) return { end, seed };
    }
  }
  const step = addDuration(new Date(anchor), duration).getTime() - anchor;
  if (step <= 0) return { end: NO_END, seed: spend };
  return { end: anchor + (Math.floor((now - anchor) / step) + 1) * step, seed };
}

const MONTHS = /^(\d+)\s*mo$/;

/** `at` plus `k` calendar months, on the same day or the month's last day if shorter. */
function addMonthsClamped(at: number, k: number): number {
  const d = new Date(at);
  const month = d.getUTCMonth() + k;
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), month + 1, 0)).getUTCDate();
  return Date.UTC(
    d.getUTCFullYear(),
    month,
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}
