/**
 * Per-header grammar: one parse function per known header, shared by the typed accessors (which ignore
 * diagnostics) and by validation (which collects them). Unknown headers are opaque, as RFC 3261 §7.3 wants.
 */
import { diag, type Diagnostic } from './diagnostics.js';
import { TOKEN, WORD, isAll } from './grammar.js';
import { parseCSeq, parseRAck, parseRSeq } from './headers/cseq.js';
import { parseDate } from './headers/date.js';
import { parseEvent, parseSubscriptionState } from './headers/event.js';
import { parseDeltaSeconds, parseMaxForwards, parseRetryAfter, parseSessionExpires, parseWarning } from './headers/scalars.js';
import { parseVia } from './headers/via.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { parseHeaderParams } from './params.js';
import { splitOutside } from './split.js';
import { parseChallenge, parseCredentials } from './digest.js';

export type Grammar = (value: string, base: number, diags: Diagnostic[] | undefined) => unknown;

/** Split a list header into elements; empty elements (",,") are errors in every list header. */
export function listElements(value: string, base: number, diags: Diagnostic[] | undefined, header: string): Array<{ text: string; offset: number }> {
  const pieces = splitOutside(value, 0x2c);
  const out: Array<{ text: string; offset: number }> = [];
  for (const p of pieces) {
    if (p.text === '') {
      diags?.push(diag('empty-list-element', 'error', 'RFC 3261 §7.3.1', `${header}: empty element in a comma-separated list (stray ',')`, base + p.offset, { header }));
      continue;
    }
    out.push({ text: p.text, offset: base + p.offset });
  }
  return out;
}

function nameAddrList(header: string, requireBrackets: boolean): Grammar {
  return (value, base, diags) => {
    const out: NameAddr[] = [];
    for (const el of listElements(value, base, diags, header)) {
      const na = parseNameAddr(el.text, el.offset, diags, header);
      if (requireBrackets && !na.bracketed) {
        diags?.push(diag('route-needs-brackets', 'error', 'RFC 3261 §25.1 (rec-route, route-param)', `${header} value "${el.text.slice(0, 50)}" must be a name-addr in < >`, el.offset, { header }));
      }
      out.push(na);
    }
    return out;
  };
}

function singleNameAddr(header: string): Grammar {
  return (value, base, diags) => {
    const els = listElements(value, base, diags, header);
    if (els.length > 1) {
      diags?.push(diag('multiple-values', 'error', 'RFC 3261 §7.3.1 (SYN-10)', `${header} takes one address but has ${els.length} comma-separated values (an unquoted display name with a comma?)`, base, { header }));
    }
    if (els.length === 0) {
      diags?.push(diag('empty-header', 'error', 'RFC 3261 §25.1', `${header} is empty`, base, { header }));
      return undefined;
    }
    const na = parseNameAddr(els.length > 1 ? value : els[0].text, els.length > 1 ? base : els[0].offset, diags, header);
    for (const p of na.params.list) {
      if ((p.name.toLowerCase() === 'tag') && (p.value === undefined || !isAll(p.value, TOKEN))) {
        diags?.push(diag('bad-tag', 'error', 'RFC 3261 §19.3', `${header} tag "${p.value ?? ''}" is not a token`, base, { header }));
      }
    }
    return na;
  };
}

function contactList(value: string, base: number, diags: Diagnostic[] | undefined): NameAddr[] | '*' {
  if (value.trim() === '*') return '*';
  const list = nameAddrList('contact', false)(value, base, diags) as NameAddr[];
  for (const c of list) {
    const exp = c.params.get('expires');
    if (exp !== undefined) parseDeltaSeconds(exp, base, diags, 'contact', 'RFC 3261 §20.10 (contact-params)');
    const q = c.params.get('q');
    if (q !== undefined && !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) {
      diags?.push(diag('bad-q', 'error', 'RFC 3261 §20.10 (qvalue)', `Contact q="${q}" is not a qvalue 0 to 1 with at most 3 decimals`, base, { header: 'contact' }));
    }
  }
  return list;
}

function tokenList(header: string): Grammar {
  return (value, base, diags) => {
    const out: string[] = [];
    if (value.trim() === '') return out; // Allow/Supported may be empty
    for (const el of listElements(value, base, diags, header)) {
      if (!isAll(el.text, TOKEN)) diags?.push(diag('bad-token', 'error', 'RFC 3261 §25.1 (option-tag)', `${header} value "${el.text}" is not a token`, el.offset, { header }));
      out.push(el.text);
    }
    return out;
  };
}

