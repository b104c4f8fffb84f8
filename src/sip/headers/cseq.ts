/** CSeq (RFC 3261 §20.16), RSeq and RAck (RFC 3262 §7). */
import { diag, type Diagnostic } from '../diagnostics.js';
import { isDigits, isToken, MAX_UINT32 } from '../grammar.js';

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(s: string, base: number, diags: Diagnostic[] | undefined): CSeq | undefined {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(s);
  if (!m) {
    diags?.push(diag('bad-cseq', 'error', 'RFC 3261 §20.16 (SYN-08)', `CSeq "${s.trim()}" is not "number METHOD"`, base, { header: 'cseq' }));
    return undefined;
  }
  const [, num, method] = m;
  if (!isDigits(num)) {
    diags?.push(diag('bad-cseq', 'error', 'RFC 3261 §20.16 (SYN-08)', `CSeq number "${num}" is not a number`, base, { header: 'cseq' }));
    return undefined;
  }
  const seq = Number(num);
  if (seq > MAX_UINT32) {
    diags?.push(diag('cseq-too-large', 'error', 'RFC 3261 §8.1.1.5 (SYN-08); RFC 4475 §3.1.2.4', `CSeq number ${num} does not fit in 32 bits`, base, { header: 'cseq' }));
  } else if (seq >= 2 ** 31) {
    diags?.push(diag('cseq-over-2-31', 'warning', 'RFC 3261 §8.1.1.5', `CSeq number ${num} is not less than 2^31`, base, { header: 'cseq' }));
  }
  if (!isToken(method)) diags?.push(diag('bad-cseq', 'error', 'RFC 3261 §20.16', `CSeq method "${method}" is not a token`, base, { header: 'cseq' }));
  return { seq, method };
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

export function parseRSeq(s: string, base: number, diags: Diagnostic[] | undefined): number | undefined {
  const v = s.trim();
  if (!isDigits(v) || Number(v) < 1 || Number(v) > MAX_UINT32) {
    diags?.push(diag('bad-rseq', 'error', 'RFC 3262 §7.1', `RSeq "${v}" is not a number 1 to 2^32-1`, base, { header: 'rseq' }));
    return undefined;
  }
  return Number(v);
}

export function parseRAck(s: string, base: number, diags: Diagnostic[] | undefined): RAck | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(s);
  if (!m || !isToken(m[3]) || Number(m[1]) > MAX_UINT32 || Number(m[2]) > MAX_UINT32) {
    diags?.push(diag('bad-rack', 'error', 'RFC 3262 §7.2', `RAck "${s.trim()}" is not "rseq cseq METHOD"`, base, { header: 'rack' }));
    return undefined;
  }
  return { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3] };
}
