import type { PickScope } from "../eligibility.js";
import { eligible } from "../eligibility.js";
import type { GroupRuntime } from "../group-runtime.js";
import type { Strategy } from "./strategy.js";

/** Weighted draws tried before scanning: an ineligible draw is rejected and drawn again. */
const DRAWS = 4;

/**
 * Weighted random among the eligible (weight, else rpm, else tpm); zero weights share equally
 * when no eligible deployment has weight. A draw by bisection over the cumulative weights,
 * rejected when the deployment may not take the request (which keeps the distribution exact
 * among the eligible), costs O(log n); only when draws keep landing on ineligible ones does
 * the pick scan the level.
 */
export const simpleShuffle: Strategy = (g, from, to, scope) => {
  const base = g.cumulative[from]!;
  const total = g.cumulative[to]! - base;
  if (total > 0) {
    for (let k = 0; k < DRAWS; k++) {
      const i = bisect(g.cumulative, from, to, base + scope.random() * total);
      if (eligible(g, i, scope)) return i;
    }
  }
  return scan(g, from, to, scope);
};

/** The i in [from, to) with cumulative[i] <= r < cumulative[i + 1] (skipping zero weights). */
function bisect(cumulative: Float64Array, from: number, to: number, r: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid + 1]! <= r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function scan(g: GroupRuntime, from: number, to: number, scope: PickScope): number {
  let total = 0;
  let count = 0;
  let only = -1;
  for (let i = from; i < to; i++) {
    if (!eligible(g, i, scope)) continue;
    total += g.weights[i]!;
    count++;
    only = i;
  }
  if (count <= 1) return only;
  if (total <= 0) {
    let k = Math.floor(scope.random() * count);
    for (let i = from; i < to; i++) {
      if (eligible(g, i, scope) && k-- === 0) return i;
    }
    return only;
  }
  let r = scope.random() * total;
  for (let i = from; i < to; i++) {
    const w = g.weights[i]!;
    if (w <= 0 || !eligible(g, i, scope)) continue;
    r -= w;
    if (r < 0) return i;
  }
  return only;
}
