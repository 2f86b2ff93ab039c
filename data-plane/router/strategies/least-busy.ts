import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/** Fewest requests in flight on this node; ties go to whoever comes first from a random start. */
export const leastBusy: Strategy = (g, from, to, scope) => {
  const n = to - from;
  const start = Math.floor(scope.random() * n);
  let best = -1;
  let fewest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    let i = from + start + k;
    if (i >= to) i -= n;
    const inFlight = g.loads[i]!.inFlight;
    if (inFlight < fewest && eligible(g, i, scope)) {
      best = i;
      fewest = inFlight;
      if (inFlight === 0) break;
    }
  }
  return best;
};
