import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname } from "node:path";
import type { SpendEvent } from "../../schema/spend-event.js";

/**
 * A node's spend batches on local disk while Redis is unreachable and memory is full (and
 * at shutdown): one JSON batch a line. Writes are synchronous and rare (only while Redis is
 * down). Taking moves the file aside first, so batches spooled meanwhile are not lost, and a
 * crash mid-delivery leaves the taken file to be taken again (delivery is idempotent).
 */
export class SpendSpool {
  private readonly taking: string;

  constructor(readonly path: string) {
    this.taking = `${path}.sending`;
  }

  append(batches: readonly SpendEvent[][]): void {
    if (batches.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${batches.map((b) => JSON.stringify(b)).join("\n")}\n`);
  }

  get hasBatches(): boolean {
    return nonEmpty(this.taking) || nonEmpty(this.path);
  }

  /** The batches to deliver next (the taken file), or undefined when there are none. */
  take(): SpendEvent[][] | undefined {
    if (!nonEmpty(this.taking)) {
      if (!nonEmpty(this.path)) return undefined;
      renameSync(this.path, this.taking);
    }
    const batches: SpendEvent[][] = [];
    for (const line of readFileSync(this.taking, "utf8").split("\n")) {
      if (line === "") continue;
      try {
        batches.push(JSON.parse(line) as SpendEvent[]);
      } catch {
        // A line cut short by a crash mid-write: the rest of the file is still good.
      }
    }
    return batches;
  }

  /** The taken batches were delivered. */
  delivered(): void {
    rmSync(this.taking, { force: true });
  }
}

function nonEmpty(path: string): boolean {
  return existsSync(path) && statSync(path).size > 0;
}
