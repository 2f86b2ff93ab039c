import type { ConfigProblem } from "./config-error.js";
import { formatPath } from "../../schema/config.js";

const PREFIX = "os.environ/";

/**
 * Replaces every `os.environ/NAME` string, anywhere in the tree, with the variable's
 * value. A missing variable is an error at its path: starting with a silently empty
 * `master_key` or `api_key` would be worse than refusing to start.
 */
export function resolveEnvReferences(
  value: unknown,
  env: NodeJS.ProcessEnv,
  errors: ConfigProblem[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    if (!value.startsWith(PREFIX)) return value;
    const name = value.slice(PREFIX.length);
    const resolved = env[name];
    if (resolved === undefined) {
      errors.push({
        path: formatPath(path),
        message: `environment variable ${name} is not set (${value})`,
      });
      return undefined;
    }
    return resolved;
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveEnvReferences(v, env, errors, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = resolveEnvReferences(v, env, errors, [...path, k]);
    return out;
  }
  return value;
}
