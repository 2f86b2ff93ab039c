import { access } from "node:fs/promises";
import type { Command } from "commander";
import { loadConfigFile } from "../../control-plane/config/load-config.js";
import { resolveDatabaseUrl } from "../../prisma/client.js";
import { type Config, ConfigSchema } from "../../schema/config.js";

/** Where a one-shot command (keys, migrate) finds its config file. */
export interface ConfigChoice {
  /** The config file; absent = none. */
  config?: string;
  /**
   * True when the user named the file (flag or SWITCHYARD_CONFIG): then it must exist. The
   * default `config.yaml` is used only if it is there.
   */
  configExplicit?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface DatabaseTarget {
  config: Config;
  databaseUrl: string;
  /** The file read, if any. */
  file: string | undefined;
}

/**
 * The config (or an empty one) and the database it names: the file's
 * `environment_variables.DATABASE_URL` (which, as at start, overrides the process's), then
 * DATABASE_URL, then `general_settings.database_url`, then the embedded default.
 */
export async function databaseTarget(choice: ConfigChoice): Promise<DatabaseTarget> {
  const env = choice.env ?? process.env;
  const file = choice.config;
  if (file === undefined || (!choice.configExplicit && !(await exists(file)))) {
    return {
      config: ConfigSchema.parse({}),
      databaseUrl: resolveDatabaseUrl(undefined, env),
      file: undefined,
    };
  }
  const loaded = await loadConfigFile(file, env);
  const databaseUrl = resolveDatabaseUrl(loaded.config.general_settings?.database_url, {
    ...env,
    ...loaded.environment,
  });
  return { config: loaded.config, databaseUrl, file };
}

/**
 * The `--config` a subcommand was given: its own flag, or the root program's (commander
 * parses the root's options anywhere on the line), and whether the user chose it.
 */
export function configChoiceOf(cmd: Command): Pick<ConfigChoice, "config" | "configExplicit"> {
  const config = cmd.optsWithGlobals<{ config?: string }>().config;
  const source = cmd.getOptionValueSourceWithGlobals("config");
  return { config, configExplicit: source === "cli" || source === "env" };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
