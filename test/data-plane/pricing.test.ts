import { describe, expect, it } from "vitest";
import { costOf, worstCaseCost } from "../../data-plane/pricing/cost.js";
import { deploymentPrice } from "../../data-plane/pricing/deployment-price.js";
import type { Deployment } from "../../schema/snapshot.js";

function deployment(provider: string, model: string, modelInfo: Record<string, unknown> = {}) {
  return {
    id: "d",
    modelName: "m",
    provider,
    model,
    timeoutMs: 1000,
    streamTimeoutMs: 1000,
    weight: 1,
    extraHeaders: {},
    modelInfo,
  } satisfies Deployment;
}

describe("deployment prices", () => {
  it("prices a dated OpenAI model by its family, and cached tokens at OpenAI's cached rate", () => {
    const price = deploymentPrice(deployment("openai", "gpt-4o-mini-2024-07-18"));
    expect(price.known).toBe(true);
    expect(price.inputPerToken).toBeCloseTo(0.15e-6, 12);
    expect(price.maxOutputTokens).toBe(16_384);
    const cost = costOf(price, {
      prompt_tokens: 1000,
      completion_tokens: 100,
      total_tokens: 1100,
      prompt_tokens_details: { cached_tokens: 400 },
    });
    expect(cost).toBeCloseTo(600 * 0.15e-6 + 400 * 0.075e-6 + 100 * 0.6e-6, 12);
  });

  it("picks the longest family name (gpt-4o-mini is not gpt-4o)", () => {
    expect(deploymentPrice(deployment("openai", "gpt-4o-mini")).outputPerToken).toBeCloseTo(
      0.6e-6,
      12,
    );
    expect(deploymentPrice(deployment("openai", "gpt-4o-2024-08-06")).outputPerToken).toBeCloseTo(
      10e-6,
      12,
    );
  });

  it("prices Anthropic cache writes at 1.25x and reads at 0.1x the input price", () => {
    const price = deploymentPrice(deployment("anthropic", "claude-3-5-sonnet-20241022"));
    const cost = costOf(price, {
      prompt_tokens: 3000,
      completion_tokens: 0,
      total_tokens: 3000,
      prompt_tokens_details: { cached_tokens: 1000, cache_creation_tokens: 1000 },
    });
    expect(cost).toBeCloseTo(1000 * 3e-6 + 1000 * 0.3e-6 + 1000 * 3.75e-6, 12);
  });

  it("lets model_info override the table, and uses base_model for Azure deployment names", () => {
    const custom = deploymentPrice(
      deployment("openai", "gpt-4o", { input_cost_per_token: 1, output_cost_per_token: "2" }),
    );
    expect(costOf(custom, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })).toBe(11);
    const azure = deploymentPrice(
      deployment("azure", "my-prod-deploy", { base_model: "azure/gpt-4o" }),
    );
    expect(azure.known).toBe(true);
    expect(azure.inputPerToken).toBeCloseTo(2.5e-6, 12);
  });

  it("flags an unknown model as unpriced and charges it nothing", () => {
    const price = deploymentPrice(deployment("openai", "my-finetune"));
    expect(price.known).toBe(false);
    expect(costOf(price, { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 })).toBe(0);
  });

  it("reserves every prompt token and the whole output allowance as the worst case", () => {
    const price = deploymentPrice(deployment("openai", "gpt-4o"));
    expect(worstCaseCost(price, 100, 50)).toBeCloseTo(100 * 2.5e-6 + 50 * 10e-6, 12);
  });
});
