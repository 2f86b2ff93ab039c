import { builder } from "../builder.js";

/** Who changed what; `before`/`after` were redacted when written. */
export const AuditLogEntryRef = builder.prismaObject("AuditLog", {
  name: "AuditLogEntry",
  fields: (t) => ({
    id: t.exposeID("id"),
    at: t.expose("at", { type: "DateTime" }),
    actor: t.exposeString("actor", { description: "`master_key`, a user id or a key name." }),
    action: t.exposeString("action", { description: "e.g. key.generate, user.update." }),
    objectType: t.exposeString("objectType"),
    objectId: t.exposeString("objectId"),
    before: t.field({ type: "JSON", nullable: true, resolve: (e) => parseJson(e.before) }),
    after: t.field({ type: "JSON", nullable: true, resolve: (e) => parseJson(e.after) }),
  }),
});

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
