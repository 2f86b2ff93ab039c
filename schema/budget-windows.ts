import { addDuration } from "./durations.js";

/**
 * Budget windows, as both planes count them: nodes enforce a budget per window, and the
 * control plane rolls `spend` and `budget_reset_at` in the database from one window to the
 * next. Both must step windows alike, or a roll would move a node's window.
 */

/** A budget's current window: when it ends, and the spend the control plane knows for it. */
export interface BudgetWindow {
  end: number;
  seed: number;
}

/** Forever, for budgets without `budget_duration`. */
export const NO_END = 8.64e15;

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
  const bounds = windowAfter(now, duration, resetAt ?? 0);
  if (bounds === undefined) return { end: NO_END, seed: spend };
  return { end: bounds.end, seed: resetAt === undefined ? spend : 0 };
}

/** A window's bounds, in epoch ms: from `start` (included) to `end` (excluded). */
export interface WindowBounds {
  start: number;
  end: number;
}

/**
 * The window of `duration` that `now` falls in, windows following each other from
 * `anchor` (`now` at or after it); undefined for a duration that never ends (`0s`, `0mo`).
 */
export function windowAfter(
  now: number,
  duration: string,
  anchor: number,
): WindowBounds | undefined {
  const months = MONTHS.exec(duration.trim());
  if (months !== null) {
    const n = Number(months[1]);
    if (n <= 0) return undefined;
    // Counted from the anchor each time, so that a window ending on the 31st stays there.
    for (let k = n; ; k += n) {
      const end = addMonthsClamped(anchor, k);
      if (end > now) return { start: addMonthsClamped(anchor, k - n), end };
    }
  }
  const step = addDuration(new Date(anchor), duration).getTime() - anchor;
  if (step <= 0) return undefined;
  const end = anchor + (Math.floor((now - anchor) / step) + 1) * step;
  return { start: end - step, end };
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
