import type { Deployment } from "../../schema/snapshot.js";
import { priceOf } from "./deployment-price.js";

/** The dearest rates among a group's deployments: what a call to the group may cost at most. */
export interface GroupWorstPrice {
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  /** The largest output allowance (undefined when no deployment states one). */
  readonly maxOutputTokens: number | undefined;
}

const cache = new WeakMap<readonly Deployment[], GroupWorstPrice>();

/** Computed once per group list (a snapshot change regroups into new lists). */
export function groupWorstPrice(deployments: readonly Deployment[]): GroupWorstPrice {
  let worst = cache.get(deployments);
  if (worst !== undefined) return worst;
  let inputPerToken = 0;
  let outputPerToken = 0;
  let maxOutputTokens: number | undefined;
  for (const d of deployments) {
    const p = priceOf(d);
    inputPerToken = Math.max(inputPerToken, p.inputPerToken, p.cacheWritePerToken);
    outputPerToken = Math.max(outputPerToken, p.outputPerToken);
    if (p.maxOutputTokens !== undefined)
      maxOutputTokens = Math.max(maxOutputTokens ?? 0, p.maxOutputTokens);
  }
  worst = { inputPerToken, outputPerToken, maxOutputTokens };
  cache.set(deployments, worst);
  return worst;
}
