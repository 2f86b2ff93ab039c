import type { Deployment } from "../../schema/snapshot.js";
import type { SharedCounters } from "../limits/shared-counters.js";
import { withinDeploymentLimits } from "./deployment-limits.js";
import type { GroupRuntime } from "./group-runtime.js";

/**
 * One pick's inputs, in an object the router reuses (picks are synchronous), so a pick
 * allocates nothing.
 */
export interface PickScope {
  now: number;
  minute: number;
  /** Request tags to match (tag filtering on and the request has some); else undefined. */
  tags: readonly string[] | undefined;
  /** Deployments this request already tried and failed on. */
  exclude: readonly Deployment[] | undefined;
  random: () => number;
  /** Cluster-wide deployment limits: the counters, and whether a pick must await a sync. */
  counters: SharedCounters | undefined;
  awaitingSync: boolean;
}

/**
 * May deployment `i` take this request: not cooling down, not already failed for it, under
 * its max_parallel_requests and this minute's rpm/tpm, and carrying one of the request's tags.
 */
export function eligible(g: GroupRuntime, i: number, scope: PickScope): boolean {
  const load = g.loads[i]!;
  if (load.coolUntil > scope.now) return false;
  const d = g.deployments[i]!;
  if (scope.exclude?.includes(d) === true) return false;
  if (g.limited) {
    const shared = load.shared;
    if (shared !== undefined && scope.counters !== undefined) {
      if (!withinDeploymentLimits(d, shared, scope.counters, scope)) return false;
      return scope.tags === undefined || hasAnyTag(d.tags, scope.tags);
    }
    if (d.maxParallelRequests !== undefined && load.inFlight >= d.maxParallelRequests) return false;
    if (d.rpm !== undefined || d.tpm !== undefined) {
      load.roll(scope.minute);
      if (d.rpm !== undefined && load.requests >= d.rpm) return false;
      if (d.tpm !== undefined && load.tokens >= d.tpm) return false;
    }
  }
  return scope.tags === undefined || hasAnyTag(d.tags, scope.tags);
}

function hasAnyTag(own: readonly string[] | undefined, wanted: readonly string[]): boolean {
  if (own === undefined) return false;
  for (const tag of wanted) if (own.includes(tag)) return true;
  return false;
}
