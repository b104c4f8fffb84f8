/**
 * Lexer for the value of WWW-Authenticate, Proxy-Authenticate, Authorization and Proxy-Authorization:
 * `auth-scheme LWS auth-param *(COMMA auth-param)` (RFC 3261 §25.1). Scheme-agnostic on purpose, so that
 * unknown schemes (RFC 4475 regaut01) and Basic come out as data instead of exceptions.
 *
 * Never throws: every defect becomes a diagnostic and the lexer resynchronises at the next comma that is
 * not inside a quoted string.
 */

import type { Diagnostic } from './diagnostics.js';

/** Auth diagnostics are ordinary message diagnostics; offsets are in the value, plus the caller's `base`. */
export type AuthDiagnostic = Diagnostic;

export interface AuthParamValue {
  /** Quotes removed, quoted-pairs resolved, line folds (CRLF before whitespace) dropped. */
  value: string;
  quoted: boolean;
  /** The name as written; map keys are lower-case because auth-param names are case-insensitive. */
  name?: string;
  /** Offset of the name. */
  offset?: number;
  /** Offset of the value (its opening quote when quoted). */
  valueOffset?: number;
}

export interface AuthParamList {
  scheme: string;
  schemeOffset: number;
  /** First occurrence of each parameter, keyed by lower-case name. */
  params: Map<string, AuthParamValue>;
  /** Every parameter in wire order, duplicates included. */
  list: AuthParamValue[];
  /** RFC 7235 token68 form (e.g. `Basic QWxhZGRpbg==`), which the SIP grammar does not allow. */
  token68?: string;
  diagnostics: AuthDiagnostic[];
  /**
   * Offset (without base) where a second comma-joined challenge/credential starts, when one was found.
   * Parsing stopped there.
   */
  next?: number;
}

const AUTH_PARAM_RULE = 'RFC 3261 §25.1 (auth-param)';
const QUOTED_RULE = 'RFC 3261 §25.1 (quoted-string)';
const LWS_RULE = 'RFC 3261 §7.3.1, §25.1 (LWS)';

const TOKEN_TABLE = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_TABLE[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Wrap in DQUOTEs, escaping the two characters a quoted-string cannot carry bare. */
export function quoteString(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * s without trailing SP/HT/CR/LF. A loop rather than `replace(/[ \t\r\n]+$/, '')`: that regex restarts at
 * every character of a whitespace run that is not at the end, which is quadratic in the run's length.
 */
function trimEndLws(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    e--;
  }
  return s.slice(0, e);
}

class Lexer {
  readonly diags: AuthDiagnostic[] = [];
  private bareBreakReported = false;

  constructor(
    readonly s: string,
    readonly base: number,
  ) {}

  diag(code: string, severity: AuthDiagnostic['severity'], rule: string, message: string, at: number, length?: number): void {
    const d: AuthDiagnostic = { code, severity, message, rule, offset: this.base + at };
    if (length !== undefined) d.length = length;
    this.diags.push(d);
  }

  /** Length of a line fold starting at i (CRLF, or a lone LF/CR, followed by WSP), else 0. */
  foldAt(i: number): number {
    const s = this.s;
    let j = i;
    if (s.charCodeAt(j) === 0x0d) j++;
    if (s.charCodeAt(j) === 0x0a) j++;
    if (j === i) return 0;
    return isWsp(s.charCodeAt(j)) ? j - i : 0;
  }

  /** Skip SWS. A line break not followed by whitespace would have ended the header: report it once. */
  skipLws(i: number): number {
    const s = this.s;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (isWsp(c)) { i++; continue; }
      if (c === 0x0d || c === 0x0a) {
        const f = this.foldAt(i);
        if (f === 0 && !this.bareBreakReported) {
          this.bareBreakReported = true;
          this.diag('auth-bare-line-break', 'error', LWS_RULE, 'line break inside the header value that is not a fold (CRLF must be followed by whitespace)', i, 1);
        }
        i += f === 0 ? 1 : f;
        continue;
      }
      break;
    }
    return i;
  }

  scanToken(i: number): number {
    while (i < this.s.length && isTokenChar(this.s.charCodeAt(i))) i++;
    return i;
  }

  /** quoted-string starting at the DQUOTE at q. Always returns; `end` is just past the closing quote. */
  quoted(q: number, what: string): { value: string; end: number; terminated: boolean } {
    const s = this.s;
    let out = '';
    let ctlReported = false;
    let j = q + 1;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x22) return { value: out, end: j + 1, terminated: true };
      if (c === 0x5c) {
        if (j + 1 >= s.length) { j++; break; }
        const d = s.charCodeAt(j + 1);
        if (d === 0x0a || d === 0x0d || d > 0x7f) {
          this.diag('auth-bad-quoted-pair', 'error', QUOTED_RULE + ' (quoted-pair)', `quoted-pair in ${what} escapes a character it may not (CR, LF or non-ASCII)`, j, 2);
        }
        out += s[j + 1];
        j += 2;
        continue;
      }
      if (c === 0x0d || c === 0x0a) {
        const f = this.foldAt(j);
        if (f > 0) { j += f; continue; }
        if (!this.bareBreakReported) {
          this.bareBreakReported = true;
          this.diag('auth-bare-line-break', 'error', LWS_RULE, `line break inside quoted ${what} that is not a fold`, j, 1);
        }
        j++;
        continue;
      }
      if (((c < 0x20 && c !== 0x09) || c === 0x7f) && !ctlReported) {
        ctlReported = true;
        this.diag('auth-ctl-in-quoted', 'error', QUOTED_RULE + ' (qdtext)', `control character 0x${c.toString(16).padStart(2, '0')} in quoted ${what}`, j, 1);
      }
      out += s[j];
      j++;
    }
    this.diag('auth-unterminated-quote', 'error', QUOTED_RULE, `unterminated quoted string in ${what}`, q, s.length - q);
    return { value: out, end: s.length, terminated: false };
  }

  /** Next top-level comma (or end), stepping over quoted strings so their commas do not count. */
  toComma(i: number): number {
    const s = this.s;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x2c) return i;
      if (c === 0x22) {
        const q = i;
        i++;
        while (i < s.length && s.charCodeAt(i) !== 0x22) i += s.charCodeAt(i) === 0x5c ? 2 : 1;
        if (i >= s.length) {
          this.diag('auth-unterminated-quote', 'error', QUOTED_RULE, 'unterminated quoted string', q, s.length - q);
          return s.length;
        }
      }
      i++;
    }
    return s.length;
  }
}

