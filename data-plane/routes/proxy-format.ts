import type { ApiError } from "../../schema/errors.js";
import type { CallType } from "../providers/types.js";
import { parseRequest, type ValidRequest } from "./validate-request.js";

/**
 * The wire format a client speaks on a proxy route. Providers always take and give
 * OpenAI's format; a ProxyFormat translates the client's request into it and the answer,
 * stream and errors back out of it. Everything else (auth, limits, routing, timeouts,
 * health) is the shared hot path in proxy-call.ts.
 */
export interface ProxyFormat {
  /** The request in OpenAI's form; `rawBody` when the client's text is not that body. */
  parse(text: string, callType: CallType): ValidRequest & { rawBody?: string };
  /** A whole OpenAI answer → the client's answer. */
  answer(body: string | Uint8Array): string | Uint8Array;
  /** The translator for one streamed answer (it may keep state across chunks). */
  openStream(request: ValidRequest): StreamFormat;
  /** The JSON body of an error answered before any byte of the response went out. */
  errorBody(err: ApiError): string;
}

export interface StreamFormat {
  /** One OpenAI chunk JSON text → the SSE text to write ("" writes nothing). */
  frame(chunk: string): string;
  /** The SSE text that ends a complete stream. */
  end(): string;
  /** The SSE text that reports an error once the stream has begun. */
  error(err: ApiError): string;
}

const DONE = "data: [DONE]\n\n";

const OPENAI_STREAM: StreamFormat = {
  frame: (chunk) => `data: ${chunk}\n\n`,
  end: () => DONE,
  // Headers are out: the error travels in the stream, as OpenAI sends it.
  error: (err) => `data: ${JSON.stringify(err.toBody())}\n\n`,
};

/** OpenAI's own format: nothing to translate, the client's bytes go as they came. */
export const OPENAI_FORMAT: ProxyFormat = {
  parse: parseRequest,
  answer: (body) => body,
  openStream: () => OPENAI_STREAM,
  errorBody: (err) => JSON.stringify(err.toBody()),
};
