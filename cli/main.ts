#!/usr/bin/env node
import { Command, Option } from "commander";
import {
  ConfigError,
  formatProblems,
  loadConfigFile,
} from "../control-plane/config/load-config.js";
import { registerCommands, rewriteLiteLLMArgv } from "./commands/index.js";
import { startEmbeddedGateway } from "./embedded.js";
import { createLogger } from "./logger.js";
import { runUntilSignal } from "./run-until-signal.js";

const program = new Command()
  .name("switchyard")
  // Options after a subcommand are that subcommand's (`control-plane --port 4000`).
  .enablePositionalOptions()
  .description("An OpenAI-compatible LLM gateway. With no command, runs the embedded gateway.")
  .addOption(
    new Option("-c, --config <file>", "config file (YAML)")
      .env("SWITCHYARD_CONFIG")
      .default("config.yaml"),
  )
  .addOption(new Option("-p, --port <port>", "port to listen on").env("PORT").default("8000"))
  .addOption(new Option("--host <host>", "address to listen on").env("HOST").default("0.0.0.0"))
  .action(async (opts: { config: string; port: string; host: string }) => {
    await runEmbedded(opts);
  });

program
  .command("check-config")
  .description("validate a config file and print every error with its path")
  .argument("<file>", "config file (YAML)")
  .action(async (file: string) => {
    try {
      const { config, warnings } = await loadConfigFile(file);
      for (const w of warnings) console.log(`warning: ${w.path}: ${w.message}`);
      console.log(`${file}: OK (${config.model_list.length} deployment(s))`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(`${file}: ${err.problems.length} error(s):\n${formatProblems(err.problems)}`);
      process.exitCode = 1;
    }
  });

async function runEmbedded(opts: { config: string; port: string; host: string }): Promise<void> {
  const logger = createLogger();
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.fatal(`--port must be a number from 0 to 65535, got "${opts.port}"`);
    process.exit(2);
  }
  let gateway: Awaited<ReturnType<typeof startEmbeddedGateway>>;
  try {
    gateway = await startEmbeddedGateway({
      configFile: opts.config,
      host: opts.host,
      port,
      logger,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(`config refused: ${err.file}\n${formatProblems(err.problems)}`);
      console.error(
        `${err.file}: ${err.problems.length} error(s):\n${formatProblems(err.problems)}`,
      );
    } else {
      logger.fatal(err instanceof Error ? err.message : String(err));
    }
    process.exit(1);
  }

  runUntilSignal(
    logger,
    () => gateway.stop(),
    () => gateway.server.requestsInFlight,
  );
}

registerCommands(program);
// The tutorial's `--config config.yaml --generate_key --user_id user1` is `keys generate`.
await program.parseAsync(rewriteLiteLLMArgv(process.argv));
