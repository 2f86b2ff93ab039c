import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Bus, BusUnavailableError } from "../../bus/bus.js";
import { InProcessBus } from "../../bus/in-process-bus.js";

function captureLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

describe("InProcessBus", () => {
  let bus: InProcessBus;

  afterEach(async () => {
    await bus?.stop();
  });

  async function started(): Promise<InProcessBus> {
    bus = new InProcessBus({ logger: pino({ level: "silent" }) });
    await bus.start();
    return bus;
  }

  it("delivers on a later microtask, never inside publish itself", async () => {
    await started();
    const got: string[] = [];
    await bus.subscribe("c", (m) => got.push(m));
    const publishing = bus.publish("c", "one");
    expect(got).toEqual([]);
    await publishing;
    expect(got).toEqual(["one"]);
  });

  it("keeps publish order across channels and handlers (1000 messages)", async () => {
    await started();
    const got: string[] = [];
    await bus.subscribe("a", (m) => got.push(`a:${m}`));
    await bus.subscribe("b", (m) => got.push(`b:${m}`));
    const expected: string[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      const channel = i % 3 === 0 ? "b" : "a";
      expected.push(`${channel}:${i}`);
      sends.push(bus.publish(channel, String(i)));
    }
    await Promise.all(sends);
    expect(got).toEqual(expected);
  });

  it("delivers to every handler of the channel and to no other channel", async () => {
    await started();
    const got: string[] = [];
    await bus.subscribe("c", (m) => got.push(`1:${m}`));
    await bus.subscribe("c", (m) => got.push(`2:${m}`));
    await bus.subscribe("other", (m) => got.push(`other:${m}`));
    await bus.publish("c", "x");
    expect(got).toEqual(["1:x", "2:x"]);
  });

  it("stops delivery once unsubscribed, even of a message already published", async () => {
    await started();
    const got: string[] = [];
    const unsubscribe = await bus.subscribe("c", (m) => got.push(m));
    await bus.publish("c", "before");
    const inFlight = bus.publish("c", "in flight");
    await unsubscribe();
    await inFlight;
    await bus.publish("c", "after");
    expect(got).toEqual(["before"]);
    await unsubscribe(); // a second call does nothing
  });

  it("does not hand a message to a handler subscribed after it was published", async () => {
    await started();
    const got: string[] = [];
    const publishing = bus.publish("c", "early");
    await bus.subscribe("c", (m) => got.push(m));
    await publishing;
    await bus.publish("c", "late");
    expect(got).toEqual(["late"]);
  });

  it("keeps delivering to the other handlers when one throws, and logs it", async () => {
    const { logger, lines } = captureLogger();
    bus = new InProcessBus({ logger });
    await bus.start();
    const got: string[] = [];
    await bus.subscribe("c", () => {
      throw new Error("boom");
    });
    await bus.subscribe("c", (m) => got.push(m));
    await bus.publish("c", "x");
    expect(got).toEqual(["x"]);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
  });

  it("is always up and never calls a state listener", async () => {
    await started();
    const states: string[] = [];
    const off = bus.onStateChange((s) => states.push(s));
    expect(bus.state).toBe("up");
    await bus.publish("c", "x");
    off();
    expect(states).toEqual([]);
  });

  it("refuses to publish before start and after stop, and delivers nothing after stop", async () => {
    bus = new InProcessBus({ logger: pino({ level: "silent" }) });
    await expect(bus.publish("c", "x")).rejects.toBeInstanceOf(BusUnavailableError);
    const got: string[] = [];
    await bus.subscribe("c", (m) => got.push(m)); // allowed before start
    await bus.start();
    const inFlight = bus.publish("c", "in flight");
    await bus.stop();
    await inFlight;
    expect(got).toEqual([]);
    await expect(bus.publish("c", "x")).rejects.toThrow(/stopped/);
    await expect(bus.subscribe("c", () => {})).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it("is a Bus", () => {
    const asBus: Bus = new InProcessBus();
    expect(asBus.state).toBe("up");
  });
});
