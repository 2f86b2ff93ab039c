import type { Command } from "commander";
import { registerKeysCommand } from "./keys.js";
import { registerMigrateCommand } from "./migrate.js";

export { rewriteLiteLLMArgv } from "./litellm-argv.js";

/** The one-shot commands: `keys generate`, `migrate`. */
export function registerCommands(program: Command): void {
  registerKeysCommand(program);
  registerMigrateCommand(program);
}
