import { randomBytes } from "node:crypto";
import OpenAI from "openai";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { busChannels } from "../../../bus/channels.js";
import { RedisBus } from "../../../bus/redis-bus.js";
import { buildSnapshotFromConfig } from "../../../control-plane/snapshot/build-from-config.js";
import { DataPlaneServer } from "../../../data-plane/server.js";
import { ConfigSchema } from "../../../schema/config.js";
import { type FakeOpenAI, startFakeOpenAI } from "../../fakes/openai-upstream.js";
import { describeWhenAvailable } from "../../helpers/cluster.js";
import { redisUnavailable } from "../../helpers/redis.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = pino({ level: "silent" });

describeWhenAvailable(
  "deployment cooldowns shared across data-plane nodes",
  await redisUnavailable(REDIS_URL),
  suite,
);

function suite(): void {
  let fake: FakeOpenAI;
  const buses: RedisBus[] = [];
  const nodes: DataPlaneServer[] = [];
  const channel = busChannels(`test-${randomBytes(4).toString("hex")}:`).cooldowns;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const config = ConfigSchema.parse({
      model_list: ["x", "y"].map((id, i) => ({
        model_name: "shared",
        litellm_params: { model: `openai/${id}`, api_base: fake.url, api_key: "k", order: i + 1 },
        model_info: { id },
      })),
      router_settings: { cooldown_time: 60 },
    });
    for (const nodeId of ["a", "b"]) {
      const bus = new RedisBus(REDIS_URL, { logger });
      await bus.start();
      buses.push(bus);
      const node = new DataPlaneServer({
        host: "127.0.0.1",
        port: 0,
        snapshot: buildSnapshotFromConfig(config),
        logger,
        cooldowns: { bus, channel, nodeId },
      });
      await node.start();
      nodes.push(node);
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop(0);
    for (const bus of buses) await bus.stop();
    await fake?.stop();
  });

  function client(node: DataPlaneServer): OpenAI {
    return new OpenAI({
      apiKey: "any",
      baseURL: `http://127.0.0.1:${node.port}/v1`,
      maxRetries: 0,
    });
  }

  it("a 429 seen by one node takes the deployment out of rotation on the other", async () => {
    const [a, b] = nodes as [DataPlaneServer, DataPlaneServer];
    // Node b sends to x (order 1) while it is healthy.
    await client(b).chat.completions.create({
      model: "shared",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(fake.requests.map((r) => (r.body as { model: string }).model)).toEqual(["x"]);
    fake.reset();

    // Node b's own handler is called before this one (same connection, subscribed first).
    const heard = new Promise<string>((resolve) => {
      void buses[1]!.subscribe(channel, resolve);
    });
    fake.script({ kind: "error", status: 429 });
    const err = await client(a)
      .chat.completions.create({ model: "shared", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(JSON.parse(await heard)).toMatchObject({ id: "x", node: "a" });

    fake.reset();
    for (let i = 0; i < 5; i++) {
      await client(b).chat.completions.create({
        model: "shared",
        messages: [{ role: "user", content: "hi" }],
      });
    }
    expect(fake.requests.map((r) => (r.body as { model: string }).model)).toEqual([
      "y",
      "y",
      "y",
      "y",
      "y",
    ]);
  });
}
