import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../data-plane/providers/redact-secrets.js";

describe("secrets never reach clients in upstream messages", () => {
  it("removes the deployment's key wherever it appears", () => {
    expect(redactSecrets("bad key my-custom-secret-key here", ["my-custom-secret-key"])).toBe(
      "bad key [redacted] here",
    );
  });

  it("masks key-shaped tokens and bearer tokens", () => {
    const out = redactSecrets(
      "Incorrect API key provided: sk-proj-abc123def456. Auth: Bearer abcdefghijkl",
      [],
    );
    expect(out).not.toContain("abc123def456");
    expect(out).not.toContain("abcdefghijkl");
    expect(out).toContain("Incorrect API key provided: sk-pr***");
  });
});
