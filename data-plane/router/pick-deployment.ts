import type { Deployment } from "../../schema/snapshot.js";
import type { ModelGroup } from "../snapshot/indexed-snapshot.js";

/**
 * Weighted random choice within a model group (LiteLLM's simple-shuffle). A group whose
 * weights are all zero is treated as equally weighted.
 */
export function pickDeployment(group: ModelGroup, random: () => number = Math.random): Deployment {
  const list = group.deployments;
  if (list.length === 1) return list[0]!;
  if (group.totalWeight <= 0) return list[Math.floor(random() * list.length)]!;
  let r = random() * group.totalWeight;
  for (const d of list) {
    r -= d.weight;
    if (r < 0) return d;
  }
  return list[list.length - 1]!;
}
