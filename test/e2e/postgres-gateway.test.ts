import { createHash } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeForEachDatabase, postgresql } from "../helpers/databases.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER = "sk-postgres-gateway-master";

describeForEachDatabase(
  "embedded gateway",
  (kind) => {
    let gw: TestGateway | undefined;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const db = await kind.create("e2e_gateway");
      drop = db.drop;
      gw = await startTestGateway(
        `
model_list:
  - model_name: pg-mock
    litellm_params: { model: mock/pg, mock_response: "hi from postgres" }
general_settings:
  master_key: ${MASTER}
`,
        { DATABASE_URL: db.url },
      );
    });

    afterAll(async () => {
      await gw?.stop();
      await drop?.();
    });

    async function admin(path: string, body: unknown): Promise<Record<string, unknown>> {
      const res = await fetch(`${gw?.origin}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    }

    function chat(key: string) {
      return new OpenAI({
        apiKey: key,
        baseURL: `${gw?.origin}/v1`,
        maxRetries: 0,
      }).chat.completions.create({
        model: "pg-mock",
        messages: [{ role: "user", content: "hello" }],
      });
    }

    it("generates a key, serves it to the official SDK, and refuses it once blocked", async () => {
      const cp = gw?.gateway.controlPlane;
      expect(cp?.provider).toBe("postgresql");

      const generated = await admin("/key/generate", { models: ["pg-mock"], key_alias: "pg" });
      const key = generated.key as string;
      expect(key).toMatch(/^sk-/);
      const tokenHash = createHash("sha256").update(key).digest("hex");
      expect(await cp?.db.virtualKey.count({ where: { token: tokenHash } })).toBe(1);

      const ok = await chat(key);
      expect(ok.choices[0]?.message.content).toBe("hi from postgres");

      expect((await admin("/key/block", { key })).blocked).toBe(true);
      await expect(chat(key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });
  },
  [postgresql],
);
