/**
 * Fits a JSON Schema (as OpenAI tools and response formats carry it) into Gemini's Schema
 * object, an OpenAPI 3.0 subset that refuses the whole request on an unknown key such as
 * `additionalProperties` or `$schema`. Keys Gemini knows are kept, the rest dropped; local
 * `$ref`s (pydantic's `$defs`) are inlined, `oneOf` becomes `anyOf`, `const` a one-value
 * `enum`, and `type: [T, "null"]` becomes `type: T, nullable: true`.
 */
export function geminiSchema(schema: unknown): Record<string, unknown> | undefined {
  if (!isObject(schema)) return undefined;
  return clean(schema, schema, 0);
}

const KEPT = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
  "default",
  "example",
  "required",
  "propertyOrdering",
]);

// Recursive `$ref`s cannot be inlined forever; past this depth they become a plain object.
const MAX_REF_DEPTH = 8;

function clean(
  node: Record<string, unknown>,
  root: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  const ref = node.$ref;
  if (typeof ref === "string") {
    const target = depth < MAX_REF_DEPTH ? resolveRef(root, ref) : undefined;
    const inlined = target === undefined ? { type: "object" } : clean(target, root, depth + 1);
    return typeof node.description === "string"
      ? { ...inlined, description: node.description }
      : inlined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (KEPT.has(key)) out[key] = value;
  }
  if (Array.isArray(node.type)) {
    const types = node.type.filter((t) => t !== "null");
    if (types.length < node.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else {
      delete out.type;
      if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
    }
  }
  if (node.const !== undefined && out.enum === undefined) out.enum = [node.const];
  if (isObject(node.properties)) {
    const properties: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(node.properties)) {
      properties[name] = isObject(sub) ? clean(sub, root, depth) : sub;
    }
    out.properties = properties;
  }
  const items = Array.isArray(node.items) ? node.items[0] : node.items;
  if (isObject(items)) out.items = clean(items, root, depth);
  const alternatives = node.anyOf ?? node.oneOf;
  if (Array.isArray(alternatives)) {
    out.anyOf = alternatives.filter(isObject).map((s) => clean(s, root, depth));
  }
  return out;
}

function resolveRef(
  root: Record<string, unknown>,
  ref: string,
): Record<string, unknown> | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(at)) return undefined;
    at = at[key];
  }
  return isObject(at) ? at : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
