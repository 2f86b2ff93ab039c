import type { Caller } from "../auth/authenticate.js";
import type { CallType } from "../providers/types.js";
import type { CallOutcome } from "../router/call-outcome.js";

/**
 * One finished `/v1` request after authentication, as the hot path hands it over: plain
 * references, no copying. A spend recorder turns it into a spend event off the request path.
 */
export interface FinishedCall {
  readonly requestId: string;
  readonly callType: CallType;
  readonly caller: Caller;
  /** The model the client asked for (the group), or "" when the body did not parse. */
  readonly model: string;
  /** The parsed request body (metadata, user, tags), or undefined when it did not parse. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /** `x-switchyard-tags` as sent. */
  readonly tagsHeader: string;
  readonly stream: boolean;
  /** Wall-clock start, and performance.now() marks for start, first byte and end. */
  readonly startedAtEpochMs: number;
  readonly startedAt: number;
  readonly respondedAt: number;
  readonly endedAt: number;
  /** HTTP status sent to the client (0: the client left before any answer). */
  readonly status: number;
  readonly outcome: CallOutcome;
  /** What the request cost, in USD (what limits and budgets settled). */
  readonly cost: number;
  readonly aborted: boolean;
}

/** Where finished requests go to become spend records. Must not block or throw. */
export interface SpendRecorder {
  record(call: FinishedCall): void;
}

/** Spend recording off (tests and benches that only exercise the proxy). */
export const NO_SPEND: SpendRecorder = { record: () => undefined };
