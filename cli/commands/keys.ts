import { type Command, InvalidArgumentError } from "commander";
import { pino } from "pino";
import { MASTER_PRINCIPAL } from "../../control-plane/auth/principal.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { NotFoundError } from "../../control-plane/services/errors.js";
import { redactDatabaseUrl } from "../../prisma/client.js";
import { type ConfigChoice, configChoiceOf, databaseTarget } from "./database-target.js";
import { commandFailed } from "./fail.js";

export interface GenerateKeyOptions extends ConfigChoice {
  userId?: string;
  teamId?: string;
  models?: string[];
  maxBudget?: number;
  /** Valid for this long (`30d`); absent = no expiry. */
  duration?: string;
  keyAlias?: string;
  /** Where the details go (the CLI: stderr). The key itself is only returned. */
  log?: (line: string) => void;
}

/**
 * Generates a virtual key directly in the database the config names (no running gateway
 * needed), as the master key would, and returns its plaintext. A running gateway sharing
 * the database picks the key up at its next snapshot rebuild.
 */
export async function generateKeyCommand(opts: GenerateKeyOptions): Promise<string> {
  const target = await databaseTarget(opts);
  const cp = await ControlPlane.start({
    config: target.config,
    databaseUrl: target.databaseUrl,
    logger: pino({ level: "silent" }),
    onSnapshot: () => {},
  });
  try {
    const { key, record } = await cp.keys.generate(
      { ...MASTER_PRINCIPAL, actor: "cli" },
      {
        userId: opts.userId,
        teamId: opts.teamId,
        models: opts.models,
        maxBudget: opts.maxBudget,
        duration: opts.duration,
        keyAlias: opts.keyAlias,
      },
    );
    const details = [
      `key ${record.keyName} generated in ${redactDatabaseUrl(target.databaseUrl)}`,
      record.userId ? `user ${record.userId}` : undefined,
      record.teamId ? `team ${record.teamId}` : undefined,
      record.keyAlias ? `alias ${record.keyAlias}` : undefined,
      opts.models?.length ? `models ${opts.models.join(",")}` : undefined,
      record.maxBudget !== null ? `max budget ${record.maxBudget}` : undefined,
      `expires ${record.expires?.toISOString() ?? "never"}`,
    ];
    opts.log?.(details.filter((d) => d !== undefined).join("; "));
    return key;
  } catch (err) {
    if (
      err instanceof NotFoundError &&
      opts.userId !== undefined &&
      err.message.includes(opts.userId)
    ) {
      throw new NotFoundError(
        `${err.message} Add the user under user_config in the config file, or create it with POST /user/new.`,
      );
    }
    throw err;
  } finally {
    await cp.stop();
  }
}

/** `switchyard keys generate ...` (LiteLLM: `litellm --config config.yaml --generate_key --user_id user1`). */
export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("manage virtual keys directly in the database");
  keys
    .command("generate")
    .description("generate a virtual key; prints only the key on stdout (details on stderr)")
    .option(
      "-c, --config <file>",
      "config file naming the database (general_settings.database_url)",
    )
    .option("--user-id <id>", "the user the key belongs to")
    .option("--team-id <id>", "the team the key belongs to")
    .option(
      "--models <list>",
      "comma-separated model names the key may use (default: all)",
      commaList,
    )
    .option("--max-budget <usd>", "budget in USD", nonNegativeNumber)
    .option("--duration <duration>", "valid for this long, e.g. 30d, 24h (default: no expiry)")
    .option("--key-alias <alias>", "a unique, human-readable name for the key")
    .action(
      async (
        flags: Omit<GenerateKeyOptions, "config" | "configExplicit" | "log">,
        cmd: Command,
      ) => {
        try {
          const key = await generateKeyCommand({
            ...flags,
            ...configChoiceOf(cmd),
            log: (line) => process.stderr.write(`${line}\n`),
          });
          process.stdout.write(`${key}\n`);
        } catch (err) {
          commandFailed("keys generate", err);
        }
      },
    );
}

function commaList(value: string): string[] {
  return value
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("expected a number ≥ 0");
  return n;
}
