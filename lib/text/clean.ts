/**
 * Text from vendors (speech recognition, model output, tool arguments) is untrusted: a NUL or a
 * UTF-16 surrogate without its partner is valid in a JS string and in a Temporal payload, but no
 * Postgres text or jsonb column stores it (SQLSTATE 22P05 / 22021), so one such character in a
 * transcript would block a call's settlement. Every vendor string is cleaned here before it leaves
 * the process that received it.
 */

// NUL, other C0/C1 controls except tab, newline and carriage return, and lone surrogates.
const UNSAFE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** True when `text` holds a character that `cleanText` would remove or replace. */
export function hasUnsafeText(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/**
 * `text` without NUL and control characters (dropped) and with each lone surrogate replaced by
 * U+FFFD, cut to at most `maxLength` UTF-16 units without splitting a surrogate pair.
 */
export function cleanText(text: string, maxLength = 4_000): string {
  let out = text.replace(UNSAFE, (ch) => (ch.length === 1 && ch >= '\ud800' && ch <= '\udfff' ? '\ufffd' : ''));
  if (out.length > maxLength) {
    let end = maxLength;
    const last = out.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not keep half of a pair
    out = out.slice(0, end);
  }
  return out;
}

/** Cleans every string (values and keys) in a JSON-like value, e.g. a tool call's arguments. */
export function cleanJson<T>(value: T, maxLength = 4_000): T {
  if (typeof value === 'string') return cleanText(value, maxLength) as T;
  if (Array.isArray(value)) return value.map((v) => cleanJson(v, maxLength)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[cleanText(k, 200)] = cleanJson(v, maxLength);
    return out as T;
  }
  return value;
}
