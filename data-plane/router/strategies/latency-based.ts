import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/** Share of picks that go to a random eligible deployment, so a slow one's numbers refresh. */
const EXPLORE = 0.05;

/**
 * Lowest mean of recent latencies (time to first token for streams); deployments within
 * `buffer` (a fraction) of the fastest share traffic at random. A deployment with no sample
 * yet goes first; a few picks at random keep every deployment's numbers current, so traffic
 * returns to one that recovered.
 */
export function latencyBased(buffer: number): Strategy {
  return (g, from, to, scope) => {
    const n = to - from;
    const start = Math.floor(scope.random() * n);
    const explore = scope.random() < EXPLORE;
    let fastest = Number.POSITIVE_INFINITY;
    let any = -1;
    for (let k = 0; k < n; k++) {
      const i = from + ((start + k) % n);
      if (!eligible(g, i, scope)) continue;
      if (explore || g.loads[i]!.samples === 0) return i;
      any = i;
      const latency = g.loads[i]!.latency;
      if (latency < fastest) fastest = latency;
    }
    if (any < 0) return -1;
    const limit = fastest * (1 + buffer) + 1e-9;
    let count = 0;
    for (let i = from; i < to; i++) {
      if (g.loads[i]!.latency <= limit && eligible(g, i, scope)) count++;
    }
    let pick = Math.floor(scope.random() * count);
    for (let i = from; i < to; i++) {
      if (g.loads[i]!.latency <= limit && eligible(g, i, scope) && pick-- === 0) return i;
    }
    return any;
  };
}
