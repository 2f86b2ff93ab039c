import type { Db } from "../db.js";

/**
 * What a change touched, by id, so that only those rows are reread into the snapshot.
 * A user or team also brings its keys (deleting one deletes its keys).
 */
export interface ChangeRefs {
  deployments?: string[];
  keys?: string[];
  users?: string[];
  teams?: string[];
  organizations?: string[];
}

/** What every service needs. */
export interface ServiceContext {
  readonly db: Db;
  /**
   * Called after every committed change and awaited before the mutation answers, so that a
   * key generated or revoked is already honoured (or refused) by the data plane.
   */
  changed(what: string, refs: ChangeRefs): Promise<void>;
  now(): Date;
}
