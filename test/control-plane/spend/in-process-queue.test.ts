import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { InProcessSpendQueue } from "../../../control-plane/spend/in-process-spend-queue.js";
import { SpendIngest } from "../../../control-plane/spend/spend-ingest.js";
import type { SpendStore, WriteResult } from "../../../control-plane/spend/spend-store.js";
import { emptyTotals } from "../../../control-plane/spend/spend-store.js";
import type { SpendEvent } from "../../../schema/spend-event.js";
import { spendEvent } from "../../helpers/spend-events.js";

const key = { id: "k", token: "t".repeat(64), userId: null, teamId: null };

/** A store that refuses its first `failures` writes (a database briefly down). */
function flakyStore(failures: number) {
  const written: string[] = [];
  let left = failures;
  const store: SpendStore = {
    async write(events: readonly SpendEvent[]): Promise<WriteResult> {
      if (left-- > 0) throw new Error("database is locked");
      for (const e of events) written.push(e.request_id);
      return { inserted: [...events], totals: emptyTotals() };
    },
    deleteOlderThan: async () => 0,
    rollBudgetWindow: async () => false,
    close: async () => {},
  };
  return { store, written };
}

describe("embedded spend queue", () => {
  it("keeps a batch the database refused and writes it, in order, once it accepts", async () => {
    const { store, written } = flakyStore(3);
    const queue = new InProcessSpendQueue(new SpendIngest(store), {
      logger: pino({ level: "silent" }),
      batchSize: 2,
    });
    queue.deliver([spendEvent("a", key, 1), spendEvent("b", key, 1), spendEvent("c", key, 1)]);
    queue.deliver([spendEvent("d", key, 1)]);
    await queue.drain();
    expect(written).toEqual(["a", "b", "c", "d"]);
    expect(queue.size).toBe(0);
    await queue.stop();
  });
});
