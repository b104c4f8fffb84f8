/**
 * Bytes → SipMessage. Framing follows RFC 3261 §18.3 (Content-Length; on datagrams a missing one means
 * "to the end of the packet" and extra bytes are ignored) and §7.5 (leading CRLFs are skipped). The parser
 * never throws on input: every problem becomes a Diagnostic.
 */
import { diag, type Diagnostic } from './diagnostics.js';
import { DIGIT, TOKEN, isAll, firstInvalid } from './grammar.js';
import { HeaderField } from './header-field.js';
import { headerKey } from './header-names.js';
import { SipRequest, SipResponse, type AnySipMessage, type StartLine } from './message.js';

export interface ParseOptions {
  /**
   * datagram (UDP, SCTP, a file): the bytes are the whole message, trailing bytes are ignored.
   * stream (TCP, TLS): Content-Length frames the message; a short buffer means "need more bytes".
   */
  framing?: 'datagram' | 'stream';
}

export interface ParseResult {
  message?: AnySipMessage;
  /** Problems found; also in message.diagnostics when a message was built. */
  diagnostics: Diagnostic[];
  /** Bytes used by this message (including leading CRLFs). 0 with `incomplete` on a stream. */
  consumed: number;
  /** Stream framing only: the buffer ends before the message does. */
  incomplete?: boolean;
}

const NO_BODY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;

