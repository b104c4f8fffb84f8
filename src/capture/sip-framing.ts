/** Byte-level helpers to delimit SIP messages in a stream (RFC 3261 §18.3). */

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

export const CL_MISSING = -1;
export const CL_INVALID = -2;
/** Content-Length values beyond this are treated as unparsable (no real body is near it). */
const MAX_CL_DIGITS = 12;

/** First LF in [from, end), or -1. */
export function findLf(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(LF, from);
  return i >= 0 && i < end ? i : -1;
}

/**
 * Offset just past the empty line that ends a header block (CRLFCRLF, or bare LFs
 * as tshark's line finder also accepts), searching from `from`; -1 if not yet there.
 */
export function findHeaderEnd(buf: Buffer, from: number, end: number): number {
  let i = from;
  for (;;) {
    i = findLf(buf, i, end);
    if (i < 0) return -1;
    if (i + 1 < end && buf[i + 1] === LF) return i + 2;
    if (i + 2 < end && buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
    if (i + 2 >= end) return -1;
    i++;
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

const CONTENT_LENGTH = Buffer.from('content-length');

/** Whether the header line at `p` is named `Content-Length` or compact `l`; returns the value offset or -1. */
function contentLengthValue(buf: Buffer, p: number, lineEnd: number): number {
  let n = p;
  if ((buf[p] | 0x20) === 0x6c && (p + 1 >= lineEnd || buf[p + 1] === COLON || isWs(buf[p + 1]))) {
    n = p + 1;
  } else {
    if (lineEnd - p < CONTENT_LENGTH.length) return -1;
    for (let k = 0; k < CONTENT_LENGTH.length; k++) {
      const c = buf[p + k];
      const want = CONTENT_LENGTH[k];
      if (c !== want && (c | 0x20) !== want) return -1;
    }
    n = p + CONTENT_LENGTH.length;
  }
  while (n < lineEnd && isWs(buf[n])) n++;
  if (n >= lineEnd || buf[n] !== COLON) return -1;
  return n + 1;
}

/**
 * The Content-Length of the header block [start, hdrEnd) (header names are
 * case-insensitive, compact form `l` included), CL_MISSING or CL_INVALID.
 */
export function contentLength(buf: Buffer, start: number, hdrEnd: number): number {
  let p = findLf(buf, start, hdrEnd);
  if (p < 0) return CL_MISSING;
  p++;
  while (p < hdrEnd) {
    let lineEnd = findLf(buf, p, hdrEnd);
    if (lineEnd < 0) lineEnd = hdrEnd;
    const next = lineEnd + 1;
    if (lineEnd > p && buf[lineEnd - 1] === CR) lineEnd--;
    const v = contentLengthValue(buf, p, lineEnd);
    if (v >= 0) return parseLength(buf, v, lineEnd);
    p = next;
  }
  return CL_MISSING;
}

function parseLength(buf: Buffer, p: number, end: number): number {
  while (p < end && isWs(buf[p])) p++;
  let value = 0;
  let digits = 0;
  while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) {
    value = value * 10 + (buf[p] - 0x30);
    digits++;
    p++;
  }
  while (p < end && isWs(buf[p])) p++;
  if (digits === 0 || digits > MAX_CL_DIGITS || p !== end) return CL_INVALID;
  return value;
}
