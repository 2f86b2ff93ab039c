/**
 * Requests that arrive in a provider's own wire format (`/v1/messages` is Anthropic's) are
 * translated to OpenAI's for the shared hot path, but a deployment of that very provider
 * takes the client's body as sent, and its answer goes back as the upstream wrote it. The
 * route's format attaches the client's body to the translated one; the registry hands such
 * a call to the provider's `callNative` when the formats match; answers given that way are
 * marked so the route's format passes them through instead of translating them back.
 */

export type NativeFormat = "anthropic-messages";

export interface NativeRequest {
  readonly format: NativeFormat;
  /** The client's request body, parsed once; providers must not mutate it. */
  readonly body: Readonly<Record<string, unknown>>;
  /**
   * Set by the provider as it yields the first chunk of a native stream (so once headers
   * go out, not before: a call that fails before its first chunk may still be answered by
   * another deployment, in OpenAI's format, and translated).
   */
  nativeStream: boolean;
}

// Keyed by the translated body object, which the hot path hands to the provider as is.
const requests = new WeakMap<object, NativeRequest>();
const answers = new WeakSet<object>();

export function attachNative(
  translated: object,
  format: NativeFormat,
  body: Readonly<Record<string, unknown>>,
): NativeRequest {
  const native: NativeRequest = { format, body, nativeStream: false };
  requests.set(translated, native);
  return native;
}

export function nativeRequestOf(translated: object): NativeRequest | undefined {
  return requests.get(translated);
}

/** Marks a whole answer body as already in the client's format. */
export function nativeAnswer(body: Uint8Array): Uint8Array {
  answers.add(body);
  return body;
}

export function isNativeAnswer(body: string | Uint8Array): boolean {
  return typeof body !== "string" && answers.has(body);
}
