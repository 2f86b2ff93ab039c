import type { Command } from "commander";
import { redactDatabaseUrl } from "../../prisma/client.js";
import { applyMigrations, type MigrationResult } from "../../prisma/migrate.js";
import { type ConfigChoice, configChoiceOf, databaseTarget } from "./database-target.js";
import { commandFailed } from "./fail.js";

export interface MigrateOutcome extends MigrationResult {
  /** The database migrated, password removed. */
  database: string;
}

/** Applies pending migrations to the database the config (or DATABASE_URL) names. Idempotent. */
export async function migrateCommand(opts: ConfigChoice): Promise<MigrateOutcome> {
  const target = await databaseTarget(opts);
  const result = await applyMigrations(target.databaseUrl);
  return { ...result, database: redactDatabaseUrl(target.databaseUrl) };
}

/** `switchyard migrate [--config FILE]`: migrations only, nothing else starts. */
export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations and exit")
    .option(
      "-c, --config <file>",
      "config file naming the database (general_settings.database_url)",
    )
    .action(async (_flags: object, cmd: Command) => {
      try {
        const outcome = await migrateCommand(configChoiceOf(cmd));
        if (outcome.applied.length === 0) {
          process.stdout.write(
            `${outcome.database} (${outcome.provider}): up to date, no migration pending\n`,
          );
        } else {
          process.stdout.write(
            `${outcome.database} (${outcome.provider}): applied ${outcome.applied.length} migration(s):\n` +
              outcome.applied.map((name) => `  ${name}\n`).join(""),
          );
        }
      } catch (err) {
        commandFailed("migrate", err);
      }
    });
}