/**
 * Lex one header value into scheme and parameters. `base` is added to every diagnostic offset, so a
 * caller holding the whole message can pass the value's offset in it.
 */
export function parseAuthParamList(value: string, base = 0): AuthParamList {
  const lx = new Lexer(value, base);
  const s = value;
  const n = s.length;
  const params = new Map<string, AuthParamValue>();
  const list: AuthParamValue[] = [];
  const result: AuthParamList = { scheme: '', schemeOffset: base, params, list, diagnostics: lx.diags };

  let i = lx.skipLws(0);
  if (i >= n) {
    lx.diag('auth-empty', 'error', 'RFC 3261 §25.1 (auth-scheme)', 'empty value: expected an auth-scheme', 0);
    return result;
  }
  const schemeStart = i;
  i = lx.scanToken(i);
  result.scheme = s.slice(schemeStart, i);
  result.schemeOffset = base + schemeStart;
  if (i === schemeStart) {
    lx.diag('auth-bad-scheme', 'error', 'RFC 3261 §25.1 (auth-scheme)', `expected an auth-scheme token, found '${s[i]}'`, i, 1);
  } else if (i < n && s.charCodeAt(i) === 0x3d) {
    // "realm=..." with no scheme in front: the token we took for a scheme is really a parameter name.
    lx.diag('auth-bad-scheme', 'error', 'RFC 3261 §25.1 (auth-scheme)', `value starts with parameter '${result.scheme}=' instead of an auth-scheme`, schemeStart, i - schemeStart);
    result.scheme = '';
    i = schemeStart;
  } else if (i < n && !isWsp(s.charCodeAt(i)) && lx.foldAt(i) === 0) {
    lx.diag('auth-no-lws', 'error', 'RFC 3261 §25.1 (challenge/credentials)', `auth-scheme '${result.scheme}' must be followed by whitespace`, i, 1);
  }

  const first = lx.skipLws(i);
  if (first >= n) {
    lx.diag('auth-no-params', 'error', 'RFC 3261 §25.1 (challenge/credentials)', `auth-scheme '${result.scheme}' without any parameter`, first);
    return result;
  }
  const rest = trimEndLws(s.slice(first));
  // Digest never uses token68, so there a lone word is better reported as a parameter missing its value.
  if (result.scheme.toLowerCase() !== 'digest' && TOKEN68.test(rest) && !/^[^=]+=[^=]/.test(rest)) {
    result.token68 = rest;
    lx.diag('auth-token68', 'error', 'RFC 3261 §25.1 (other-challenge/other-response)', `'${result.scheme}' carries a bare token68 value; SIP requires auth-param pairs`, first, rest.length);
    return result;
  }

  i = first;
  let pendingComma = -1;
  while (true) {
    i = lx.skipLws(i);
    if (i >= n) {
      if (pendingComma >= 0) lx.diag('auth-trailing-comma', 'error', AUTH_PARAM_RULE, 'comma after the last parameter', pendingComma, 1);
      break;
    }
    if (s.charCodeAt(i) === 0x2c) {
      lx.diag('auth-empty-element', 'error', AUTH_PARAM_RULE, 'empty list element (two commas, or a comma right after the scheme)', i, 1);
      pendingComma = i;
      i++;
      continue;
    }
    pendingComma = -1;
    const stop = parseParam(lx, i, params, list, result);
    if (stop === undefined) break;
    i = stop;
    if (i < n && s.charCodeAt(i) === 0x2c) {
      pendingComma = i;
      i++;
    }
  }
  return result;
}

