import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigSchema } from "../../schema/config.js";

/** `[prefix, key]` for every key the config schema names, nested objects and lists included. */
function schemaKeys(schema: z.ZodType, prefix: string): [string, string][] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
    s = s.unwrap() as z.ZodType;
  }
  if (s instanceof z.ZodArray) return schemaKeys(s.element as z.ZodType, `${prefix}[]`);
  if (!(s instanceof z.ZodObject)) return [];
  const out: [string, string][] = [];
  for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
    // The tutorial's sections are documented as a whole.
    const whole =
      prefix === "" &&
      ["user_config", "rate_limit_config", "cache_settings", "logging"].includes(key);
    const nested = whole ? [] : schemaKeys(child, prefix === "" ? key : `${prefix}.${key}`);
    // A section is documented through its keys; a leaf (or a list of objects) by its own row.
    if (nested.length === 0 || child instanceof z.ZodDefault) out.push([prefix, key]);
    out.push(...nested);
  }
  return out;
}

describe("the README's configuration reference", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Configuration reference"));
  const table = section
    .slice(0, section.indexOf("\n## ", 5))
    .split("\n")
    .filter((l) => l.startsWith("| `"));

  it("documents every key the config schema accepts", () => {
    const missing = schemaKeys(ConfigSchema, "")
      .filter(([prefix, key]) => {
        const full = prefix === "" ? key : `${prefix}.${key}`;
        return (
          !table.some((row) => {
            const firstCell = row.split(" | ")[0]!;
            if (firstCell.includes(`\`${full}\``)) return true;
            // Rows that group several keys: "`prefix.a` / `b`" or "`prefix.a`, `b`".
            return (
              prefix !== "" &&
              firstCell.includes(`\`${prefix}.`) &&
              firstCell.includes(`\`${key}\``)
            );
          }) && !(prefix === "" && table.some((row) => row.split(" | ")[0]!.includes(`\`${key}\``)))
        );
      })
      .map(([prefix, key]) => (prefix === "" ? key : `${prefix}.${key}`));
    expect(missing).toEqual([]);
  });
});
