import { type GraphQLSchema, printSchema } from "graphql";
import { builder } from "./builder.js";
// Each module registers its types and fields on the builder.
import "./types/scalars.js";
import "./types/errors.js";
import "./types/relations.js";
import "./operations/models.js";
import "./operations/keys.js";
import "./operations/users.js";
import "./operations/teams.js";
import "./operations/organizations.js";
import "./operations/budgets.js";
import "./operations/me.js";
import "./operations/audit-log.js";
import "./operations/nodes.js";
import "./operations/config-changed.js";
import "./operations/spend.js";

let schema: GraphQLSchema | undefined;

/** The admin API schema (built once; it is immutable). */
export function buildGraphQLSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The schema as SDL, as committed in `schema/schema.graphql`. */
export function printSchemaSDL(): string {
  return `${printSchema(buildGraphQLSchema())}\n`;
}
