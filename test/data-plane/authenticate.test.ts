import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../schema/errors.js";
import type { KeyEntry, Snapshot } from "../../schema/snapshot.js";
import { authenticate } from "../../data-plane/auth/authenticate.js";
import { KeyDigests } from "../../data-plane/auth/key-digests.js";
import { assertModelAccess, mayUseModel } from "../../data-plane/auth/model-access.js";
import { IndexedSnapshot } from "../../data-plane/snapshot/indexed-snapshot.js";

const sha = (s: string) => hash("sha256", s, "hex");

function key(plain: string, over: Partial<KeyEntry> = {}): KeyEntry {
  return {
    tokenHash: sha(plain),
    id: `id-${plain}`,
    keyName: `sk-...${plain.slice(-4)}`,
    models: [],
    blocked: false,
    spend: 0,
    ...over,
  };
}

function snapshot(over: Partial<Snapshot> = {}): IndexedSnapshot {
  return new IndexedSnapshot({
    version: 1,
    builtAt: new Date().toISOString(),
    masterKeyHash: sha("sk-master"),
    deployments: [],
    keys: [
      key("sk-plain-1111"),
      key("sk-gpt-only-2222", { models: ["gpt-4o"] }),
      key("sk-blocked-3333", { blocked: true }),
      key("sk-expired-4444", { expiresAt: Date.now() - 1000 }),
      key("sk-team-5555", { teamId: "t1", userId: "u1" }),
      key("sk-blockedteam-6666", { teamId: "t2" }),
    ],
    users: [{ userId: "u1", role: "internal_user", models: ["gpt-4o", "claude"], spend: 0 }],
    teams: [
      { teamId: "t1", models: ["claude", "gpt-4o-mini"], blocked: false, spend: 0 },
      { teamId: "t2", models: [], blocked: true, spend: 0 },
    ],
    settings: { maxBodyBytes: 1000, gracefulShutdownMs: 0 },
    ...over,
  });
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("who is calling", () => {
  const snap = snapshot();
  const digests = new KeyDigests();

  it("recognises the master key and virtual keys by their digest", () => {
    expect(authenticate("sk-master", snap, digests).kind).toBe("master");
    const caller = authenticate("sk-team-5555", snap, digests);
    expect(caller.kind === "key" && caller.team?.teamId).toBe("t1");
    expect(caller.kind === "key" && caller.user?.userId).toBe("u1");
  });

  it("refuses unknown, blocked and expired keys and keys of blocked teams, saying which rule", () => {
    expect(refusal(() => authenticate("sk-nope", snap, digests)).code).toBe("invalid_api_key");
    expect(refusal(() => authenticate(undefined, snap, digests)).code).toBe("missing_api_key");
    expect(refusal(() => authenticate("sk-blocked-3333", snap, digests)).code).toBe("key_blocked");
    expect(refusal(() => authenticate("sk-expired-4444", snap, digests)).code).toBe("key_expired");
    expect(refusal(() => authenticate("sk-blockedteam-6666", snap, digests)).code).toBe(
      "team_blocked",
    );
    expect(refusal(() => authenticate("sk-blocked-3333", snap, digests)).status).toBe(401);
  });

  it("lets anything through in open mode, but still applies a known key's rules", () => {
    const open = snapshot({ masterKeyHash: undefined });
    expect(authenticate(undefined, open, digests).kind).toBe("open");
    expect(authenticate("sk-anything", open, digests).kind).toBe("open");
    expect(refusal(() => authenticate("sk-blocked-3333", open, digests)).code).toBe("key_blocked");
  });
});

describe("model access", () => {
  const snap = snapshot();
  const digests = new KeyDigests();

  it("allows what every non-empty list among key, team and user allows", () => {
    const plain = authenticate("sk-plain-1111", snap, digests);
    expect(mayUseModel(plain, "anything")).toBe(true);
    const gptOnly = authenticate("sk-gpt-only-2222", snap, digests);
    expect(mayUseModel(gptOnly, "gpt-4o")).toBe(true);
    expect(mayUseModel(gptOnly, "claude")).toBe(false);
    // Team allows claude and gpt-4o-mini; user allows gpt-4o and claude: only claude is in both.
    const team = authenticate("sk-team-5555", snap, digests);
    expect(mayUseModel(team, "claude")).toBe(true);
    expect(mayUseModel(team, "gpt-4o")).toBe(false);
    expect(mayUseModel(team, "gpt-4o-mini")).toBe(false);
  });

  it("refuses with a 403 naming the rule", () => {
    const team = authenticate("sk-team-5555", snap, digests);
    const err = refusal(() => assertModelAccess(team, "gpt-4o"));
    expect(err.status).toBe(403);
    expect(err.code).toBe("model_not_allowed");
    expect(err.message).toContain("team t1");
  });
});
