import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessBus } from "../../bus/in-process-bus.js";
import { busChannels } from "../../bus/channels.js";
import { type DataPlaneNode, startDataPlaneNode } from "../../cli/data-plane-node.js";
import { HttpSnapshotSource } from "../../data-plane/sync/snapshot-source.js";
import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { KeyEntry, Snapshot } from "../../schema/snapshot.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function key(secret: string): KeyEntry {
  return {
    tokenHash: sha256(secret),
    id: secret,
    keyName: secret,
    models: [],
    blocked: false,
    spend: 0,
  };
}

const SNAPSHOT: Snapshot = {
  version: 4,
  builtAt: new Date(1_700_000_000_000).toISOString(),
  masterKeyHash: sha256("sk-master"),
  deployments: [
    {
      id: "d1",
      modelName: "m1",
      provider: "mock",
      model: "m1",
      timeoutMs: 1000,
      streamTimeoutMs: 1000,
      weight: 1,
      extraHeaders: {},
      modelInfo: {},
    },
  ],
  keys: [key("sk-first")],
  users: [],
  teams: [],
  settings: { maxBodyBytes: 10_000, gracefulShutdownMs: 0 },
};

describe("a data-plane node booting", () => {
  const bus = new InProcessBus();
  let controlPlane: Server | undefined;
  let node: DataPlaneNode | undefined;
  /** `GET /internal/snapshot` requests the control plane answered. */
  let fetches = 0;
  /** Holds the first answer back until the test lets it go. */
  let release: (() => void) | undefined;

  beforeAll(async () => {
    await bus.start();
    controlPlane = createServer((req, res) => {
      if (req.url !== "/internal/snapshot") {
        res.writeHead(404).end();
        return;
      }
      fetches++;
      const answer = () =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(SNAPSHOT));
      if (fetches === 1) release = answer;
      else answer();
    });
    await new Promise<void>((r) => controlPlane!.listen(0, "127.0.0.1", r));
  });

  afterAll(async () => {
    await node?.stop();
    await bus.stop();
    await new Promise((r) => controlPlane?.close(r));
  });

  it("fetches the whole snapshot once, and applies a delta published during that fetch", async () => {
    const url = `http://127.0.0.1:${(controlPlane!.address() as AddressInfo).port}`;
    const starting = startDataPlaneNode({
      host: "127.0.0.1",
      port: 0,
      nodeId: "boot-test",
      bus,
      busPrefix: "boot-test:",
      source: new HttpSnapshotSource(url, "token"),
      logger: pino({ level: "silent" }),
    });
    for (let i = 0; i < 1_000 && release === undefined; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(release).toBeDefined();
    // The node is subscribed before it fetches: a change made meanwhile is not lost.
    const delta: SnapshotDelta = {
      version: 5,
      baseVersion: 4,
      builtAt: new Date(1_700_000_000_005).toISOString(),
      change: "key.generate",
      upsert: { deployments: [], keys: [key("sk-second")], users: [], teams: [] },
      remove: { deployments: [], keys: [], users: [], teams: [] },
    };
    await bus.publish(busChannels("boot-test:").snapshot, JSON.stringify({ type: "delta", delta }));
    release!();
    node = await starting;

    expect(fetches).toBe(1);
    expect(node.server.snapshotVersion).toBe(5);
    for (const secret of ["sk-first", "sk-second"]) {
      const res = await fetch(`http://127.0.0.1:${node.port}/v1/models`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(res.status).toBe(200);
    }
    expect(node.sync.status().stale).toBe(false);
    expect(fetches).toBe(1);
  });
});
