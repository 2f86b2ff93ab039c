import type { Tx } from "../db.js";
import type { Principal } from "../auth/principal.js";
import { redactSecrets } from "./redact.js";

/** Writes who changed what, in the same transaction as the change; secrets redacted. */
export async function audit(
  tx: Tx,
  principal: Principal,
  action: string,
  objectType: string,
  objectId: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  await tx.auditLog.create({
    data: {
      actor: principal.actor,
      action,
      objectType,
      objectId,
      before:
        before === undefined || before === null ? null : JSON.stringify(redactSecrets(before)),
      after: after === undefined || after === null ? null : JSON.stringify(redactSecrets(after)),
    },
  });
}
