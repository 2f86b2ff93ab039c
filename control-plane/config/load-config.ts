import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { type Config, ConfigSchema, formatPath, unknownKeys } from "../../schema/config.js";
import { type ConfigProblem, ConfigError } from "./config-error.js";
import { resolveEnvReferences } from "./env-references.js";
import { PROVIDER_IDS, resolveProvider } from "../../schema/providers.js";

export { type ConfigProblem, ConfigError, formatProblems } from "./config-error.js";

export interface LoadedConfig {
  config: Config;
  /** `environment_variables` from the file, to be set in the process environment. */
  environment: Record<string, string>;
  warnings: ConfigProblem[];
}

export async function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "cannot be read";
    throw new ConfigError(file, [{ path: "(file)", message: reason }]);
  }
  return parseConfigText(text, file, env);
}

export function parseConfigText(
  text: string,
  file = "config",
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const warnings: ConfigProblem[] = [];
  const errors: ConfigProblem[] = [];

  // LiteLLM's loader (PyYAML) lets a repeated key win; so do we, with a warning.
  const strict = parseDocument(text, { merge: true });
  for (const e of strict.errors) {
    if (e.code === "DUPLICATE_KEY") {
      const key = keyAt(text, e.linePos?.[0]?.line);
      warnings.push({
        path: linePath(e.linePos),
        message: `duplicate key${key === undefined ? "" : ` "${key}"`}: the later value wins`,
      });
    }
  }
  // `merge`: YAML merge keys (`<<: *defaults`), which PyYAML applies and LiteLLM users write.
  const doc = parseDocument(text, { uniqueKeys: false, merge: true });
  for (const e of doc.errors) {
    errors.push({ path: linePath(e.linePos), message: firstLine(e.message) });
  }
  if (errors.length > 0) throw new ConfigError(file, errors);

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: "(root)", message: "the config must be a YAML mapping" }]);
  }

  const environment = environmentVariables((raw as Record<string, unknown>).environment_variables);
  const resolved = resolveEnvReferences(raw, { ...env, ...environment }, errors);

  // A missing variable leaves its value undefined; schema complaints about that same path
  // ("expected string, received undefined") would only repeat the error already reported.
  const unresolved = new Set(errors.map((e) => e.path));
  const parsed = ConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = formatPath(issue.path);
      if (!unresolved.has(path)) errors.push({ path, message: issue.message });
    }
  }
  if (errors.length > 0 || !parsed.success) throw new ConfigError(file, errors);

  for (const path of unknownKeys(ConfigSchema, resolved)) {
    warnings.push({ path, message: "unknown key (kept, but Switchyard does not use it)" });
  }
  warnings.push(...semanticWarnings(parsed.data));
  return { config: parsed.data, environment, warnings };
}

function semanticWarnings(config: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const names = new Set(config.model_list.map((m) => m.model_name));
  const fallbackSources: [string, Record<string, string[]> | undefined][] = [
    ["fallback_mapping", config.fallback_mapping],
  ];
  for (const [section, mapping] of fallbackSources) {
    for (const [from, targets] of Object.entries(mapping ?? {})) {
      for (const to of [from, ...targets]) {
        if (!names.has(to)) {
          out.push({ path: `${section}.${from}`, message: `model "${to}" is not in model_list` });
        }
      }
    }
  }
  config.model_list.forEach((m, i) => {
    const { provider } = resolveProvider(m.litellm_params.model, m.litellm_params.api_base);
    if (!(PROVIDER_IDS as readonly string[]).includes(provider)) {
      out.push({
        path: `model_list[${i}].litellm_params.model`,
        message: `unknown provider "${provider}": this deployment will refuse requests (set api_base to use an OpenAI-compatible server; known providers: ${PROVIDER_IDS.join(", ")})`,
      });
    }
  });
  const ids = new Map<string, number>();
  config.model_list.forEach((m, i) => {
    const id = m.model_info?.id;
    if (id === undefined) return;
    const first = ids.get(id);
    if (first !== undefined) {
      out.push({
        path: `model_list[${i}].model_info.id`,
        message: `duplicate id "${id}" (also model_list[${first}]); ids must be unique`,
      });
    } else ids.set(id, i);
  });
  return out;
}

function environmentVariables(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      out[k] = String(v);
  }
  return out;
}

function linePath(pos: readonly { line: number; col: number }[] | undefined): string {
  const p = pos?.[0];
  return p === undefined ? "(file)" : `line ${p.line}, column ${p.col}`;
}

/** The key written on a 1-based line of the file, as in `  cache_settings:`. */
function keyAt(text: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  const match = /^\s*(?:-\s+)?([^:#]+?)\s*:/.exec(text.split("\n")[line - 1] ?? "");
  return match?.[1];
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i === -1 ? s : s.slice(0, i).replace(/:$/, "");
}
