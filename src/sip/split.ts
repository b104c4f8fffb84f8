/** Splitting header values on separators while respecting quoted strings, quoted-pairs and <...>. */

export interface Piece {
  text: string;
  /** Offset of text within the string that was split. */
  offset: number;
}

/**
 * Split on `sep` outside quotes and angle brackets. Pieces are trimmed of surrounding whitespace (offsets
 * follow). An unterminated quote swallows the rest, which the caller reports.
 */
export function splitOutside(s: string, sep: number, from = 0, to = s.length): Piece[] {
  const out: Piece[] = [];
  let inQuote = false;
  let angle = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++; // quoted-pair: the next byte is literal, even a quote
      else if (c === 0x22) inQuote = false;
      continue;
    }
    if (c === 0x22) inQuote = true;
    else if (c === 0x3c) angle++;
    else if (c === 0x3e) { if (angle > 0) angle--; }
    else if (c === sep && angle === 0) {
      out.push(trimPiece(s, start, i));
      start = i + 1;
    }
  }
  out.push(trimPiece(s, start, to));
  return out;
}

export function trimPiece(s: string, from: number, to: number): Piece {
  while (from < to && isWs(s.charCodeAt(from))) from++;
  while (to > from && isWs(s.charCodeAt(to - 1))) to--;
  return { text: s.slice(from, to), offset: from };
}

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Index of the closing quote of a quoted string that opens at `open`, or -1 when unterminated. */
export function closingQuote(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) { i++; continue; }
    if (c === 0x22) return i;
  }
  return -1;
}

/** Remove the quotes and resolve quoted-pairs: `"a \"b\""` → `a "b"`. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length - 1) { out += s[++i]; continue; }
    out += c;
  }
  return out;
}

export function quote(s: string): string {
  return '"' + s.replace(/(["\\])/g, '\\$1') + '"';
}

/**
 * Collapse folded lines and runs of whitespace to single spaces (RFC 3261 §7.3.1 LWS equivalence): a fold
 * `[ \t]* CRLF [ \t]+` becomes one space, and so does any other line break (CRLF or LF). A scan from LF to LF
 * rather than `replace(/[ \t]*\r?\n[ \t]+/g, ' ')`, which retries a long run of spaces from each of its
 * characters (quadratic) when the run is not followed by a line break.
 */
export function unfold(s: string): string {
  if (!/[\r\n]/.test(s)) return s;
  let out = '';
  let from = 0;
  for (let lf = s.indexOf('\n'); lf >= 0; lf = s.indexOf('\n', lf + 1)) {
    const brk = lf > from && s.charCodeAt(lf - 1) === 0x0d ? lf - 1 : lf;
    let after = lf + 1;
    while (after < s.length && isSpTab(s.charCodeAt(after))) after++;
    if (after > lf + 1) {
      // A fold: the whitespace on both sides of the line break goes with it.
      let before = brk;
      while (before > from && isSpTab(s.charCodeAt(before - 1))) before--;
      out += s.slice(from, before) + ' ';
      from = after;
      lf = after - 1;
    } else {
      out += s.slice(from, brk) + ' ';
      from = lf + 1;
    }
  }
  return out + s.slice(from);
}

function isSpTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