export function parseMessage(bytes: Buffer, options: ParseOptions = {}): ParseResult {
  const framing = options.framing ?? 'datagram';
  const diags: Diagnostic[] = [];
  let start = 0;
  while (start < bytes.length && (bytes[start] === CR || bytes[start] === LF)) start++;
  if (start >= bytes.length) {
    if (framing === 'stream') return { diagnostics: [], consumed: 0, incomplete: true };
    diags.push(diag('empty', 'error', 'RFC 3261 §7', 'no SIP message: the input is empty', 0));
    return { diagnostics: diags, consumed: bytes.length };
  }

  // End of the header section: the first CRLFCRLF, or LFLF from senders that use bare LF. One walk over the
  // LFs up to the first of either, rather than two searches to the end of the buffer for both: on a stream
  // of many messages (parseStream) the latter is quadratic when only one of the two forms is used.
  let headEnd = -1;
  let sepLen = 0;
  for (let lf = bytes.indexOf(LF, start); lf >= 0; lf = bytes.indexOf(LF, lf + 1)) {
    const next = bytes[lf + 1];
    if (next === LF) { headEnd = lf; sepLen = 2; break; }
    if (next === CR && bytes[lf + 2] === LF && bytes[lf - 1] === CR) { headEnd = lf - 1; sepLen = 4; break; }
  }
  let headerTerminated = headEnd >= 0;
  if (!headerTerminated) {
    if (framing === 'stream') return { diagnostics: [], consumed: 0, incomplete: true };
    headEnd = bytes.length;
    sepLen = 0;
  }
  // Header text as latin1: one char per byte, so offsets are byte offsets and re-encoding is exact.
  const head = bytes.toString('latin1', start, headEnd + (sepLen === 4 ? 2 : sepLen === 2 ? 1 : 0));
  const base = start;

  // ---- start line
  let eolAt = head.indexOf('\n');
  if (eolAt < 0) eolAt = head.length;
  const lineEnd = eolAt > 0 && head.charCodeAt(eolAt - 1) === CR ? eolAt - 1 : eolAt;
  const startLine: StartLine = { text: head.slice(0, lineEnd), eol: head.slice(lineEnd, eolAt + 1) };
  // Bare LFs are counted and reported once per message: a sender that uses them does so on every line.
  let bareLf = startLine.eol === '\n' ? 1 : 0;
  let firstBareLf = bareLf ? base + lineEnd : -1;

  // ---- header fields (with folding: a line starting with SP/HT continues the previous field)
  const fields: HeaderField[] = [];
  let pos = eolAt + 1;
  let pendingStart = -1;
  /** Index of the colon of the pending field, or -1 for an opaque one (a line without ':'). */
  let pendingColon = -1;
  const flush = (end: number) => {
    if (pendingStart < 0) return;
    if (pendingColon < 0) {
      // Kept as an opaque field (named by its first word, with no value) so re-serialization stays exact;
      // its folded continuation lines, if any, stay with it.
      fields.push(new HeaderField(head, pendingStart, end, base + pendingStart, true));
      pendingStart = -1;
      return;
    }
    let nameEnd = pendingColon;
    while (nameEnd > pendingStart && (head.charCodeAt(nameEnd - 1) === 0x20 || head.charCodeAt(nameEnd - 1) === 0x09)) nameEnd--;
    const name = head.slice(pendingStart, nameEnd);
    if (!isAll(name, TOKEN)) {
      diags.push(diag('bad-header-name', 'error', 'RFC 3261 §25.1 (header-name)', `header name "${name}" is not a token`, base + pendingStart));
    }
    // The field finds its colon again as the first ':' from its start: pendingColon is that one.
    fields.push(new HeaderField(head, pendingStart, end, base + pendingStart, false, headerKey(name)));
    pendingStart = -1;
  };
  let nextColon = -2;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length - 1;
    const c = head.charCodeAt(pos);
    if (c === 0x20 || c === 0x09) {
      if (pendingStart < 0) {
        // Right after the start line: the line continues nothing, but its bytes are kept (opaque field).
        diags.push(diag('folding-without-header', 'error', 'RFC 3261 §7.3.1', 'a continuation line (starting with whitespace) follows no header', base + pos));
        pendingStart = pos;
        pendingColon = -1;
      }
      pos = nl + 1;
      continue;
    }
    flush(pos);
    if (nl > 0 && head.charCodeAt(nl) === LF && head.charCodeAt(nl - 1) !== CR) {
      if (bareLf++ === 0) firstBareLf = base + nl;
    }
    // The first ':' at or after pos. A search that ran past this line is reused for the next lines, so
    // that many colon-less lines cost one scan instead of one scan each (quadratic).
    if (nextColon !== -1 && nextColon < pos) nextColon = head.indexOf(':', pos);
    const colon = nextColon;
    if (colon < 0 || colon > nl) {
      const line = head.slice(pos, nl + 1).replace(/\r?\n$/, '');
      diags.push(diag('header-without-colon', 'error', 'RFC 3261 §7.3.1 (message-header)', `header line "${line.slice(0, 50)}" has no ':'`, base + pos));
      pendingStart = pos;
      pendingColon = -1;
      pos = nl + 1;
      continue;
    }
    pendingStart = pos;
    pendingColon = colon;
    pos = nl + 1;
  }
  flush(head.length);

  if (bareLf > 0) {
    diags.push(diag('bare-lf', 'warning', 'RFC 3261 §7 (SYN-03)', `${bareLf} line${bareLf > 1 ? 's end' : ' ends'} with LF instead of CRLF`, firstBareLf));
  }
  const headerEnd = sepLen === 4 ? '\r\n' : sepLen === 2 ? '\n' : '';
  if (!headerTerminated) {
    diags.push(diag('no-header-terminator', 'error', 'RFC 3261 §7 (SYN-03)', 'the header section does not end with an empty line (CRLF CRLF)', bytes.length));
  }

  // ---- framing by Content-Length
  const bodyStart = headEnd + sepLen;
  const available = bytes.length - bodyStart;
  const clFields = fields.filter((f) => f.key === 'content-length');
  let bodyLen = available;
  if (clFields.length === 0) {
    if (framing === 'stream') {
      diags.push(diag('missing-content-length', 'error', 'RFC 3261 §20.14, §18.3 (SYN-06)', 'no Content-Length on a stream transport: the body length is unknown, taken as 0', base));
      bodyLen = 0;
    }
  } else {
    const values = clFields.map((f) => f.value);
    const v = values[0];
    if (!isAll(v, DIGIT)) {
      diags.push(diag('bad-content-length', 'error', 'RFC 3261 §20.14 (SYN-06); RFC 4475 §3.1.2.3', `Content-Length "${v}" is not a non-negative number`, clFields[0].valueOffset));
      if (framing === 'stream') bodyLen = 0;
    } else {
      const n = Number(v);
      if (values.some((x) => x !== v)) {
        diags.push(diag('content-length-conflict', 'error', 'RFC 3261 §20.14 (SYN-10); RFC 4475 §3.3.9', `conflicting Content-Length values ${values.join(' and ')}: the framing is unknown`, clFields[1].valueOffset));
      }
      if (n > available) {
        if (framing === 'stream') return { diagnostics: [], consumed: 0, incomplete: true };
        diags.push(diag('content-length-exceeds', 'error', 'RFC 3261 §18.3 (SYN-06); RFC 4475 §3.1.2.2', `Content-Length ${n} is larger than the ${available} bytes that follow the header section`, clFields[0].valueOffset));
      } else bodyLen = n;
    }
  }
  const end = bodyStart + bodyLen;
  // Most messages have no body: they share one empty buffer instead of keeping a view each.
  const body = end > bodyStart ? bytes.subarray(bodyStart, end) : NO_BODY;
  let trailing: Buffer | undefined;
  let consumed = end;
  if (framing === 'datagram' && end < bytes.length) {
    trailing = bytes.subarray(end);
    // Padding with CRLF or NUL is common and harmless; anything else may be a second message (RFC 4475 dblreq).
    if (!/^[\r\n\0 ]*$/.test(trailing.toString('latin1', 0, Math.min(trailing.length, 64)))) {
      diags.push(diag('trailing-bytes', 'warning', 'RFC 3261 §18.3 (SYN-14)', `${trailing.length} bytes after the Content-Length body are ignored`, end));
    }
    consumed = bytes.length;
  }

  const message = buildMessage(startLine, fields, headerEnd, body, diags, base, trailing);
  return { message, diagnostics: diags, consumed };
}

