/**
 * Python `str` semantics that the ported metrics depend on. sacreBLEU and rouge_score split on
 * Python's notion of whitespace and index by code point, which differ from JS `\s` and UTF-16.
 */

/** Characters for which Python's str.isspace() is true (JS `\s` adds U+FEFF and lacks U+001C–U+001F, U+0085). */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`, 'u');
const PY_WS_TRAIL = new RegExp(`[${PY_WS}]+$`, 'u');

/** Python's `s.split()`: runs of whitespace separate, no empty fields. */
export function pySplit(s: string): string[] {
  return s.split(PY_WS_RUN).filter((t) => t !== '');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_WS_TRAIL, '');
}

/** The string as code points, the unit Python's len() and slicing use. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Adds `n` to the count of `key`. */
export function bump(counts: Map<string, number>, key: string, n = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + n);
}
