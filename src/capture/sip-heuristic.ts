/**
 * Decides whether bytes start with a SIP request or status line, exactly as
 * tshark 4.0 does with its default preferences (dissect_sip_common + sip_parse_line,
 * sip.strict_sip_version TRUE). Acceptance compares our frames with tshark's, so
 * the quirks are deliberate:
 * - the first byte must be printable ASCII and the first line must hold no NUL;
 * - the version must be exactly "SIP/2.0" (case-sensitive) and, in a request line,
 *   end the line; with strict=false any case-insensitive "SIP/" prefix is accepted,
 *   which is tshark's non-default lenient mode.
 */

const S = 0x53;
const I = 0x49;
const P = 0x50;
const SLASH = 0x2f;
const TWO = 0x32;
const DOT = 0x2e;
const ZERO = 0x30;
const SPACE = 0x20;
const COLON = 0x3a;
const CR = 0x0d;
const LF = 0x0a;

function isSip20(buf: Buffer, at: number, end: number): boolean {
  return (
    at + 7 <= end &&
    buf[at] === S &&
    buf[at + 1] === I &&
    buf[at + 2] === P &&
    buf[at + 3] === SLASH &&
    buf[at + 4] === TWO &&
    buf[at + 5] === DOT &&
    buf[at + 6] === ZERO
  );
}

function isSipSlashCaseless(buf: Buffer, at: number, end: number): boolean {
  return (
    at + 4 <= end &&
    (buf[at] | 0x20) === 0x73 &&
    (buf[at + 1] | 0x20) === 0x69 &&
    (buf[at + 2] | 0x20) === 0x70 &&
    buf[at + 3] === SLASH
  );
}

function indexOfByte(buf: Buffer, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

export const enum SipLine {
  Other = 0,
  Request = 1,
  Status = 2,
}

/**
 * Classifies the line at `start`. tshark searches the token spaces and the colon to
 * the end of the data, but a token ending beyond the first line can never satisfy the
 * strict checks (its length or the version position breaks), so bounding the search
 * by the line gives the same answer and keeps non-SIP payloads cheap.
 */
export function sipStartLine(buf: Buffer, start: number, end: number, strict = true): SipLine {
  if (start >= end) return SipLine.Other;
  const c0 = buf[start];
  if (c0 < 0x20 || c0 > 0x7e) return SipLine.Other;

  let lineEnd = start;
  while (lineEnd < end) {
    const c = buf[lineEnd];
    if (c === CR || c === LF) break;
    if (c === 0) return SipLine.Other;
    lineEnd++;
  }

  const sp1 = indexOfByte(buf, SPACE, start, lineEnd);
  if (sp1 <= start) return SipLine.Other;
  const t1len = sp1 - start;
  const t2s = sp1 + 1;
  const sp2 = indexOfByte(buf, SPACE, t2s, lineEnd);
  if (sp2 < 0) return SipLine.Other;
  const t2len = sp2 - t2s;
  const t3s = sp2 + 1;
  const t3len = lineEnd - t3s;

  const versionFirst = strict ? t1len === 7 && isSip20(buf, start, lineEnd) : isSipSlashCaseless(buf, start, lineEnd);
  if (versionFirst) {
    if (t2len !== 3) return SipLine.Other;
    return isDigit(buf[t2s]) && isDigit(buf[t2s + 1]) && isDigit(buf[t2s + 2]) ? SipLine.Status : SipLine.Other;
  }
  if (t2len < 3) return SipLine.Other;
  const colon = indexOfByte(buf, COLON, t2s + 1, t3s);
  if (colon < 0) return SipLine.Other;
  const versionLast = strict ? t3len === 7 && isSip20(buf, t3s, lineEnd) : isSipSlashCaseless(buf, t3s, lineEnd);
  return versionLast ? SipLine.Request : SipLine.Other;
}

export function looksLikeSip(buf: Buffer, start: number, end: number, strict = true): boolean {
  return sipStartLine(buf, start, end, strict) !== SipLine.Other;
}
