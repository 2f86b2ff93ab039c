/**
 * LiteLLM's snake_case wire names ↔ the services' camelCase fields, in one place. Only top-level
 * names are converted: `metadata`, `litellm_params` and `model_info` are the caller's own
 * objects and pass through untouched.
 */

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** LiteLLM names that are not simply the service field in snake_case. */
const RENAMES: Record<string, string> = { members_with_roles: "members" };
const RENAMED_BACK = Object.fromEntries(
  Object.entries(RENAMES).map(([wire, field]) => [field, wire]),
);

/**
 * A service input from a LiteLLM body: top-level names camelCased (or renamed), `omit`
 * dropped. Unknown LiteLLM fields are left for the service's schema to ignore.
 */
export function serviceInput(
  body: Record<string, unknown>,
  omit: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (omit.includes(name)) continue;
    out[RENAMES[name] ?? snakeToCamel(name)] = value;
  }
  return out;
}

/** A service's issue path (`members.0.userId`) as the LiteLLM parameter (`members_with_roles.0.user_id`). */
export function wireParam(path: string): string {
  return path
    .split(".")
    .map((segment, i) =>
      i === 0 ? (RENAMED_BACK[segment] ?? camelToSnake(segment)) : camelToSnake(segment),
    )
    .join(".");
}

/** Columns stored as JSON text, returned parsed. */
const JSON_COLUMNS = new Set(["models", "metadata"]);

/**
 * A database row as LiteLLM names it (our column names are LiteLLM's, camelCased): JSON
 * columns parsed, `omit` (camelCase) dropped.
 */
export function toWire(row: object, omit: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (omit.includes(name)) continue;
    out[camelToSnake(name)] =
      JSON_COLUMNS.has(name) && typeof value === "string" ? parseJson(value, name) : value;
  }
  return out;
}

function parseJson(text: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return column === "models" ? [] : {};
  }
}
