import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-lifecycle-master";

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(`
model_list:
  - model_name: allowed-model
    litellm_params: { model: mock/allowed, mock_response: "hi from allowed" }
  - model_name: other-model
    litellm_params: { model: mock/other }
general_settings:
  master_key: ${MASTER}
user_config:
  - user_id: user1
    user_email: user1@example.com
    user_role: app_user
    max_budget: 100
    models: ["allowed-model", "other-model"]
`);
});

afterAll(async () => {
  await gw?.stop();
});

async function admin<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${gw.origin}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${gw.origin}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: T; errors?: unknown[] };
  if (json.errors) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
  return json.data as T;
}

function chat(key: string, model = "allowed-model") {
  return new OpenAI({
    apiKey: key,
    baseURL: `${gw.origin}/v1`,
    maxRetries: 0,
  }).chat.completions.create({
    model,
    messages: [{ role: "user", content: "hello" }],
  });
}

describe("virtual key lifecycle through the embedded gateway", () => {
  it("generate → use → refused outside its models → block → refused → unblock → regenerate → old key refused after its grace", async () => {
    const generated = await admin<{ key: string; token: string }>("/key/generate", {
      user_id: "user1",
      models: ["allowed-model"],
      key_alias: "lifecycle",
    });
    expect(generated.key).toMatch(/^sk-/);

    // Works at once, on the data plane, with the official SDK.
    const ok = await chat(generated.key);
    expect(ok.choices[0]?.message.content).toBe("hi from allowed");

    // A model outside the key's list: 403 PermissionDeniedError.
    await expect(chat(generated.key, "other-model")).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );

    // /v1/models shows only what the key may use.
    const models = await new OpenAI({
      apiKey: generated.key,
      baseURL: `${gw.origin}/v1`,
    }).models.list();
    expect(models.data.map((m) => m.id)).toEqual(["allowed-model"]);

    await admin("/key/block", { key: generated.key });
    await expect(chat(generated.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await admin("/key/unblock", { key: generated.key });
    await expect(chat(generated.key)).resolves.toBeTruthy();

    // Regenerate with a grace period: both keys work during it.
    const regenerated = await admin<{ key: string }>("/key/regenerate", {
      key: generated.key,
      grace_period: "1h",
    });
    expect(regenerated.key).not.toBe(generated.key);
    await expect(chat(regenerated.key)).resolves.toBeTruthy();
    await expect(chat(generated.key)).resolves.toBeTruthy();

    // Regenerate again with no grace: the previous key is refused at once.
    const third = await admin<{ key: string }>("/key/regenerate", { key: regenerated.key });
    await expect(chat(third.key)).resolves.toBeTruthy();
    await expect(chat(regenerated.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(chat(generated.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    // Deleted: refused at once.
    await admin("/key/delete", { keys: [third.key] });
    await expect(chat(third.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("a regenerated key's old value works during its grace period and is refused after it", async () => {
    const first = await admin<{ key: string }>("/key/generate", { user_id: "user1" });
    const second = await admin<{ key: string }>("/key/regenerate", {
      key: first.key,
      grace_period: "1s",
    });
    await expect(chat(first.key)).resolves.toBeTruthy();
    await expect(chat(second.key)).resolves.toBeTruthy();
    await new Promise((r) => setTimeout(r, 1500));
    // No new snapshot is needed: the old hash carries its own expiry.
    await expect(chat(first.key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(chat(second.key)).resolves.toBeTruthy();
  });

  it("a key generated through GraphQL works at once and a deleted one is refused at once", async () => {
    const created = await graphql<{
      generateKey: { __typename: string; key?: string; virtualKey?: { id: string } };
    }>(
      `mutation($input: GenerateKeyInput!) {
        generateKey(input: $input) {
          __typename
          ... on GeneratedKey { key virtualKey { id keyName models } }
        }
      }`,
      { input: { userId: "user1", models: ["other-model"] } },
    );
    const result =
      created.generateKey.key === undefined
        ? undefined
        : (created.generateKey as { key: string; virtualKey: { id: string } });
    expect(result?.key).toMatch(/^sk-/);
    const key = result!.key;
    await expect(chat(key, "other-model")).resolves.toBeTruthy();
    await expect(chat(key, "allowed-model")).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await graphql(`mutation($id: ID!) { deleteKey(id: $id) { __typename } }`, {
      id: result!.virtualKey.id,
    });
    await expect(chat(key, "other-model")).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
