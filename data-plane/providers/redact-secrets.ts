// Key-shaped tokens: OpenAI/Anthropic style `sk-...`, and bearer tokens.
const KEY_PATTERN = /\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*.-]{6,}/g;
const BEARER_PATTERN = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

/**
 * Removes secrets from a message that is about to reach a client or a log: the
 * deployment's own key wherever it appears, and anything shaped like an API key.
 */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) {
    if (s !== undefined && s.length >= 4) out = out.split(s).join("[redacted]");
  }
  return out.replace(KEY_PATTERN, "$1***").replace(BEARER_PATTERN, "$1[redacted]");
}
