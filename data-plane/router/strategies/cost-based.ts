import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/** Cheapest per token (input + output price) among the eligible; ties to the least busy. */
export const costBased: Strategy = (g, from, to, scope) => {
  const n = to - from;
  const start = Math.floor(scope.random() * n);
  let best = -1;
  let cheapest = Number.POSITIVE_INFINITY;
  let fewest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    let i = from + start + k;
    if (i >= to) i -= n;
    const cost = g.costs[i]!;
    if (cost > cheapest) continue;
    const inFlight = g.loads[i]!.inFlight;
    if (cost === cheapest && inFlight >= fewest) continue;
    if (!eligible(g, i, scope)) continue;
    best = i;
    cheapest = cost;
    fewest = inFlight;
  }
  return best;
};
