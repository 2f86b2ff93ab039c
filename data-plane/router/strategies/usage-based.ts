import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/**
 * Most headroom against the deployment's own rpm/tpm this minute (the larger of the two
 * shares used); deployments without limits count as unused, and ties go to the one with
 * fewer requests this minute.
 */
export const usageBased: Strategy = (g, from, to, scope) => {
  const n = to - from;
  const start = Math.floor(scope.random() * n);
  let best = -1;
  let bestUsed = Number.POSITIVE_INFINITY;
  let bestRequests = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    let i = from + start + k;
    if (i >= to) i -= n;
    const load = g.loads[i]!;
    const perRequest = g.perRequest[i]!;
    const perToken = g.perToken[i]!;
    let used = 0;
    if (perRequest > 0 || perToken > 0) {
      load.roll(scope.minute);
      used = Math.max(load.requests * perRequest, load.tokens * perToken);
    }
    if (used > bestUsed || (used === bestUsed && load.requests >= bestRequests)) continue;
    if (!eligible(g, i, scope)) continue;
    best = i;
    bestUsed = used;
    bestRequests = load.requests;
  }
  return best;
};
