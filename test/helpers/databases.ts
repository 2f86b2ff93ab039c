import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "./postgres.js";

/** A kind of database the control plane runs on, as the tests see it. */
export interface DatabaseKind {
  name: "sqlite" | "postgresql";
  /** Why this kind cannot run here (undefined = it can). */
  unavailable: string | undefined;
  /** A fresh, empty database; `label` names it (e.g. "rest"), to tell leftovers apart. */
  create(label: string): Promise<TestDatabase>;
}

export const sqlite: DatabaseKind = {
  name: "sqlite",
  unavailable: undefined,
  create: async (label) => {
    const dir = await mkdtemp(join(tmpdir(), `switchyard-${label}-`));
    return {
      url: `file:${join(dir, "t.db")}`,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

export const postgresql: DatabaseKind = {
  name: "postgresql",
  // Probed once per test file, at import.
  unavailable: await postgresUnavailable(),
  create: (label) => createTestDatabase(`switchyard_${label.replaceAll("-", "_")}`),
};

/** Every database the control plane supports. */
export const databases: readonly DatabaseKind[] = [sqlite, postgresql];

/**
 * Declares `suite` once per database, titled "`title` (sqlite)" etc. A database that is
 * unreachable fails the run in CI (`CI=true`), where it is part of the job, and is skipped
 * locally with a one-line reason.
 */
export function describeForEachDatabase(
  title: string,
  suite: (db: DatabaseKind) => void,
  kinds: readonly DatabaseKind[] = databases,
): void {
  for (const db of kinds) {
    if (db.unavailable === undefined) {
      describe(`${title} (${db.name})`, () => suite(db));
    } else if (process.env.CI === "true") {
      const reason = db.unavailable;
      it(`reaches ${db.name} for ${title} (required in CI)`, () => {
        expect.fail(reason);
      });
    } else {
      console.warn(`skipping ${title} on ${db.name}: ${db.unavailable}`);
      describe.skip(`${title} (${db.name}; skipped: ${db.unavailable})`, () => {
        it("runs the suite", () => {});
      });
    }
  }
}
