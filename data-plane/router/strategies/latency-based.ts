import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/** Share of picks that go to a random eligible deployment, so a slow one's numbers refresh. */
const EXPLORE = 0.05;

/**
 * Lowest mean of recent latencies (time to first token for streams); deployments within
 * `buffer` (a fraction) of the fastest share traffic at random (with no buffer, ties go to the
 * first from a random start). A deployment with no sample yet goes first; a few picks at
 * random keep every deployment's numbers current, so traffic returns to one that recovered.
 */
export function latencyBased(buffer: number): Strategy {
  return (g, from, to, scope) => {
    const n = to - from;
    const start = Math.floor(scope.random() * n);
    const explore = scope.random() < EXPLORE;
    let fastest = Number.POSITIVE_INFINITY;
    let fastestIndex = -1;
    for (let k = 0; k < n; k++) {
      let i = from + start + k;
      if (i >= to) i -= n;
      const load = g.loads[i]!;
      if (explore || load.samples === 0) {
        if (eligible(g, i, scope)) return i;
        continue;
      }
      const latency = load.latency;
      if (latency >= fastest || !eligible(g, i, scope)) continue;
      fastest = latency;
      fastestIndex = i;
    }
    if (fastestIndex < 0 || buffer === 0) return fastestIndex;
    const limit = fastest * (1 + buffer) + 1e-9;
    let count = 0;
    for (let i = from; i < to; i++) {
      if (g.loads[i]!.latency <= limit && eligible(g, i, scope)) count++;
    }
    let pick = Math.floor(scope.random() * count);
    for (let i = from; i < to; i++) {
      if (g.loads[i]!.latency <= limit && eligible(g, i, scope) && pick-- === 0) return i;
    }
    return fastestIndex;
  };
}
