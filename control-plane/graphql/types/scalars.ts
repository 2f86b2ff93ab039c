import { GraphQLError, Kind, valueFromASTUntyped } from "graphql";
import { builder } from "../builder.js";

/** ISO 8601 timestamps, e.g. `2026-11-25T04:37:17.000Z`. */
builder.scalarType("DateTime", {
  description: "An ISO 8601 timestamp, e.g. 2026-11-25T04:37:17.000Z.",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => toDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be an ISO 8601 string.");
    return toDate(ast.value);
  },
});

/** Free-form JSON (metadata, litellm_params, model_info). */
builder.scalarType("JSON", {
  description: "Any JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

function toDate(value: unknown): Date {
  if (typeof value !== "string" && typeof value !== "number") {
    throw new GraphQLError("DateTime must be an ISO 8601 string.");
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`Invalid DateTime: ${String(value)}`);
  return date;
}
