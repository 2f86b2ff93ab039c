import type { Deployment } from "../../schema/snapshot.js";
import { priceOf } from "../pricing/deployment-price.js";
import type { ModelGroup } from "../snapshot/indexed-snapshot.js";
import type { DeploymentLoad } from "./deployment-load.js";

/**
 * A model group with what the strategies read, in arrays parallel to its deployments: each
 * one's load, its weight for simple-shuffle and its price per token for cost-based routing.
 * Built once per group object (a snapshot change regroups into new objects).
 */
export interface GroupRuntime {
  readonly group: ModelGroup;
  readonly deployments: readonly Deployment[];
  readonly loads: readonly DeploymentLoad[];
  readonly weights: Float64Array;
  /** cumulative[i] = sum of weights[0..i) (length n + 1), for a weighted draw by bisection. */
  readonly cumulative: Float64Array;
  /** 1 / rpm and 1 / tpm (0: no such limit), for usage-based routing. */
  readonly perRequest: Float64Array;
  readonly perToken: Float64Array;
  readonly costs: Float64Array;
  /** Any deployment with rpm/tpm/max_parallel_requests (else the limit checks are skipped). */
  readonly limited: boolean;
}

export function groupRuntime(
  group: ModelGroup,
  loadOf: (id: string) => DeploymentLoad,
): GroupRuntime {
  const { deployments } = group;
  const n = deployments.length;
  const weights = new Float64Array(n);
  const costs = new Float64Array(n);
  const cumulative = new Float64Array(n + 1);
  const perRequest = new Float64Array(n);
  const perToken = new Float64Array(n);
  // LiteLLM's simple-shuffle: `weight` when set, else rpm, else tpm, else equal shares.
  const allDefault = deployments.every((d) => d.weight === 1);
  const byRpm = allDefault && deployments.every((d) => d.rpm !== undefined && d.rpm > 0);
  const byTpm = allDefault && !byRpm && deployments.every((d) => d.tpm !== undefined && d.tpm > 0);
  let limited = false;
  for (let i = 0; i < n; i++) {
    const d = deployments[i]!;
    weights[i] = byRpm ? d.rpm! : byTpm ? d.tpm! : d.weight;
    cumulative[i + 1] = cumulative[i]! + weights[i]!;
    perRequest[i] = d.rpm !== undefined && d.rpm > 0 ? 1 / d.rpm : 0;
    perToken[i] = d.tpm !== undefined && d.tpm > 0 ? 1 / d.tpm : 0;
    const price = priceOf(d);
    costs[i] = price.inputPerToken + price.outputPerToken;
    if (d.rpm !== undefined || d.tpm !== undefined || d.maxParallelRequests !== undefined) {
      limited = true;
    }
  }
  return {
    group,
    deployments,
    loads: deployments.map((d) => loadOf(d.id)),
    weights,
    cumulative,
    perRequest,
    perToken,
    costs,
    limited,
  };
}
