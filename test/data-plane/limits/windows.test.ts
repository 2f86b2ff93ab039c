import { describe, expect, it } from "vitest";
import { budgetWindow, minuteWindowEnd } from "../../../data-plane/limits/windows.js";

const T = Date.UTC(2026, 10, 25, 10, 30, 15);

describe("limit windows", () => {
  it("counts rates per clock minute", () => {
    expect(minuteWindowEnd(T)).toBe(Date.UTC(2026, 10, 25, 10, 31, 0));
  });

  it("keeps a budget without a duration for ever, with the spend the control plane knows", () => {
    expect(budgetWindow(T, undefined, undefined, 3)).toMatchObject({ seed: 3 });
    // A manual reset (budget_reset_at stamped) starts a new window, from zero spend.
    const reset = budgetWindow(T, undefined, T - 1000, 0);
    expect(reset.end).not.toBe(budgetWindow(T, undefined, undefined, 3).end);
  });

  it("uses the control plane's spend until budget_reset_at, and starts from zero after", () => {
    const resetAt = T + 5_000;
    expect(budgetWindow(T, "30s", resetAt, 2)).toEqual({ end: resetAt, seed: 2 });
    expect(budgetWindow(resetAt + 1, "30s", resetAt, 2)).toEqual({
      end: resetAt + 30_000,
      seed: 0,
    });
    // Many windows later: still aligned on budget_reset_at.
    expect(budgetWindow(resetAt + 95_000, "30s", resetAt, 2)).toEqual({
      end: resetAt + 120_000,
      seed: 0,
    });
  });

  it("steps calendar months for 1mo budgets", () => {
    const resetAt = Date.UTC(2026, 0, 31);
    const w = budgetWindow(Date.UTC(2026, 2, 10), "1mo", resetAt, 0);
    expect(new Date(w.end).toISOString()).toBe("2026-03-31T00:00:00.000Z");
    const feb = budgetWindow(Date.UTC(2026, 1, 10), "1mo", resetAt, 0);
    expect(new Date(feb.end).toISOString()).toBe("2026-02-28T00:00:00.000Z");
  });
});
