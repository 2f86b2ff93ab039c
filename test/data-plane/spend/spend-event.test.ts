import { describe, expect, it } from "vitest";
import type { Caller } from "../../../data-plane/auth/authenticate.js";
import { newOutcome } from "../../../data-plane/router/call-outcome.js";
import type { FinishedCall } from "../../../data-plane/spend/finished-call.js";
import { buildSpendEvent } from "../../../data-plane/spend/spend-event.js";
import type { Deployment, KeyEntry } from "../../../schema/snapshot.js";

const key: KeyEntry = {
  tokenHash: "a".repeat(64),
  id: "key-1",
  keyName: "sk-...abcd",
  models: [],
  blocked: false,
  userId: "u1",
  teamId: "t1",
  spend: 0,
};
const caller: Caller = {
  kind: "key",
  key,
  user: undefined,
  team: { teamId: "t1", models: [], blocked: false, organizationId: "o1", spend: 0 },
};
const deployment = {
  id: "dep-1",
  modelName: "gpt",
  provider: "openai",
  model: "gpt-4o",
  apiBase: "https://api.example/v1",
} as Deployment;

function call(extra: Partial<FinishedCall> = {}): FinishedCall {
  const outcome = newOutcome();
  outcome.deployment = deployment;
  outcome.usage = {
    prompt_tokens: 10,
    completion_tokens: 4,
    total_tokens: 14,
    prompt_tokens_details: { cached_tokens: 3 },
  };
  return {
    requestId: "client-id",
    callType: "chat",
    caller,
    model: "gpt",
    body: {
      model: "gpt",
      messages: [{ role: "user", content: "secret prompt" }],
      user: "end-1",
      metadata: { tags: ["b", "c"], trace: "x" },
    },
    tagsHeader: "a, b",
    stream: false,
    startedAtEpochMs: 1_000_000,
    startedAt: 50,
    respondedAt: 80,
    endedAt: 150,
    status: 200,
    outcome,
    cost: 0.25,
    aborted: false,
    ...extra,
  };
}

const options = { masterKeyHash: "m".repeat(64), storePrompts: false };

describe("spend events", () => {
  it("carries LiteLLM's SpendLogs fields, tags from the header then metadata, no prompt", () => {
    const e = buildSpendEvent(call(), options);
    expect(e).toMatchObject({
      call_type: "acompletion",
      api_key: key.tokenHash,
      key_id: "key-1",
      spend: 0.25,
      prompt_tokens: 10,
      completion_tokens: 4,
      cached_tokens: 3,
      startTime: 1_000_000,
      endTime: 1_000_100,
      completionStartTime: 1_000_030,
      model: "gpt-4o",
      model_group: "gpt",
      model_id: "dep-1",
      custom_llm_provider: "openai",
      api_base: "https://api.example/v1",
      user: "u1",
      end_user: "end-1",
      team_id: "t1",
      organization_id: "o1",
      request_tags: ["a", "b", "c"],
      cache_hit: false,
      status: "success",
    });
    expect(e.metadata).toEqual({
      status_code: 200,
      trace: "x",
      client_request_id: "client-id",
    });
    expect(JSON.stringify(e)).not.toContain("secret prompt");
  });

  it("gives a client-sent request id a unique suffix (a client may repeat it)", () => {
    const a = buildSpendEvent(call(), options);
    const b = buildSpendEvent(call(), options);
    expect(a.request_id).toMatch(/^client-id~/);
    expect(a.request_id).not.toBe(b.request_id);
  });

  it("keeps the messages only with store_prompts_in_spend_logs", () => {
    const e = buildSpendEvent(call(), { ...options, storePrompts: true });
    expect(e.metadata.messages).toEqual([{ role: "user", content: "secret prompt" }]);
  });

  it("marks failures and aborted streams; an aborted stream without usage counts its chunks", () => {
    expect(buildSpendEvent(call({ status: 429 }), options).status).toBe("failure");
    const outcome = newOutcome();
    outcome.deployment = deployment;
    outcome.chunks = 7;
    const e = buildSpendEvent(call({ aborted: true, stream: true, outcome, status: 200 }), options);
    expect(e.status).toBe("aborted");
    expect(e.completion_tokens).toBe(7);
    expect(e.metadata.billed_chunks).toBe(7);
  });

  it("records the master key under its hash", () => {
    const e = buildSpendEvent(call({ caller: { kind: "master" } }), options);
    expect(e.api_key).toBe(options.masterKeyHash);
    expect(e.key_id).toBeUndefined();
  });
});
