import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MASTER_PRINCIPAL } from "../../../control-plane/auth/principal.js";
import { parseConfigText } from "../../../control-plane/config/load-config.js";
import { ControlPlane } from "../../../control-plane/control-plane.js";
import { SpendStreamConsumer } from "../../../control-plane/spend/stream-consumer.js";
import { RedisStreamSink } from "../../../data-plane/spend/redis-stream-sink.js";
import {
  describeWhenAvailable,
  eventually,
  PrivateRedis,
  redisServerUnavailable,
} from "../../helpers/cluster.js";
import { redisUnavailable } from "../../helpers/redis.js";
import { spendEvent } from "../../helpers/spend-events.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

const unavailable = (await redisUnavailable(REDIS_URL)) ?? redisServerUnavailable();

describeWhenAvailable("spend over a Redis Stream", unavailable, () => {
  let cp: ControlPlane;
  let dir: string;
  let key: { id: string; token: string; userId: string | null; teamId: string | null };
  const stream = `test-${randomBytes(6).toString("hex")}:switchyard:spend`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-spend-stream-"));
    cp = await ControlPlane.start({
      config: parseConfigText("general_settings: { master_key: sk-m }\n", "t.yaml", {}).config,
      databaseUrl: `file:${join(dir, "t.db")}`,
      logger,
      onSnapshot: () => {},
    });
    await cp.users.create(MASTER_PRINCIPAL, { userId: "u1" });
    key = (await cp.keys.generate(MASTER_PRINCIPAL, { userId: "u1" })).record;
  });

  afterAll(async () => {
    await cp?.stop();
    const redis = new Redis(REDIS_URL);
    await redis.del(stream);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const keySpend = async () =>
    (await cp.db.virtualKey.findUniqueOrThrow({ where: { id: key.id } })).spend;

  it("writes what nodes append, once, and takes over what a dead consumer left pending", async () => {
    const sink = new RedisStreamSink({
      redisUrl: REDIS_URL,
      stream,
      spoolFile: join(dir, "a.jsonl"),
      logger,
    });
    await sink.start();
    // The same batch twice (a node that resent after a lost reply): counted once.
    const batch = [1, 2, 3].map((i) => spendEvent(`s-${i}`, key, 0.5));
    sink.deliver(batch);
    sink.deliver(batch);
    // A consumer that read entries and died before acknowledging them.
    const redis = new Redis(REDIS_URL);
    await eventually("entries in the stream", async () => {
      expect(await redis.xlen(stream)).toBe(2);
    });
    await redis.xgroup("CREATE", stream, "switchyard-spend", "0", "MKSTREAM");
    const read = await redis.call(
      "XREADGROUP",
      ...["GROUP", "switchyard-spend", "dead", "COUNT", "10", "STREAMS", stream, ">"],
    );
    expect(read).not.toBeNull();
    sink.deliver([spendEvent("s-4", key, 0.5)]);
    const consumer = new SpendStreamConsumer({
      redisUrl: REDIS_URL,
      stream,
      consumer: "live",
      ingest: cp.spendIngest,
      logger,
      claimIdleMs: 300,
    });
    await consumer.start();
    await eventually("every event written", async () => expect(await keySpend()).toBe(2), {
      timeoutMs: 30_000,
    });
    await eventually("the stream emptied (acked and deleted)", async () =>
      expect(await redis.xlen(stream)).toBe(0),
    );
    expect(await cp.db.spendLog.count()).toBe(4);
    await consumer.stop();
    await sink.stop();
    redis.disconnect();
  });

  it("keeps a node's events while Redis is down (memory, then spool file) and delivers them later", async () => {
    const priv = await PrivateRedis.start();
    const privStream = "switchyard:spend";
    const consumer = new SpendStreamConsumer({
      redisUrl: priv.url,
      stream: privStream,
      consumer: "cp",
      ingest: cp.spendIngest,
      logger,
    });
    const sink = new RedisStreamSink({
      redisUrl: priv.url,
      stream: privStream,
      spoolFile: join(dir, "b.jsonl"),
      maxMemoryEvents: 4,
      logger,
    });
    try {
      await consumer.start();
      await sink.start();
      const before = await keySpend();
      await priv.kill();
      for (let i = 0; i < 10; i++) sink.deliver([spendEvent(`down-${i}`, key, 0.25)]);
      expect(sink.waiting.spooled).toBe(true);
      await priv.restart();
      await eventually(
        "the outage's events written",
        async () => expect(await keySpend()).toBe(before + 2.5),
        { timeoutMs: 30_000 },
      );
      expect(sink.waiting).toEqual({ memory: 0, spooled: false });
    } finally {
      await sink.stop();
      await consumer.stop();
      await priv.stop();
    }
  });

  it("spools what a node could not send before it stopped, and sends it at its next start", async () => {
    const priv = await PrivateRedis.start();
    const spoolFile = join(dir, "c.jsonl");
    const privStream = "switchyard:spend";
    try {
      const before = await keySpend();
      await priv.kill();
      const first = new RedisStreamSink({
        redisUrl: priv.url,
        stream: privStream,
        spoolFile,
        logger,
      });
      await first.start();
      first.deliver([spendEvent("stopped-1", key, 0.5), spendEvent("stopped-2", key, 0.5)]);
      await first.stop();
      expect(first.waiting.spooled).toBe(true);
      await priv.restart();
      const consumer = new SpendStreamConsumer({
        redisUrl: priv.url,
        stream: privStream,
        consumer: "cp",
        ingest: cp.spendIngest,
        logger,
      });
      await consumer.start();
      const second = new RedisStreamSink({
        redisUrl: priv.url,
        stream: privStream,
        spoolFile,
        logger,
      });
      await second.start();
      await eventually(
        "the spooled events written",
        async () => expect(await keySpend()).toBe(before + 1),
        { timeoutMs: 30_000 },
      );
      expect(second.waiting.spooled).toBe(false);
      await second.stop();
      await consumer.stop();
    } finally {
      await priv.stop();
    }
  });
});
