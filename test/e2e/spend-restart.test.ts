import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { pino } from "pino";
import { afterAll, expect, it } from "vitest";
import { type EmbeddedGateway, startEmbeddedGateway } from "../../cli/embedded.js";
import { MASTER_PRINCIPAL } from "../../control-plane/auth/principal.js";

const MASTER = "sk-spend-restart-master";
let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<EmbeddedGateway> {
  const file = join(dir!, "config.yaml");
  await writeFile(
    file,
    `model_list:
  - model_name: priced
    litellm_params: { model: mock/priced, mock_response: "a priced reply" }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_output_tokens: 5 }
general_settings:
  master_key: ${MASTER}
`,
  );
  return startEmbeddedGateway({
    configFile: file,
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    env: { DATABASE_URL: `file:${join(dir!, "g.db")}` },
  });
}

it("a budget spent before a restart stays spent after it: nodes start from the recorded totals", async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-spend-restart-"));
  let gw = await start();
  const made = await gw.controlPlane.keys.generate(MASTER_PRINCIPAL, { maxBudget: 0.05 });
  const ask = async (g: EmbeddedGateway) => {
    const client = new OpenAI({
      apiKey: made.key,
      baseURL: `http://127.0.0.1:${g.port}/v1`,
      maxRetries: 0,
    });
    return client.chat.completions
      .create({ model: "priced", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => 200,
        (err: { status?: number }) => err.status ?? 0,
      );
  };
  let admitted = 0;
  while ((await ask(gw)) === 200) admitted++;
  expect(admitted).toBeGreaterThan(0);
  // Stopping flushes what the node recorded into the database.
  await gw.stop(1000);
  gw = await start();
  try {
    const spent = (
      await gw.controlPlane.db.virtualKey.findUniqueOrThrow({
        where: { id: made.record.id },
      })
    ).spend;
    expect(spent).toBeGreaterThanOrEqual(0.05);
    expect(await ask(gw)).toBe(400);
  } finally {
    await gw.stop(1000);
  }
});
