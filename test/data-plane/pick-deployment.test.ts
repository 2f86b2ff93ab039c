import { describe, expect, it } from "vitest";
import type { Deployment } from "../../schema/snapshot.js";
import { pickDeployment } from "../../data-plane/router/pick-deployment.js";
import type { ModelGroup } from "../../data-plane/snapshot/indexed-snapshot.js";

function group(weights: number[]): ModelGroup {
  const deployments = weights.map(
    (weight, i) => ({ id: `d${i}`, modelName: "m", weight }) as unknown as Deployment,
  );
  return { name: "m", deployments, totalWeight: weights.reduce((a, b) => a + b, 0) };
}

function distribution(g: ModelGroup, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = pickDeployment(g).id;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describe("weighted pick among a model group's deployments", () => {
  it("spreads requests in proportion to weights", () => {
    const n = 20_000;
    const counts = distribution(group([3, 1]), n);
    expect(counts.d0! / n).toBeGreaterThan(0.72);
    expect(counts.d0! / n).toBeLessThan(0.78);
    expect(counts.d1! / n).toBeGreaterThan(0.22);
  });

  it("never picks a zero-weight deployment while others have weight", () => {
    const counts = distribution(group([0, 1, 1]), 5_000);
    expect(counts.d0).toBeUndefined();
  });

  it("treats all-zero weights as equal", () => {
    const counts = distribution(group([0, 0]), 5_000);
    expect(counts.d0).toBeGreaterThan(2_000);
    expect(counts.d1).toBeGreaterThan(2_000);
  });
});