function callId(value: string, base: number, diags: Diagnostic[] | undefined): string {
  const v = value.trim();
  const at = v.indexOf('@');
  const ok = at < 0 ? isAll(v, WORD) : isAll(v, WORD, 0, at) && isAll(v, WORD, at + 1) && v.indexOf('@', at + 1) < 0;
  if (!ok) diags?.push(diag('bad-call-id', 'error', 'RFC 3261 §25.1 (callid)', `Call-ID "${v.slice(0, 60)}" is not word["@"word]`, base, { header: 'call-id' }));
  return v;
}

function contentType(value: string, base: number, diags: Diagnostic[] | undefined) {
  const semi = value.indexOf(';');
  const mt = (semi < 0 ? value : value.slice(0, semi)).trim();
  const slash = mt.indexOf('/');
  if (slash <= 0 || !isAll(mt, TOKEN, 0, slash) || !isAll(mt, TOKEN, slash + 1)) {
    diags?.push(diag('bad-media-type', 'error', 'RFC 3261 §20.15 (media-type)', `Content-Type "${mt}" is not type/subtype`, base, { header: 'content-type' }));
  }
  const params = semi < 0 ? undefined : parseHeaderParams(value.slice(semi + 1), base + semi + 1, diags, 'content-type');
  return { type: mt.toLowerCase(), params };
}

function auth(kind: 'challenge' | 'credentials', header: string): Grammar {
  return (value, base, diags) => {
    const r = kind === 'challenge' ? parseChallenge(value, base) : parseCredentials(value, base);
    for (const d of r.diagnostics) diags?.push({ ...d, message: `${header}: ${d.message}`, header });
    return r;
  };
}

export const GRAMMAR: Record<string, Grammar> = {
  via: (v, b, d) => listElements(v, b, d, 'via').map((el) => parseVia(el.text, el.offset, d)),
  from: singleNameAddr('from'),
  to: singleNameAddr('to'),
  'refer-to': singleNameAddr('refer-to'),
  'referred-by': singleNameAddr('referred-by'),
  contact: contactList,
  route: nameAddrList('route', true),
  'record-route': nameAddrList('record-route', true),
  path: nameAddrList('path', true),
  'service-route': nameAddrList('service-route', true),
  'call-id': callId,
  cseq: (v, b, d) => parseCSeq(v, b, d),
  'max-forwards': (v, b, d) => parseMaxForwards(v, b, d),
  'content-length': (v, b, d) => parseDeltaSeconds(v, b, d, 'content-length', 'RFC 3261 §20.14 (SYN-06)'),
  expires: (v, b, d) => parseDeltaSeconds(v, b, d, 'expires', 'RFC 3261 §20.19'),
  'min-expires': (v, b, d) => parseDeltaSeconds(v, b, d, 'min-expires', 'RFC 3261 §20.23'),
  'retry-after': (v, b, d) => parseRetryAfter(v, b, d),
  'session-expires': (v, b, d) => parseSessionExpires(v, b, d, 'session-expires'),
  'min-se': (v, b, d) => parseSessionExpires(v, b, d, 'min-se'),
  rseq: (v, b, d) => parseRSeq(v, b, d),
  rack: (v, b, d) => parseRAck(v, b, d),
  event: (v, b, d) => parseEvent(v, b, d),
  'subscription-state': (v, b, d) => parseSubscriptionState(v, b, d),
  date: (v, b, d) => parseDate(v, b, d),
  warning: (v, b, d) => listElements(v, b, d, 'warning').map((el) => parseWarning(el.text, el.offset, d)),
  'content-type': contentType,
  allow: tokenList('allow'),
  supported: tokenList('supported'),
  require: tokenList('require'),
  'proxy-require': tokenList('proxy-require'),
  unsupported: tokenList('unsupported'),
  'www-authenticate': auth('challenge', 'www-authenticate'),
  'proxy-authenticate': auth('challenge', 'proxy-authenticate'),
  authorization: auth('credentials', 'authorization'),
  'proxy-authorization': auth('credentials', 'proxy-authorization'),
};

