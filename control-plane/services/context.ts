import type { Db } from "../db.js";

/** What every service needs. */
export interface ServiceContext {
  readonly db: Db;
  /**
   * Called after every committed change and awaited before the mutation answers, so that a
   * key generated or revoked is already honoured (or refused) by the data plane.
   */
  changed(what: string): Promise<void>;
  now(): Date;
}
