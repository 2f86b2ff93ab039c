/**
 * Regular expressions that match one exact JSON shape, for the stream translators' fast
 * path: their commonest event (a text delta) is recognised and its text read at a fraction
 * of JSON.parse's cost (irregexp compiles these to native code). A shape is the JSON
 * grammar of that one object, keys in the order the upstream writes them, whitespace
 * allowed between tokens; strings and numbers are checked as JSON.parse checks them. Any
 * other text does not match and goes through JSON.parse, so an unexpected shape is slower,
 * never wrong. Captured strings are raw (still escaped), which is valid inside a JSON string.
 */

const WS = "[ \\t\\n\\r]*";
const STRING_BODY = '(?:[^"\\\\\\u0000-\\u001f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*';

/** Any JSON string. */
export const STRING = `"${STRING_BODY}"`;
/** A JSON string whose contents are captured, escapes kept. */
export const STRING_CAPTURE = `"(${STRING_BODY})"`;
/** A non-negative integer as JSON writes it. */
export const UINT = "(?:0|[1-9][0-9]*)";

/** Tokens in order, any JSON whitespace before each. */
export function seq(...tokens: string[]): string {
  return tokens.map((t) => WS + t).join("");
}

/** `{}` with the given key-value pattern repeated, comma-separated. */
export function objectOf(member: string): string {
  return `${seq("\\{")}(?:${member}(?:${seq(",")}${member})*)?${seq("\\}")}`;
}

/** `[]` of the given value pattern, comma-separated. */
export function arrayOf(value: string): string {
  return `${seq("\\[")}(?:${value}(?:${seq(",")}${value})*)?${seq("\\]")}`;
}

/** The whole text must be the shape (surrounding whitespace allowed). */
export function shape(source: string): RegExp {
  return new RegExp(`^${source}${WS}$`);
}
