/**
 * LiteLLM's own spelling of key generation, `litellm --config config.yaml --generate_key
 * --user_id user1`, rewritten to `switchyard keys generate --config config.yaml --user-id
 * user1` before commander parses it. Any other command line is returned unchanged.
 */
export function rewriteLiteLLMArgv(argv: readonly string[]): string[] {
  const [node = "node", script = "switchyard", ...args] = argv;
  if (!args.some((a) => GENERATE_FLAGS.has(a))) return [...argv];
  const out = [node, script, "keys", "generate"];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (GENERATE_FLAGS.has(arg)) continue;
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    // Server flags mean nothing to a one-shot command: drop them and their value.
    if (SERVER_FLAGS.has(name)) {
      if (eq === -1 && i + 1 < args.length && !(args[i + 1] as string).startsWith("-")) i++;
      continue;
    }
    const renamed = name.startsWith("--") ? `--${name.slice(2).replaceAll("_", "-")}` : name;
    out.push(eq === -1 ? renamed : `${renamed}${arg.slice(eq)}`);
  }
  return out;
}

const GENERATE_FLAGS = new Set(["--generate_key", "--generate-key"]);
const SERVER_FLAGS = new Set(["--port", "-p", "--host", "--num_workers", "--num-workers"]);
