/**
 * Typed failures of the service layer. GraphQL returns them as typed results (errors
 * plugin); REST maps them to statuses (400, 404, 403, 409). Messages are for people and
 * never carry secrets.
 */
export abstract class ServiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class InvalidInputError extends ServiceError {
  readonly status = 400;
  readonly code = "invalid_input";
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
  readonly code = "not_found";
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

export class ForbiddenError extends ServiceError {
  readonly status = 403;
  readonly code = "forbidden";
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

export class ConflictError extends ServiceError {
  readonly status = 409;
  readonly code = "conflict";
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** Not signed in (no key, or a key that is unknown, blocked or expired). */
export class UnauthenticatedError extends ServiceError {
  readonly status = 401;
  readonly code = "unauthenticated";
  constructor(message: string) {
    super(message);
    this.name = "UnauthenticatedError";
  }
}
