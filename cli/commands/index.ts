import type { Command } from "commander";
import { registerControlPlaneCommand } from "./control-plane.js";
import { registerDataPlaneCommand } from "./data-plane.js";
import { registerKeysCommand } from "./keys.js";
import { registerMigrateCommand } from "./migrate.js";

export { rewriteLiteLLMArgv } from "./litellm-argv.js";

/** The commands beside the embedded gateway: `keys generate`, `migrate`, `control-plane`, `data-plane`. */
export function registerCommands(program: Command): void {
  registerKeysCommand(program);
  registerMigrateCommand(program);
  registerControlPlaneCommand(program);
  registerDataPlaneCommand(program);
}
