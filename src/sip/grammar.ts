/**
 * Character classes of the RFC 3261 §25.1 ABNF, as 128-entry lookup tables.
 * Tables beat regexes here: the parser classifies every byte of large captures.
 */

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [a, b] of ranges) for (let i = a; i <= b; i++) t[i] = 1;
  return t;
}

const ALNUM: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", ALNUM);
/** unreserved = alphanum / mark */
export const UNRESERVED = table("-_.!~*'()", ALNUM);
/** user = 1*( unreserved / escaped / user-unreserved ) */
export const USER = table("-_.!~*'()&=+$,;?/", ALNUM);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD = table("-_.!~*'()&=+$,", ALNUM);
/** paramchar = param-unreserved / unreserved / escaped */
export const PARAMCHAR = table("-_.!~*'()[]/:&+$", ALNUM);
/** hname / hvalue = 1*( hnv-unreserved / unreserved / escaped ) */
export const HNV = table("-_.!~*'()[]/?:+$", ALNUM);
/** uric = reserved / unreserved / escaped (absoluteURI content) */
export const URIC = table(";/?:@&=+$,-_.!~*'()", ALNUM);
/** word (Call-ID) = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
export const WORD = table("-.!%*_+`'~()<>:\\\"/[]?{}", ALNUM);
/** hostname characters (labels, dots) */
export const HOSTCHAR = table('-.', ALNUM);
export const HEX = table('', [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]);
export const DIGIT = table('', [[0x30, 0x39]]);
export const ALPHA = table('', [[0x41, 0x5a], [0x61, 0x7a]]);
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = table('+-.', ALNUM);

export function isAll(s: string, t: Uint8Array, from = 0, to = s.length): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || !t[c]) return false;
  }
  return true;
}

/** Like isAll, but "%" HEX HEX escapes are also accepted (the `escaped` production). */
export function isAllEscaped(s: string, t: Uint8Array, from = 0, to = s.length): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= to) return false;
      if (!HEX[s.charCodeAt(i + 1)] || !HEX[s.charCodeAt(i + 2)]) return false;
      i += 2;
      continue;
    }
    if (c > 255 || !t[c]) return false;
  }
  return true;
}

/** Position of the first character not allowed, or -1. Escapes count as allowed. */
export function firstInvalid(s: string, t: Uint8Array, from = 0, to = s.length, escapes = true): number {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (escapes && c === 0x25) {
      if (i + 2 < to && HEX[s.charCodeAt(i + 1)] && HEX[s.charCodeAt(i + 2)]) { i += 2; continue; }
      return i;
    }
    if (c > 255 || !t[c]) return i;
  }
  return -1;
}

export function isToken(s: string): boolean {
  return isAll(s, TOKEN);
}

export function isDigits(s: string): boolean {
  return isAll(s, DIGIT);
}

/** delta-seconds and friends: the RFC caps many scalars at 2^32-1 (RFC 4475 §3.1.2.4). */
export const MAX_UINT32 = 4294967295;

export function parseUint(s: string): number | undefined {
  if (!isDigits(s)) return undefined;
  // Leading zeros are legal (wsinv's "0068"); Number() copes with huge strings as Infinity-free floats.
  const n = Number(s);
  return Number.isFinite(n) ? n : Number.MAX_VALUE;
}