function buildMessage(sl: StartLine, fields: HeaderField[], headerEnd: string, body: Buffer, diags: Diagnostic[], base: number, trailing: Buffer | undefined): AnySipMessage | undefined {
  const line = sl.text;
  if (/^SIP\//i.test(line)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const m = /^(\S+) (\S+)(?: (.*))?$/s.exec(line);
    const version = m ? m[1] : line.split(' ')[0];
    const codeText = m ? m[2] : '';
    checkVersion(version, base, diags);
    let status = 0;
    if (!m || !isAll(codeText, DIGIT)) {
      diags.push(diag('bad-status-line', 'error', 'RFC 3261 §7.2 (SYN-02)', `status line "${clip(line)}" is not "SIP/2.0 code reason"`, base));
    } else {
      status = Number(codeText);
      if (codeText.length !== 3 || status < 100 || status > 699) {
        diags.push(diag('bad-status-code', 'error', 'RFC 3261 §7.2, §21 (SYN-02); RFC 4475 §3.1.2.19', `status code ${codeText.length > 12 ? codeText.slice(0, 12) + '…' : codeText} is not three digits 100-699`, base + version.length + 1));
      }
      if (m[3] === undefined) {
        diags.push(diag('status-line-no-reason-sp', 'warning', 'RFC 3261 §7.2 (SYN-02)', 'status line lacks the SP before the (possibly empty) reason phrase', base + line.length));
      }
    }
    const reasonRaw = m?.[3] ?? '';
    checkControlChars(reasonRaw, base + line.length - reasonRaw.length, diags, 'reason phrase');
    const reason = Buffer.from(reasonRaw, 'latin1').toString('utf8');
    return new SipResponse(status, reason, version, sl, fields, headerEnd, body, diags, trailing);
  }

  // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
  const parts = line.split(' ');
  if (parts.length < 3 || parts.some((p) => p === '')) {
    if (/ $/.test(line)) diags.push(diag('request-line-trailing-space', 'error', 'RFC 3261 §7.1, §25.1 (SYN-01); RFC 4475 §3.1.2.10', 'whitespace between the SIP version and the end of the request line', base + line.trimEnd().length));
    if (/\S {2,}\S/.test(line)) diags.push(diag('request-line-extra-space', 'error', 'RFC 3261 §7.1, §25.1 (SYN-01); RFC 4475 §3.1.2.9', 'several spaces between request-line elements; exactly one SP is allowed', base + line.search(/\S {2,}\S/) + 1));
  }
  // The words with their offsets, taken while splitting: looking a word up again with line.indexOf(word) is
  // quadratic when the word is long and repetitive (a run of '%' in both the method and the URI).
  const lead = line.length - line.trimStart().length;
  const words: string[] = [];
  const at: number[] = [];
  for (const w of line.trim().matchAll(/[^ \t]+/g)) {
    words.push(w[0]);
    at.push(lead + (w.index ?? 0));
  }
  if (words.length < 3) {
    if (words.length === 0) {
      diags.push(diag('no-start-line', 'error', 'RFC 3261 §7.1 (SYN-01)', 'the message has no start line', base));
    } else {
      diags.push(diag('bad-request-line', 'error', 'RFC 3261 §7.1 (SYN-01)', `"${clip(line)}" is neither a request line (METHOD URI SIP/2.0) nor a status line`, base));
    }
    return undefined;
  }
  if (words.length > 3) {
    diags.push(diag('request-uri-lws', 'error', 'RFC 3261 §7.1, §25.1 (SYN-01); RFC 4475 §3.1.2.8', `whitespace inside the Request-URI "${words.slice(1, -1).join(' ')}"`, base + at[2]));
  }
  const method = words[0];
  const version = words[words.length - 1];
  let uriText = words.slice(1, -1).join('');
  const badM = firstInvalid(method, TOKEN, 0, method.length, false);
  if (badM >= 0) diags.push(diag('bad-method', 'error', 'RFC 3261 §25.1 (Method)', `method "${clip(method)}" has a non-token character at position ${badM + 1}`, base + badM));
  checkVersion(version, base + at[words.length - 1], diags);
  const uriOffset = base + at[1];
  if (uriText.startsWith('<') && uriText.endsWith('>')) {
    diags.push(diag('request-uri-brackets', 'error', 'RFC 3261 §25.1 (Request-URI); RFC 4475 §3.1.2.7', 'the Request-URI is enclosed in < >, which only name-addr allows', uriOffset));
    uriText = uriText.slice(1, -1);
  }
  return new SipRequest(method, uriText, version, sl, fields, headerEnd, body, diags, trailing, uriOffset - base);
}

