import { addDuration } from "../../schema/durations.js";

interface LimitsInput {
  maxBudget?: number | null;
  softBudget?: number | null;
  budgetDuration?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  models?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

/**
 * The columns shared by users, teams and keys that an input sets: absent = unchanged,
 * null = cleared. A new budget window starts now.
 */
export function limitColumns(
  input: LimitsInput,
  now: Date,
  fields: { softBudget?: boolean; parallel?: boolean } = {},
) {
  return {
    ...(input.models !== undefined ? { models: JSON.stringify(input.models ?? []) } : {}),
    ...(input.maxBudget !== undefined ? { maxBudget: input.maxBudget } : {}),
    ...(fields.softBudget && input.softBudget !== undefined
      ? { softBudget: input.softBudget }
      : {}),
    ...(input.budgetDuration !== undefined
      ? {
          budgetDuration: input.budgetDuration,
          budgetResetAt:
            input.budgetDuration === null ? null : addDuration(now, input.budgetDuration),
        }
      : {}),
    ...(input.rpmLimit !== undefined ? { rpmLimit: input.rpmLimit } : {}),
    ...(input.tpmLimit !== undefined ? { tpmLimit: input.tpmLimit } : {}),
    ...(fields.parallel !== false && input.maxParallelRequests !== undefined
      ? { maxParallelRequests: input.maxParallelRequests }
      : {}),
  };
}

/** Merges new metadata keys into the stored JSON object (null clears it). */
export function mergedMetadata(
  stored: string | undefined,
  update: Record<string, unknown> | null | undefined,
) {
  if (update === undefined) return {};
  if (update === null) return { metadata: "{}" };
  const base = stored === undefined ? {} : (JSON.parse(stored) as Record<string, unknown>);
  return { metadata: JSON.stringify({ ...base, ...update }) };
}
