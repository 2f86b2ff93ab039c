import type { Deployment } from "../../schema/snapshot.js";
import type { Gauge, WindowedSum } from "../limits/counters.js";
import type { SharedCounters } from "../limits/shared-counters.js";
import type { PickScope } from "./eligibility.js";

/**
 * A deployment's rpm, tpm and max_parallel_requests counted for the whole cluster: the same
 * counters limits use (limits/shared-counters.ts), so N nodes together hold the deployment's
 * limit within the bound the README states, instead of each node allowing all of it.
 */
export interface DeploymentCounters {
  readonly requests: WindowedSum;
  readonly tokens: WindowedSum;
  readonly parallel: Gauge;
}

export function deploymentCounters(counters: SharedCounters, id: string): DeploymentCounters {
  const base = `deployment:${id}`;
  return {
    requests: counters.sum(`${base}:rpm`),
    tokens: counters.sum(`${base}:tpm`),
    parallel: counters.gauge(`${base}:parallel`),
  };
}

/**
 * May the deployment take one more request under its limits, cluster-wide? False when a
 * limit is reached, or when this node must first hear from the cluster (a counter not yet
 * read in this window, or this node's unsynced allowance used up): then it sets
 * `scope.awaitingSync`, and the router waits for the next sync instead of refusing.
 */
export function withinDeploymentLimits(
  d: Deployment,
  c: DeploymentCounters,
  counters: SharedCounters,
  scope: PickScope,
): boolean {
  const now = scope.now;
  if (d.maxParallelRequests !== undefined) {
    const g = c.parallel;
    g.touch(now);
    if (g.value + 1 > d.maxParallelRequests) return false;
    if (mustHear(counters, g.fresh, g.unsynced, 1, d.maxParallelRequests, scope)) return false;
  }
  if (d.rpm === undefined && d.tpm === undefined) return true;
  const windowEnd = (scope.minute + 1) * 60_000;
  if (d.rpm !== undefined && !sumAdmits(c.requests, 1, d.rpm, windowEnd, counters, scope)) {
    return false;
  }
  // Tokens are known after the call: a deployment is full once this minute's tokens reach tpm.
  return d.tpm === undefined || sumAdmits(c.tokens, 0, d.tpm, windowEnd, counters, scope);
}

function sumAdmits(
  c: WindowedSum,
  amount: number,
  limit: number,
  windowEnd: number,
  counters: SharedCounters,
  scope: PickScope,
): boolean {
  c.roll(windowEnd);
  c.touch(scope.now);
  const localShare = counters.mode === "local-share";
  const used = localShare ? c.own : c.value;
  const cap = localShare ? counters.share(limit) : limit;
  if (amount === 0 ? used >= cap : used + amount > cap) return false;
  return !mustHear(counters, c.fresh, c.unsynced, amount, limit, scope);
}

function mustHear(
  counters: SharedCounters,
  fresh: boolean,
  unsynced: number,
  amount: number,
  limit: number,
  scope: PickScope,
): boolean {
  if (counters.mode !== "cluster") return false;
  // One request alone never waits: the bound is max(allowance, one request) per node.
  if (fresh && !(unsynced > 0 && unsynced + amount > counters.allowance(limit))) return false;
  scope.awaitingSync = true;
  return true;
}
