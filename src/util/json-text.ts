/** JSON text of single values, written by hand where a report is built piece by piece (analyze --json). */

/** JSON.stringify of a number. */
export function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** JSON.stringify of a string: quoted as it is when nothing in it needs escaping, which is nearly always. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
