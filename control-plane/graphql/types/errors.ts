import {
  ConflictError,
  type FieldIssue,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  type ServiceError,
  UnauthenticatedError,
} from "../../services/errors.js";
import { builder } from "../builder.js";

/**
 * The service layer's typed failures as GraphQL types: every mutation's result union holds
 * them, and `... on Error { message code }` catches them all.
 */
export const ErrorInterface = builder.interfaceRef<ServiceError>("Error").implement({
  description: "A failure a client can act on. `code` is stable; `message` is for people.",
  fields: (t) => ({
    message: t.exposeString("message"),
    code: t.exposeString("code"),
  }),
});

const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  description: "One problem with an input field; `path` is dotted, e.g. `litellmParams.model`.",
  fields: (t) => ({
    path: t.exposeString("path"),
    message: t.exposeString("message"),
  }),
});

builder.objectType(InvalidInputError, {
  name: "InvalidInputError",
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof InvalidInputError,
  fields: (t) => ({
    issues: t.field({ type: [FieldIssueRef], resolve: (e) => e.issues }),
  }),
});

for (const [cls, name] of [
  [NotFoundError, "NotFoundError"],
  [ForbiddenError, "ForbiddenError"],
  [ConflictError, "ConflictError"],
  [UnauthenticatedError, "UnauthenticatedError"],
] as const) {
  builder.objectType(cls, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (v) => v instanceof cls,
  });
}
