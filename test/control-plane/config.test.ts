import { access, readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigProblem,
  type LoadedConfig,
  loadConfigFile,
  parseConfigText,
} from "../../control-plane/config/load-config.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The variables the example configs read with `os.environ/NAME` (see examples/tutorial/README.md). */
const EXAMPLE_ENV: NodeJS.ProcessEnv = {
  OPENAI_API_KEY: "sk-dummy-openai",
  ANTHROPIC_API_KEY: "sk-dummy-anthropic",
  OPENAI_API_KEY_1: "sk-dummy-1",
  OPENAI_API_KEY_2: "sk-dummy-2",
  OPENAI_API_KEY_3: "sk-dummy-3",
};

async function yamlFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(join(repoRoot, dir));
  return names
    .filter((n) => n.endsWith(".yaml") || n.endsWith(".yml"))
    .sort()
    .map((n) => join(dir, n));
}

/** The problems a ConfigError carries, or a failure if the text loads. */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfigText(text, "test.yaml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the config to be refused, but it loaded");
}

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return parseConfigText(text, "test.yaml", env);
}

const exampleFiles = [
  ...(await yamlFilesIn("examples")),
  ...(await yamlFilesIn(join("examples", "tutorial"))),
];

describe("example configs", () => {
  it("finds the quick-start config and every tutorial section", () => {
    expect(exampleFiles).toContain(join("examples", "config.yaml"));
    expect(exampleFiles.filter((f) => f.includes("tutorial"))).toHaveLength(9);
  });

  it.each(exampleFiles)("loads %s when the variables it names are set", async (file) => {
    const loaded = await loadConfigFile(join(repoRoot, file), { ...EXAMPLE_ENV });
    expect(loaded.config.model_list).toBeInstanceOf(Array);
  });

  it("loads the npm start config with no environment variables, behind a master key, with only mock models", async () => {
    const { config } = await loadConfigFile(join(repoRoot, "examples", "config.yaml"), {});
    expect(config.general_settings?.master_key).toEqual(expect.any(String));
    expect(config.model_list.length).toBeGreaterThan(0);
    for (const entry of config.model_list) {
      expect(entry.litellm_params.model, entry.model_name).toMatch(/^mock\//);
    }
  });

  it("keeps the tutorial's duplicated sections, later one winning, as warnings", async () => {
    const caching = await loadConfigFile(
      join(repoRoot, "examples", "tutorial", "07-caching.yaml"),
      {},
    );
    expect(caching.config.cache_settings?.similarity_threshold).toBe(0.8);
    expect(caching.warnings.map((w) => w.message).join("\n")).toMatch(/duplicate key/);
  });
});

describe("config blocks in README.md", () => {
  it("loads every ```yaml block that has a model_list or general_settings section", async () => {
    const readme = join(repoRoot, "README.md");
    const exists = await access(readme).then(
      () => true,
      () => false,
    );
    // README.md may not be written yet; then there is nothing to check.
    const text = exists ? await readFile(readme, "utf8") : "";
    const blocks = [...text.matchAll(/^```ya?ml[^\n]*\n([\s\S]*?)^```/gm)]
      .map((m) => m[1] ?? "")
      .filter((block) => /^(model_list|general_settings):/m.test(block));
    for (const [i, block] of blocks.entries()) {
      // Any variable a block names is set, as a reader following along would have done.
      const env: NodeJS.ProcessEnv = {};
      for (const m of block.matchAll(/os\.environ\/([A-Za-z_][A-Za-z0-9_]*)/g)) {
        env[m[1] ?? ""] = "dummy";
      }
      try {
        parseConfigText(block, `README.md config block ${i + 1}`, env);
      } catch (err) {
        throw new Error(`README.md config block ${i + 1} does not load: ${String(err)}\n${block}`);
      }
    }
  });
});

describe("a config with mistakes", () => {
  it("reports every error with its path in one go", () => {
    const problems = problemsOf(`
model_list:
  - model_name: no-model
    litellm_params:
      api_key: sk-x
  - model_name: bad-values
    litellm_params:
      model: openai/gpt-4o
      rpm: lots
      api_base: not a url
`);
    const paths = problems.map((p) => p.path);
    expect(paths).toContain("model_list[0].litellm_params.model");
    expect(paths).toContain("model_list[1].litellm_params.rpm");
    expect(paths).toContain("model_list[1].litellm_params.api_base");
  });

  it("reports a YAML syntax error with its line and column", () => {
    const problems = problemsOf("model_list:\n  - model_name: a\n    litellm_params: {model: x\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  it("refuses a file whose root is not a mapping", () => {
    expect(problemsOf("- model_name: a\n- model_name: b\n")).toEqual([
      { path: "(root)", message: expect.stringMatching(/mapping/) },
    ]);
    expect(problemsOf("just a string\n")[0]?.path).toBe("(root)");
  });

  it("refuses a file that does not exist", async () => {
    const missing = join(repoRoot, "examples", "no-such-config.yaml");
    const err: unknown = await loadConfigFile(missing, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { path: "(file)", message: expect.stringMatching(/not found/) },
    ]);
    expect((err as ConfigError).message).toContain(missing);
  });
});

describe("os.environ/ references", () => {
  const withReferences = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: os.environ/MODEL
      api_key: os.environ/OPENAI_API_KEY
      rpm: os.environ/RPM
      extra_headers:
        x-team: os.environ/TEAM
general_settings:
  master_key: os.environ/MASTER_KEY
`;

  it("resolves a reference anywhere in the file, and turns numeric settings into numbers", () => {
    const { config } = load(withReferences, {
      MODEL: "openai/gpt-4o",
      OPENAI_API_KEY: "sk-openai",
      RPM: "42",
      TEAM: "search",
      MASTER_KEY: "sk-master",
    });
    const params = config.model_list[0]?.litellm_params;
    expect(params?.model).toBe("openai/gpt-4o");
    expect(params?.api_key).toBe("sk-openai");
    expect(params?.rpm).toBe(42);
    expect(params?.extra_headers).toEqual({ "x-team": "search" });
    expect(config.general_settings?.master_key).toBe("sk-master");
  });

  it("refuses a reference to a variable that is not set, naming the path and the variable, once each", () => {
    const problems = problemsOf(withReferences, { OPENAI_API_KEY: "sk-openai", TEAM: "search" });
    expect(problems).toEqual([
      {
        path: "model_list[0].litellm_params.model",
        message: expect.stringContaining("MODEL"),
      },
      { path: "model_list[0].litellm_params.rpm", message: expect.stringContaining("RPM") },
      { path: "general_settings.master_key", message: expect.stringContaining("MASTER_KEY") },
    ]);
  });

  it("reports a variable whose value is not a number where a number goes", () => {
    const problems = problemsOf(withReferences, {
      MODEL: "openai/gpt-4o",
      OPENAI_API_KEY: "sk-openai",
      RPM: "many",
      TEAM: "search",
      MASTER_KEY: "sk-master",
    });
    expect(problems.map((p) => p.path)).toEqual(["model_list[0].litellm_params.rpm"]);
  });

  it("takes values from the file's environment_variables, ahead of the process environment", () => {
    const loaded = load(
      `
environment_variables:
  MASTER_KEY: sk-from-file
  RPM: 7
model_list:
  - model_name: m
    litellm_params:
      model: mock/m
      rpm: os.environ/RPM
general_settings:
  master_key: os.environ/MASTER_KEY
`,
      { MASTER_KEY: "sk-from-process" },
    );
    expect(loaded.config.general_settings?.master_key).toBe("sk-from-file");
    expect(loaded.config.model_list[0]?.litellm_params.rpm).toBe(7);
    expect(loaded.environment).toEqual({ MASTER_KEY: "sk-from-file", RPM: "7" });
  });

  it("leaves strings that merely mention os.environ alone", () => {
    const { config } = load(`
model_list:
  - model_name: m
    litellm_params:
      model: mock/m
      mock_response: "set api_key to os.environ/OPENAI_API_KEY"
`);
    expect(config.model_list[0]?.litellm_params.mock_response).toBe(
      "set api_key to os.environ/OPENAI_API_KEY",
    );
  });
});

describe("keys Switchyard does not know, and repeated keys", () => {
  it("warns about each unknown key with its path, keeps it, and still loads", () => {
    const { config, warnings } = load(`
model_list:
  - model_name: m
    litellm_params:
      model: mock/m
      tempurature: 0.2
general_settings:
  master_key: sk-1
  mastr_key: sk-2
my_own_section:
  anything: true
`);
    expect(warnings.map((w) => w.path)).toEqual([
      "model_list[0].litellm_params.tempurature",
      "general_settings.mastr_key",
      "my_own_section",
    ]);
    expect(warnings.every((w) => /unknown key/.test(w.message))).toBe(true);
    expect(config.model_list[0]?.litellm_params.model).toBe("mock/m");
    expect((config as Record<string, unknown>).my_own_section).toEqual({ anything: true });
  });

  it("warns about a repeated key, at its line, and uses the later value", () => {
    const { config, warnings } = load(`general_settings:
  master_key: sk-first
  master_key: sk-second
`);
    expect(config.general_settings?.master_key).toBe("sk-second");
    expect(warnings).toEqual([
      { path: "line 3, column 3", message: expect.stringMatching(/duplicate key.*later/) },
    ]);
  });

  it("uses the later of two repeated sections as a whole", () => {
    const { config, warnings } = load(`general_settings:
  master_key: sk-first
  max_request_size_mb: 4
general_settings:
  master_key: sk-second
`);
    expect(config.general_settings).toEqual({ master_key: "sk-second" });
    expect(warnings).toHaveLength(1);
  });
});
