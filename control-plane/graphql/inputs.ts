import type { InputFieldBuilder } from "@pothos/core";
import { type BuilderTypes, builder } from "./builder.js";
import { TeamRoleEnum } from "./types/team-member.js";
import { UserRoleEnum } from "./types/user.js";

/**
 * GraphQL inputs mirroring `services/inputs.ts`. They only give the shape; the services
 * validate (and answer InvalidInputError with field paths). Everywhere in updates, `null`
 * clears a field and an absent field stays as it is.
 */

type Fields = InputFieldBuilder<BuilderTypes, "InputObject">;

const limitFields = (t: Fields) => ({
  maxBudget: t.float({ description: "Budget in USD per window; null = none." }),
  softBudget: t.float({ description: "Alert threshold in USD (keys only)." }),
  budgetDuration: t.string({ description: "Window that resets spend: 30s, 30m, 24h, 30d, 1mo." }),
  rpmLimit: t.int(),
  tpmLimit: t.int(),
  maxParallelRequests: t.int(),
});

const keyFields = (t: Fields) => ({
  keyAlias: t.string({ description: "Unique, human-readable name." }),
  models: t.stringList(),
  userId: t.string(),
  teamId: t.string(),
  duration: t.string({ description: "Valid for this long from now, e.g. 30d." }),
  expires: t.field({ type: "DateTime", description: "Or until this moment." }),
  blocked: t.boolean(),
  metadata: t.field({ type: "JSON", description: "Merged into the stored object." }),
  ...limitFields(t),
});

export const GenerateKeyInputRef = builder.inputType("GenerateKeyInput", { fields: keyFields });
export const UpdateKeyInputRef = builder.inputType("UpdateKeyInput", { fields: keyFields });

const userFields = (t: Fields) => ({
  userId: t.string({ description: "Defaults to a new UUID." }),
  userEmail: t.string(),
  userRole: t.field({ type: UserRoleEnum }),
  models: t.stringList(),
  metadata: t.field({ type: "JSON" }),
  ...limitFields(t),
});

export const CreateUserInputRef = builder.inputType("CreateUserInput", { fields: userFields });
export const UpdateUserInputRef = builder.inputType("UpdateUserInput", {
  fields: (t) => {
    const { userId: _userId, ...rest } = userFields(t);
    return rest;
  },
});

const TeamMemberInputRef = builder.inputType("TeamMemberInput", {
  fields: (t) => ({
    userId: t.string({ required: true }),
    role: t.field({ type: TeamRoleEnum, defaultValue: "user" }),
  }),
});

const teamFields = (t: Fields) => ({
  teamAlias: t.string(),
  organizationId: t.string(),
  models: t.stringList(),
  blocked: t.boolean(),
  metadata: t.field({ type: "JSON" }),
  ...limitFields(t),
});

export const CreateTeamInputRef = builder.inputType("CreateTeamInput", {
  fields: (t) => ({
    teamId: t.string({ description: "Defaults to a new UUID." }),
    members: t.field({ type: [TeamMemberInputRef] }),
    ...teamFields(t),
  }),
});
export const UpdateTeamInputRef = builder.inputType("UpdateTeamInput", { fields: teamFields });

const organizationFields = (t: Fields) => ({
  organizationAlias: t.string(),
  models: t.stringList(),
  maxBudget: t.float(),
  budgetDuration: t.string(),
  metadata: t.field({ type: "JSON" }),
});

export const CreateOrganizationInputRef = builder.inputType("CreateOrganizationInput", {
  fields: (t) => ({
    organizationId: t.string({ description: "Defaults to a new UUID." }),
    ...organizationFields(t),
  }),
});
export const UpdateOrganizationInputRef = builder.inputType("UpdateOrganizationInput", {
  fields: organizationFields,
});

export const CreateModelInputRef = builder.inputType("CreateModelInput", {
  fields: (t) => ({
    modelName: t.string({ required: true, description: "The public name clients ask for." }),
    litellmParams: t.field({
      type: "JSON",
      required: true,
      description: 'LiteLLM\'s litellm_params, e.g. {model: "openai/gpt-4o", api_key: "..."}.',
    }),
    modelInfo: t.field({ type: "JSON" }),
  }),
});

export const UpdateModelInputRef = builder.inputType("UpdateModelInput", {
  fields: (t) => ({
    modelName: t.string(),
    litellmParams: t.field({
      type: "JSON",
      description: "Replaces the stored params; an api_key left out or sent back masked is kept.",
    }),
    modelInfo: t.field({ type: "JSON" }),
  }),
});
