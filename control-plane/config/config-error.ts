export interface ConfigProblem {
  /** Where in the file, as `model_list[0].litellm_params.model`, or `line 3, column 5`. */
  path: string;
  message: string;
}

/** A config file that cannot be used; `problems` lists every error found, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} error(s) in config:\n${formatProblems(problems)}`);
    this.name = "ConfigError";
  }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
}