function checkVersion(version: string, offset: number, diags: Diagnostic[]): void {
  if (version.toUpperCase() !== 'SIP/2.0') {
    diags.push(diag('unsupported-version', 'error', 'RFC 3261 §7.1, §21.5.7 (505); RFC 4475 §3.1.2.16', `SIP version "${clip(version)}" is not SIP/2.0`, offset));
  }
}

function checkControlChars(s: string, offset: number, diags: Diagnostic[], what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      diags.push(diag('control-char', 'error', 'RFC 3261 §25.1', `control character 0x${c.toString(16).padStart(2, '0')} in the ${what}`, offset + i));
      return;
    }
  }
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Parse every message of a stream buffer (TCP payload, a file with several messages). */
export function parseStream(bytes: Buffer): { messages: AnySipMessage[]; diagnostics: Diagnostic[]; rest: Buffer } {
  const messages: AnySipMessage[] = [];
  const diagnostics: Diagnostic[] = [];
  let off = 0;
  while (off < bytes.length) {
    const r = parseMessage(bytes.subarray(off), { framing: 'stream' });
    if (r.incomplete) break;
    if (r.message) messages.push(r.message);
    // Not push(...r.diagnostics): spreading a few hundred thousand diagnostics overflows the call stack.
    for (const d of r.diagnostics) diagnostics.push(d);
    if (r.consumed <= 0) break;
    off += r.consumed;
  }
  return { messages, diagnostics, rest: bytes.subarray(off) };
}
