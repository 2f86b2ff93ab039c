import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../control-plane/config/load-config.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { ConfigSchema } from "../../schema/config.js";
import { registerCommands, rewriteLiteLLMArgv } from "../../cli/commands/index.js";
import { generateKeyCommand } from "../../cli/commands/keys.js";
import { migrateCommand } from "../../cli/commands/migrate.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let dir: string;
let configFile: string;
let dbFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-cli-keys-"));
  dbFile = join(dir, "litellm.db");
  configFile = join(dir, "config.yaml");
  // The tutorial's shape: a SQLAlchemy-style sqlite URL (absolute path: four slashes) and user_config.
  await writeFile(
    configFile,
    `model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: mock/gpt-3.5-turbo
general_settings:
  database_url: "sqlite:///${dbFile}"
  master_key: sk-1234
user_config:
  - user_id: user1
    user_email: user1@example.com
    user_role: app_user
    max_budget: 100.0
    models: ["gpt-3.5-turbo"]
`,
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the database at `url` knows about a key, read through a fresh control plane. */
async function keyInDatabase(url: string, key: string) {
  const cp = await ControlPlane.start({
    config: ConfigSchema.parse({}),
    databaseUrl: url,
    logger: pino({ level: "silent" }),
    onSnapshot: () => {},
  });
  try {
    return cp.snapshot().keys.find((k) => k.tokenHash === sha256(key));
  } finally {
    await cp.stop();
  }
}

describe("generateKeyCommand", () => {
  it("makes a key for a user_config user in the config's database and returns only its plaintext", async () => {
    const lines: string[] = [];
    const key = await generateKeyCommand({
      config: configFile,
      configExplicit: true,
      env: {},
      userId: "user1",
      models: ["gpt-3.5-turbo"],
      maxBudget: 5,
      duration: "30d",
      keyAlias: "cli-key",
      log: (line) => lines.push(line),
    });
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    const entry = await keyInDatabase(`file:${dbFile}`, key);
    expect(entry).toMatchObject({
      userId: "user1",
      keyAlias: "cli-key",
      models: ["gpt-3.5-turbo"],
      maxBudget: 5,
    });
    expect((entry?.expiresAt ?? 0) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(lines.join("\n")).toContain("user user1");
    expect(lines.join("\n")).not.toContain(key);
  });

  it("says how to fix a user that does not exist", async () => {
    await expect(
      generateKeyCommand({ config: configFile, configExplicit: true, env: {}, userId: "nobody" }),
    ).rejects.toThrow(/User nobody not found\..*user_config/);
  });

  it("refuses a named config file that is missing", async () => {
    await expect(
      generateKeyCommand({ config: join(dir, "missing.yaml"), configExplicit: true, env: {} }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it("without a config file uses DATABASE_URL", async () => {
    const url = `file:${join(dir, "env.db")}`;
    const key = await generateKeyCommand({
      config: join(dir, "config-that-is-not-there.yaml"),
      configExplicit: false,
      env: { DATABASE_URL: url },
    });
    expect(await keyInDatabase(url, key)).toMatchObject({ models: [] });
  });
});

describe("migrateCommand", () => {
  it("applies the migrations once, then has nothing to do", async () => {
    const url = `file:${join(dir, "migrate.db")}`;
    const first = await migrateCommand({ env: { DATABASE_URL: url } });
    expect(first.provider).toBe("sqlite");
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.database).toContain("migrate.db");
    const second = await migrateCommand({ env: { DATABASE_URL: url } });
    expect(second.applied).toEqual([]);
  });
});

describe("the commands on a commander program shaped like cli/main.ts", () => {
  function program(): Command {
    const root = new Command()
      .name("switchyard")
      .exitOverride()
      .addOption(new Option("-c, --config <file>").env("SWITCHYARD_CONFIG").default("config.yaml"))
      .action(() => {
        throw new Error("the root action must not run");
      });
    registerCommands(root);
    return root;
  }

  async function run(
    argv: string[],
  ): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await program().parseAsync(rewriteLiteLLMArgv(["node", "switchyard", ...argv]));
      return { stdout: out.join(""), stderr: err.join(""), exitCode: process.exitCode };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.exitCode = before;
    }
  }

  it("`keys generate` prints only the key on stdout, details on stderr", async () => {
    const result = await run([
      "keys",
      "generate",
      "--config",
      configFile,
      "--user-id",
      "user1",
      "--models",
      "a, b",
    ]);
    expect(result.exitCode).toBeUndefined();
    expect(result.stdout).toMatch(/^sk-[A-Za-z0-9_-]{32}\n$/);
    expect(result.stderr).toContain("user user1");
    expect(await keyInDatabase(`file:${dbFile}`, result.stdout.trim())).toMatchObject({
      models: ["a", "b"],
    });
  });

  it("takes the tutorial's literal spelling: --config config.yaml --generate_key --user_id user1", async () => {
    const result = await run(["--config", configFile, "--generate_key", "--user_id", "user1"]);
    expect(result.exitCode).toBeUndefined();
    expect(result.stdout).toMatch(/^sk-[A-Za-z0-9_-]{32}\n$/);
    expect((await keyInDatabase(`file:${dbFile}`, result.stdout.trim()))?.userId).toBe("user1");
  });

  it("fails with a clear message and exit code 1, and nothing on stdout", async () => {
    const result = await run(["keys", "generate", "--config", configFile, "--user-id", "ghost"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^switchyard keys generate: User ghost not found\./);
    expect(result.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it("`migrate` reports what it applied", async () => {
    const migrateConfig = join(dir, "migrate-config.yaml");
    await writeFile(
      migrateConfig,
      `general_settings:\n  database_url: file:${join(dir, "cli-migrate.db")}\n`,
    );
    const first = await run(["migrate", "--config", migrateConfig]);
    expect(first.exitCode).toBeUndefined();
    expect(first.stdout).toMatch(/applied \d+ migration\(s\):\n {2}\S+/);
    const second = await run(["migrate", "--config", migrateConfig]);
    expect(second.stdout).toContain("up to date");
  });
});

describe("rewriteLiteLLMArgv", () => {
  it("turns LiteLLM's flags into `keys generate` flags and drops server flags", () => {
    expect(
      rewriteLiteLLMArgv([
        "node",
        "switchyard",
        "--config",
        "config.yaml",
        "--port",
        "8000",
        "--generate_key",
        "--user_id",
        "user1",
        "--max_budget=5",
        "--key_alias",
        "my_alias",
      ]),
    ).toEqual([
      "node",
      "switchyard",
      "keys",
      "generate",
      "--config",
      "config.yaml",
      "--user-id",
      "user1",
      "--max-budget=5",
      "--key-alias",
      "my_alias",
    ]);
  });

  it("leaves every other command line alone", () => {
    const argv = ["node", "switchyard", "--config", "config.yaml", "--port", "8000"];
    expect(rewriteLiteLLMArgv(argv)).toEqual(argv);
  });
});
