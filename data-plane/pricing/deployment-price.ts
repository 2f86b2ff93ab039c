import type { Deployment } from "../../schema/snapshot.js";
import { PRICE_TABLE, type TablePrice } from "./price-table.js";

/** What one deployment's tokens cost, in USD per token, and how large its calls can be. */
export interface DeploymentPrice {
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  readonly cacheReadPerToken: number;
  readonly cacheWritePerToken: number;
  /** Context window, tokens (undefined = not known). */
  readonly contextWindow: number | undefined;
  /** Most completion tokens one call may produce (undefined = not known). */
  readonly maxOutputTokens: number | undefined;
  /** False when neither `model_info` nor the built-in table prices this model: it costs 0. */
  readonly known: boolean;
}

const PER_MILLION = 1e-6;
/** Providers whose models are priced as OpenAI's (Azure deployments serve OpenAI models). */
const PRICED_AS: Readonly<Record<string, string>> = { azure: "openai" };

/**
 * A deployment's price: `model_info` fields first (`input_cost_per_token`,
 * `output_cost_per_token`, `cache_read_input_token_cost`, `cache_creation_input_token_cost`,
 * `max_input_tokens`/`max_tokens`, `max_output_tokens`), then the built-in table by
 * provider and model (or `model_info.base_model`). The mock provider is free.
 */
export function deploymentPrice(d: Deployment): DeploymentPrice {
  const info = d.modelInfo;
  const row = d.provider === "mock" ? FREE : lookup(d.provider, d.model, info.base_model);
  const input = numberField(info, "input_cost_per_token");
  const output = numberField(info, "output_cost_per_token");
  const known = row !== undefined || input !== undefined || output !== undefined;
  const inputPerToken = input ?? (row === undefined ? 0 : row.input * PER_MILLION);
  return {
    inputPerToken,
    outputPerToken: output ?? (row === undefined ? 0 : row.output * PER_MILLION),
    cacheReadPerToken:
      numberField(info, "cache_read_input_token_cost") ??
      (row?.cacheRead === undefined || input !== undefined
        ? inputPerToken
        : row.cacheRead * PER_MILLION),
    cacheWritePerToken:
      numberField(info, "cache_creation_input_token_cost") ??
      (row?.cacheWrite === undefined || input !== undefined
        ? inputPerToken
        : row.cacheWrite * PER_MILLION),
    contextWindow:
      numberField(info, "max_input_tokens") ?? numberField(info, "max_tokens") ?? row?.context,
    maxOutputTokens: numberField(info, "max_output_tokens") ?? row?.maxOutput,
    known,
  };
}

const FREE: TablePrice = { input: 0, output: 0, context: 1_000_000, maxOutput: 1_000_000 };

function lookup(provider: string, model: string, baseModel: unknown): TablePrice | undefined {
  const family = PRICED_AS[provider] ?? provider;
  const found = byPrefix(`${family}/${model}`);
  if (found !== undefined || typeof baseModel !== "string") return found;
  // `base_model: azure/gpt-4o` or `gpt-4o`.
  const slash = baseModel.indexOf("/");
  if (slash < 0) return byPrefix(`${family}/${baseModel}`);
  const baseProvider = baseModel.slice(0, slash);
  return byPrefix(`${PRICED_AS[baseProvider] ?? baseProvider}/${baseModel.slice(slash + 1)}`);
}

/** Exact name, else the longest table name that `name` starts with at a `-` boundary. */
function byPrefix(name: string): TablePrice | undefined {
  const exact = PRICE_TABLE.get(name);
  if (exact !== undefined) return exact;
  let best: TablePrice | undefined;
  let bestLength = 0;
  for (const [key, value] of PRICE_TABLE) {
    if (key.length > bestLength && name.startsWith(key) && name[key.length] === "-") {
      best = value;
      bestLength = key.length;
    }
  }
  return best;
}

function numberField(info: Record<string, unknown>, name: string): number | undefined {
  const v = info[name];
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

const cache = new WeakMap<Deployment, DeploymentPrice>();

/**
 * `deploymentPrice`, computed once per deployment object (a snapshot change brings new
 * objects, so an edited price is picked up; the hot path pays one WeakMap read).
 */
export function priceOf(d: Deployment): DeploymentPrice {
  let price = cache.get(d);
  if (price === undefined) {
    price = deploymentPrice(d);
    cache.set(d, price);
  }
  return price;
}
