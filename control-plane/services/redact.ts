const SECRET_FIELDS = new Set([
  "api_key",
  "apikey",
  "token",
  "previous_token",
  "previoustoken",
  "password",
  "secret",
  "aws_secret_access_key",
  "vertex_credentials",
]);

/** `sk-abcdef...wxyz` → `sk-...wxyz`: enough to recognise a secret, never enough to use it. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return "****";
  const prefix = value.startsWith("sk-") ? "sk-" : "";
  return `${prefix}...${value.slice(-4)}`;
}

/** A copy of `value` with every secret-named field masked, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_FIELDS.has(k.toLowerCase()) && typeof v === "string"
          ? maskSecret(v)
          : redactSecrets(v);
    }
    return out;
  }
  return value;
}