/**
 * Parse one auth-param at i. Returns the index of the comma that ends it, of the next parameter when the
 * comma was forgotten, or n; undefined to stop.
 */
function parseParam(lx: Lexer, i: number, params: Map<string, AuthParamValue>, list: AuthParamValue[], result: AuthParamList): number | undefined {
  const s = lx.s;
  const n = s.length;
  const nameStart = i;
  i = lx.scanToken(i);
  if (i === nameStart) {
    lx.diag('auth-bad-param-name', 'error', AUTH_PARAM_RULE, `expected a parameter name, found '${s[i]}'`, i, 1);
    return lx.toComma(i);
  }
  const name = s.slice(nameStart, i);
  const k = lx.skipLws(i);
  if (k >= n || s.charCodeAt(k) !== 0x3d) {
    if (k > i && k < n && isTokenChar(s.charCodeAt(k))) {
      const after = lx.skipLws(lx.scanToken(k));
      if (after < n && s.charCodeAt(after) === 0x3d) {
        // "…, Basic realm=x": a second challenge joined with a comma, which these headers may not do.
        lx.diag('auth-multiple-values', 'error', 'RFC 3261 §7.3.1', `'${name}' starts a second auth-scheme in the same header value; each challenge/credentials needs its own header field`, nameStart, name.length);
        result.next = nameStart;
        return undefined;
      }
    }
    lx.diag('auth-missing-equals', 'error', AUTH_PARAM_RULE, `parameter '${name}' has no '=' and value`, nameStart, name.length);
    return lx.toComma(k);
  }
  let j = lx.skipLws(k + 1);
  const valueStart = j;
  let value: string;
  let quoted = false;
  if (j < n && s.charCodeAt(j) === 0x22) {
    const q = lx.quoted(j, `value of '${name}'`);
    value = q.value;
    quoted = true;
    j = q.end;
  } else {
    j = lx.scanToken(j);
    value = s.slice(valueStart, j);
  }
  let end = lx.skipLws(j);
  if (end > j && end < n && startsParam(lx, end)) {
    // `realm="r" nonce="n"`: a forgotten comma. Resume at the next parameter rather than lose it.
    lx.diag('auth-missing-comma', 'error', AUTH_PARAM_RULE, `missing ',' between '${name}' and the next parameter`, j, end - j);
  } else if (end < n && s.charCodeAt(end) !== 0x2c) {
    const comma = lx.toComma(end);
    if (!quoted) {
      // Keep what a lenient peer would have meant (e.g. an unquoted URI), but say it is not a token.
      value = trimEndLws(s.slice(valueStart, comma));
      lx.diag('auth-bad-value', 'error', AUTH_PARAM_RULE, `value of '${name}' is neither a token nor a quoted-string`, valueStart, value.length);
    } else {
      lx.diag('auth-junk-after-value', 'error', AUTH_PARAM_RULE, `unexpected '${s[end]}' after the quoted value of '${name}'`, end, comma - end);
    }
    end = comma;
  } else if (!quoted && value === '') {
    lx.diag('auth-empty-value', 'error', AUTH_PARAM_RULE, `parameter '${name}' has an empty value`, valueStart);
  }
  const p: AuthParamValue = { value, quoted, name, offset: lx.base + nameStart, valueOffset: lx.base + valueStart };
  list.push(p);
  const key = name.toLowerCase();
  if (params.has(key)) {
    lx.diag('auth-duplicate-param', 'error', 'RFC 7235 §2.1, RFC 7616 §3.3', `parameter '${name}' appears more than once; the first one is used`, nameStart, name.length);
  } else {
    params.set(key, p);
  }
  return end;
}

/** Does a `token =` start at i? */
function startsParam(lx: Lexer, i: number): boolean {
  const e = lx.scanToken(i);
  if (e === i) return false;
  const k = lx.skipLws(e);
  return k < lx.s.length && lx.s.charCodeAt(k) === 0x3d;
}

export type AuthParamLike = Pick<AuthParamValue, 'value' | 'quoted'> & { name?: string };

/** `scheme name=value, name="value"`; values are quoted exactly when `quoted` says so. */
export function formatAuthParamList(scheme: string, params: Iterable<[string, AuthParamLike]>, token68?: string): string {
  const parts: string[] = [];
  for (const [key, p] of params) parts.push(`${p.name ?? key}=${p.quoted ? quoteString(p.value) : p.value}`);
  if (parts.length === 0) return token68 === undefined ? scheme : `${scheme} ${token68}`;
  return `${scheme} ${parts.join(', ')}`;
}
