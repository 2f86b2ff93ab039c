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
    const i = from + ((start + k) % n);
    if (!eligible(g, i, scope)) continue;
    const d = g.deployments[i]!;
    const load = g.loads[i]!;
    load.roll(scope.minute);
    let used = 0;
    if (d.rpm !== undefined && d.rpm > 0) used = load.requests / d.rpm;
    if (d.tpm !== undefined && d.tpm > 0) used = Math.max(used, load.tokens / d.tpm);
    if (used < bestUsed || (used === bestUsed && load.requests < bestRequests)) {
      best = i;
      bestUsed = used;
      bestRequests = load.requests;
    }
  }
  return best;
};
