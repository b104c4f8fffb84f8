/** Single-number headers: Max-Forwards, Content-Length, Expires, Min-Expires, Retry-After, Session-Expires, Min-SE … */
import { diag, type Diagnostic } from '../diagnostics.js';
import { isDigits, MAX_UINT32 } from '../grammar.js';
import { parseHeaderParams, Params } from '../params.js';

export function parseDeltaSeconds(s: string, base: number, diags: Diagnostic[] | undefined, header: string, rule: string): number | undefined {
  const v = s.trim();
  if (!isDigits(v)) {
    diags?.push(diag('bad-number', 'error', rule, `${header} "${v.slice(0, 40)}" is not a number`, base, { header }));
    return undefined;
  }
  const n = Number(v);
  if (n > MAX_UINT32) {
    diags?.push(diag('number-too-large', 'error', rule + '; RFC 4475 §3.1.2.4', `${header} value ${v.length > 30 ? v.slice(0, 27) + '...' : v} exceeds 2^32-1`, base, { header }));
    return MAX_UINT32;
  }
  return n;
}

export function parseMaxForwards(s: string, base: number, diags: Diagnostic[] | undefined): number | undefined {
  const n = parseDeltaSeconds(s, base, diags, 'max-forwards', 'RFC 3261 §20.22 (SYN-09)');
  if (n !== undefined && n > 255) {
    diags?.push(diag('max-forwards-range', 'error', 'RFC 3261 §20.22 (SYN-09)', `Max-Forwards ${n} is above 255`, base, { header: 'max-forwards' }));
  }
  return n;
}

export interface RetryAfter {
  seconds: number;
  comment?: string;
  params: Params;
}

export function parseRetryAfter(s: string, base: number, diags: Diagnostic[] | undefined): RetryAfter | undefined {
  // Each whitespace run is matched by one \s* only (`\s*(comment)?\s*` tries every split of a long run), and
  // the number stops at '(' or ';' so that the comment is not rescanned from every '(' (both quadratic).
  const m = /^\s*([^\s(;]+)\s*(?:(\([^)]*\))\s*)?(;.*)?$/s.exec(s);
  if (!m) {
    diags?.push(diag('bad-number', 'error', 'RFC 3261 §20.33', `Retry-After "${s.trim()}" is malformed`, base, { header: 'retry-after' }));
    return undefined;
  }
  const seconds = parseDeltaSeconds(m[1], base, diags, 'retry-after', 'RFC 3261 §20.33');
  if (seconds === undefined) return undefined;
  const params = m[3] ? parseHeaderParams(m[3].slice(1), base + s.indexOf(m[3]) + 1, diags, 'retry-after') : new Params();
  return { seconds, comment: m[2], params };
}

export interface SessionExpires {
  seconds: number;
  refresher?: 'uac' | 'uas' | string;
  params: Params;
}

/** Session-Expires / Min-SE (RFC 4028 §4, §5): delta-seconds with parameters. */
export function parseSessionExpires(s: string, base: number, diags: Diagnostic[] | undefined, header: string): SessionExpires | undefined {
  const semi = s.indexOf(';');
  const num = semi < 0 ? s : s.slice(0, semi);
  const seconds = parseDeltaSeconds(num, base, diags, header, 'RFC 4028 §4');
  if (seconds === undefined) return undefined;
  const params = semi < 0 ? new Params() : parseHeaderParams(s.slice(semi + 1), base + semi + 1, diags, header);
  const refresher = params.get('refresher');
  if (refresher !== undefined && refresher !== 'uac' && refresher !== 'uas') {
    diags?.push(diag('bad-refresher', 'error', 'RFC 4028 §4', `${header} refresher "${refresher}" is not uac or uas`, base, { header }));
  }
  return { seconds, refresher, params };
}

export interface Warning {
  code: number;
  agent: string;
  text: string;
}

export function parseWarning(s: string, base: number, diags: Diagnostic[] | undefined): Warning | undefined {
  const m = /^\s*(\S+)\s+(\S+)\s+(".*")\s*$/s.exec(s);
  if (!m || !/^\d{3}$/.test(m[1])) {
    diags?.push(diag('bad-warning', 'error', 'RFC 3261 §20.43', `Warning "${s.trim().slice(0, 50)}" is not "3DIGIT agent \\"text\\""`, base, { header: 'warning' }));
    return undefined;
  }
  return { code: Number(m[1]), agent: m[2], text: m[3] };
}
