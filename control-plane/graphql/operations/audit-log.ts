import { pageArgs as prismaPageArgs, toPage } from "../../services/pagination.js";
import { builder } from "../builder.js";
import { AuditLogEntryRef } from "../types/audit-log.js";
import { connection, pageArgs } from "../types/pagination.js";

const AuditLogConnection = connection("AuditLog", AuditLogEntryRef);

builder.queryField("auditLog", (t) =>
  t.field({
    nullable: true,
    type: AuditLogConnection,
    description: "Who changed what, newest first. Proxy admins only.",
    authScopes: { proxyAdmin: true },
    args: {
      objectType: t.arg.string({ description: "key, user, team, organization or model." }),
      objectId: t.arg.string(),
      actor: t.arg.string(),
      ...pageArgs,
    },
    resolve: async (_root, { objectType, objectId, actor, first, after }, ctx) => {
      const { first: size, take, cursor, skip } = prismaPageArgs({ first, after }, "id");
      const rows = await ctx.cp.db.auditLog.findMany({
        where: {
          ...(objectType ? { objectType } : {}),
          ...(objectId ? { objectId } : {}),
          ...(actor ? { actor } : {}),
        },
        // Newest first; the id breaks ties between entries of the same millisecond.
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take,
        ...(cursor ? { cursor, skip } : {}),
      });
      return toPage(rows, size, (e) => e.id);
    },
  }),
);
