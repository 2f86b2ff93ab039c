import { z } from "zod";
import { isDuration } from "../../schema/durations.js";
import { ROLES } from "../auth/principal.js";
import { InvalidInputError } from "./errors.js";

/**
 * Inputs of every mutation, validated with zod before anything touches the database. In
 * updates, `null` clears a field and an absent field stays as it is.
 */

const duration = z.string().refine(isDuration, "must be a duration like 30s, 30m, 24h, 30d or 1mo");
const money = z.number().nonnegative().finite();
const count = z.number().int().nonnegative();
const modelList = z.array(z.string().min(1)).max(1000);
const metadata = z.record(z.string(), z.unknown());

const limits = {
  maxBudget: money.nullish(),
  softBudget: money.nullish(),
  budgetDuration: duration.nullish(),
  rpmLimit: count.nullish(),
  tpmLimit: count.nullish(),
  maxParallelRequests: count.nullish(),
};

export const GenerateKeyInput = z.object({
  keyAlias: z.string().min(1).max(200).nullish(),
  models: modelList.nullish(),
  userId: z.string().min(1).nullish(),
  teamId: z.string().min(1).nullish(),
  /** Valid for this long from now (e.g. `30d`). */
  duration: duration.nullish(),
  /** Or until this moment. */
  expires: z.coerce.date().nullish(),
  blocked: z.boolean().nullish(),
  metadata: metadata.nullish(),
  ...limits,
});
export type GenerateKeyInput = z.infer<typeof GenerateKeyInput>;

export const UpdateKeyInput = GenerateKeyInput;
export type UpdateKeyInput = GenerateKeyInput;

export const RegenerateKeyInput = z.object({
  /** How long the old key keeps working (e.g. `1h`); absent = refused at once. */
  gracePeriod: duration.nullish(),
});
export type RegenerateKeyInput = z.infer<typeof RegenerateKeyInput>;

export const UserInput = z.object({
  userId: z.string().min(1).max(200).nullish(),
  userEmail: z.email().nullish(),
  userRole: z.enum(ROLES).nullish(),
  models: modelList.nullish(),
  metadata: metadata.nullish(),
  ...limits,
});
export type UserInput = z.infer<typeof UserInput>;

export const TeamInput = z.object({
  teamId: z.string().min(1).max(200).nullish(),
  teamAlias: z.string().min(1).max(200).nullish(),
  organizationId: z.string().min(1).nullish(),
  models: modelList.nullish(),
  blocked: z.boolean().nullish(),
  metadata: metadata.nullish(),
  members: z
    .array(z.object({ userId: z.string().min(1), role: z.enum(["admin", "user"]).default("user") }))
    .nullish(),
  ...limits,
});
export type TeamInput = z.infer<typeof TeamInput>;

export const OrganizationInput = z.object({
  organizationId: z.string().min(1).max(200).nullish(),
  organizationAlias: z.string().min(1).max(200).nullish(),
  models: modelList.nullish(),
  maxBudget: money.nullish(),
  budgetDuration: duration.nullish(),
  metadata: metadata.nullish(),
});
export type OrganizationInput = z.infer<typeof OrganizationInput>;

export const ModelInput = z.object({
  modelName: z.string().min(1).max(200),
  litellmParams: z.looseObject({ model: z.string().min(1) }),
  modelInfo: metadata.nullish(),
});
export type ModelInput = z.infer<typeof ModelInput>;

export const BudgetInput = z.object({
  maxBudget: money.nullish(),
  softBudget: money.nullish(),
  budgetDuration: duration.nullish(),
});
export type BudgetInput = z.infer<typeof BudgetInput>;

/** Parses `input` or throws an InvalidInputError listing every problem with its path. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(input)",
    message: i.message,
  }));
  throw new InvalidInputError(
    `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    issues,
  );
}
