/** SIP, SIPS, tel and other absolute URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118 for IPv6). */
import { isIPv4, isIPv6 } from 'node:net';
import { diag, type Diagnostic } from './diagnostics.js';
import { ALPHA, DIGIT, HNV, HOSTCHAR, PARAMCHAR, PASSWORD, SCHEME, URIC, USER, firstInvalid, isAll } from './grammar.js';
import { Params, type Param } from './params.js';

export interface SipUri {
  kind: 'sip';
  scheme: 'sip' | 'sips';
  /** As on the wire (still escaped). Use unescape() for the AoR comparison value. */
  user?: string;
  password?: string;
  /** Host without brackets for IPv6 references; lower-cased only by comparisons, never here. */
  host: string;
  ipv6: boolean;
  port?: number;
  params: Params;
  headers: Array<{ name: string; value: string }>;
  raw: string;
}

export interface TelUri {
  kind: 'tel';
  scheme: 'tel';
  number: string;
  params: Params;
  raw: string;
}

export interface AbsoluteUri {
  kind: 'absolute';
  scheme: string;
  rest: string;
  raw: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

const R_URI = 'RFC 3261 §19.1.1';
const R_ABNF = 'RFC 3261 §25.1';

/**
 * Decode %HH escapes exactly once. Never recursive: "value%25%34%31" → "value%41" (RFC 4475 §3.1.1.3).
 * Bytes map to chars 1:1, so an escaped NUL stays in the string (RFC 4475 §3.1.1.4).
 */
export function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c;
  }
  return out;
}

/** Escape every byte not allowed by `allowed` (used when building URIs). */
export function escape(s: string, allowed: Uint8Array = USER): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 256 && allowed[c] ? s[i] : '%' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Parse a URI. `base` is its offset in the message and `where` names the field for messages.
 * Returns undefined only when no scheme can be found at all.
 */
export function parseUri(s: string, base = 0, diags?: Diagnostic[], where = 'URI', header?: string): Uri | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0 || !ALPHA[s.charCodeAt(0)] || !isAll(s, SCHEME, 0, colon)) {
    diags?.push(diag('bad-uri-scheme', 'error', R_ABNF, `${where} "${clip(s)}" has no valid scheme`, base, { header }));
    return undefined;
  }
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, colon, scheme, base, diags, where, header);
  if (scheme === 'tel') return parseTelUri(s, colon, base, diags, where, header);
  const rest = s.slice(colon + 1);
  if (rest === '' || firstInvalid(rest, URIC) >= 0) {
    const at = firstInvalid(rest, URIC);
    diags?.push(diag('bad-absolute-uri', 'error', R_ABNF + ' (absoluteURI)', `${where} "${clip(s)}" has a character not allowed in a URI${at >= 0 ? ` at position ${colon + 1 + at}` : ''}`, base, { header }));
  }
  return { kind: 'absolute', scheme, rest, raw: s };
}

function parseSipUri(s: string, colon: number, scheme: 'sip' | 'sips', base: number, diags: Diagnostic[] | undefined, where: string, header?: string): SipUri {
  const uri: SipUri = { kind: 'sip', scheme, host: '', ipv6: false, params: new Params(), headers: [], raw: s };
  let i = colon + 1;
  // '@' is never legal unescaped outside userinfo, so the first one ends the userinfo.
  const at = s.indexOf('@', i);
  if (at >= 0) {
    const userinfo = s.slice(i, at);
    const pc = userinfo.indexOf(':');
    const user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    uri.user = user;
    if (pc >= 0) uri.password = userinfo.slice(pc + 1);
    if (user === '') diags?.push(diag('empty-user', 'error', R_ABNF + ' (userinfo)', `${where}: empty user part before '@'`, base + i, { header }));
    const bad = firstInvalid(user, USER);
    if (bad >= 0) diags?.push(diag('bad-uri-user', 'error', R_ABNF + ' (user)', `${where}: character ${show(user, bad)} not allowed in the user part`, base + i + bad, { header }));
    if (uri.password !== undefined && uri.password !== '') {
      const bp = firstInvalid(uri.password, PASSWORD);
      if (bp >= 0) diags?.push(diag('bad-uri-password', 'error', R_ABNF + ' (password)', `${where}: character ${show(uri.password, bp)} not allowed in the password`, base + i + pc + 1 + bp, { header }));
    }
    i = at + 1;
  }
  // hostport ends at ';' (params) or '?' (headers); brackets protect IPv6 colons.
  let hostEnd = i;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    hostEnd = close < 0 ? s.length : close + 1;
  }
  while (hostEnd < s.length && s[hostEnd] !== ';' && s[hostEnd] !== '?') hostEnd++;
  parseHostPort(s.slice(i, hostEnd), uri, base + i, diags, where, header);
  let j = hostEnd;
  if (s[j] === ';') {
    const pend = s.indexOf('?', j);
    const pstr = s.slice(j + 1, pend < 0 ? s.length : pend);
    uri.params = parseUriParams(pstr, base + j + 1, diags, where, header);
    j = pend < 0 ? s.length : pend;
  }
  if (s[j] === '?') {
    const hstr = s.slice(j + 1);
    let off = j + 1;
    for (const h of hstr.split('&')) {
      const eq = h.indexOf('=');
      const name = eq < 0 ? h : h.slice(0, eq);
      const value = eq < 0 ? '' : h.slice(eq + 1);
      if (eq < 0 || name === '' || firstInvalid(name, HNV) >= 0 || (value !== '' && firstInvalid(value, HNV) >= 0)) {
        diags?.push(diag('bad-uri-header', 'error', R_ABNF + ' (headers)', `${where}: malformed URI header "${clip(h)}"`, base + off, { header }));
      }
      uri.headers.push({ name, value });
      off += h.length + 1;
    }
  }
  return uri;
}

function parseHostPort(hp: string, uri: SipUri, base: number, diags: Diagnostic[] | undefined, where: string, header?: string): void {
  if (hp === '') {
    diags?.push(diag('missing-host', 'error', R_ABNF + ' (hostport)', `${where}: no host`, base, { header }));
    return;
  }
  let portStr: string | undefined;
  if (hp[0] === '[') {
    const close = hp.indexOf(']');
    if (close < 0) {
      diags?.push(diag('unterminated-ipv6', 'error', 'RFC 5118 §4.1', `${where}: IPv6 reference "${clip(hp)}" has no closing ']'`, base, { header }));
      uri.host = hp.slice(1);
      uri.ipv6 = true;
      return;
    }
    uri.host = hp.slice(1, close);
    uri.ipv6 = true;
    if (!isIPv6(uri.host)) {
      if (/:::/.test(uri.host) && isIPv6(uri.host.replace(':::', '::'))) {
        diags?.push(diag('ipv6-three-colons', 'warning', 'RFC 5118 §4.10', `${where}: "[${uri.host}]" is allowed by RFC 3261's IPv6 ABNF bug but not by RFC 4291; read as ${uri.host.replace(':::', '::')}`, base, { header }));
      } else {
        diags?.push(diag('bad-ipv6', 'error', 'RFC 3261 §25.1 (IPv6reference)', `${where}: "${uri.host}" is not an IPv6 address`, base, { header }));
      }
    }
    const rest = hp.slice(close + 1);
    if (rest !== '') {
      if (rest[0] !== ':') diags?.push(diag('bad-hostport', 'error', R_ABNF + ' (hostport)', `${where}: unexpected "${clip(rest)}" after the IPv6 reference`, base + close + 1, { header }));
      else portStr = rest.slice(1);
    }
  } else {
    const c1 = hp.indexOf(':');
    if (c1 >= 0 && hp.indexOf(':', c1 + 1) >= 0) {
      // More than one colon and no brackets: an IPv6 literal written bare (RFC 5118 §4.2, SYN-11).
      uri.host = hp;
      uri.ipv6 = true;
      diags?.push(diag('ipv6-unbracketed', 'error', 'RFC 3261 §19.1.1, RFC 5118 §4.2 (SYN-11)', `${where}: IPv6 address "${hp}" must be enclosed in [ ]`, base, { header }));
      return;
    }
    uri.host = c1 >= 0 ? hp.slice(0, c1) : hp;
    if (c1 >= 0) portStr = hp.slice(c1 + 1);
    if (!isIPv4(uri.host) && !isHostname(uri.host)) {
      diags?.push(diag('bad-host', 'error', R_ABNF + ' (host)', `${where}: "${clip(uri.host)}" is not a valid host name or address`, base, { header }));
    }
  }
  if (portStr !== undefined) {
    const n = Number(portStr);
    if (portStr === '' || !isAll(portStr, DIGIT) || n > 65535) {
      diags?.push(diag('bad-port', 'error', R_ABNF + ' (port)', `${where}: port "${clip(portStr)}" is not a number 0-65535`, base, { header }));
    } else uri.port = n;
  }
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ]: labels of alphanumerics and inner hyphens, the last one
 * starting with a letter (a purely numeric last label would be an IPv4 typo). One pass, no allocation: this
 * runs for every Via and URI of large captures.
 */
export function isHostname(h: string): boolean {
  const n = h.length > 0 && h.charCodeAt(h.length - 1) === 0x2e ? h.length - 1 : h.length;
  if (n === 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === labelStart || h.charCodeAt(labelStart) === 0x2d || h.charCodeAt(i - 1) === 0x2d) return false;
      if (i === n && !ALPHA[h.charCodeAt(labelStart)]) return false;
      labelStart = i + 1;
    } else if (c > 255 || !HOSTCHAR[c] || c === 0x2e) return false;
  }
  return true;
}

function parseUriParams(s: string, base: number, diags: Diagnostic[] | undefined, where: string, header?: string): Params {
  const list: Param[] = [];
  let off = 0;
  for (const p of s.split(';')) {
    if (p === '') {
      diags?.push(diag('empty-uri-param', 'error', R_ABNF + ' (uri-parameters)', `${where}: empty URI parameter (stray ';')`, base + off, { header }));
    } else {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? undefined : p.slice(eq + 1);
      const bad = firstInvalid(name, PARAMCHAR);
      const badv = value === undefined ? -1 : firstInvalid(value, PARAMCHAR);
      if (name === '' || bad >= 0 || badv >= 0 || value === '') {
        const what = bad >= 0 ? `character ${show(name, bad)}` : badv >= 0 ? `character ${show(value!, badv)}` : 'an empty name or value';
        diags?.push(diag('bad-uri-param', 'error', R_ABNF + ' (uri-parameter)', `${where}: URI parameter "${clip(p)}" has ${what}`, base + off, { header }));
      }
      list.push({ name, value });
    }
    off += p.length + 1;
  }
  return new Params(list);
}

function parseTelUri(s: string, colon: number, base: number, diags: Diagnostic[] | undefined, where: string, header?: string): TelUri {
  const rest = s.slice(colon + 1);
  const semi = rest.indexOf(';');
  const number = semi < 0 ? rest : rest.slice(0, semi);
  const params = semi < 0 ? new Params() : parseUriParams(rest.slice(semi + 1), base + colon + 1 + semi + 1, diags, where, header);
  // RFC 3966: global numbers start with '+', local ones need a phone-context parameter.
  if (!/^\+?[0-9A-Fa-f*#().\-]+$/.test(number)) {
    diags?.push(diag('bad-tel-number', 'error', 'RFC 3966 §3', `${where}: "${clip(number)}" is not a telephone number`, base + colon + 1, { header }));
  } else if (!number.startsWith('+') && !params.has('phone-context')) {
    diags?.push(diag('tel-local-no-context', 'warning', 'RFC 3966 §5.1.5', `${where}: local number "${number}" without phone-context`, base + colon + 1, { header }));
  }
  return { kind: 'tel', scheme: 'tel', number, params, raw: s };
}

/** Serialize a parsed URI (params and headers in their original order). */
export function formatUri(u: Uri): string {
  if (u.kind === 'absolute') return `${u.scheme}:${u.rest}`;
  if (u.kind === 'tel') return `tel:${u.number}${u.params.toString()}`;
  let s = `${u.scheme}:`;
  if (u.user !== undefined) s += u.user + (u.password !== undefined ? ':' + u.password : '') + '@';
  s += u.ipv6 ? `[${u.host}]` : u.host;
  if (u.port !== undefined) s += ':' + u.port;
  s += u.params.toString();
  if (u.headers.length) s += '?' + u.headers.map((h) => `${h.name}=${h.value}`).join('&');
  return s;
}

/** RFC 3261 §19.1.4 URI comparison. */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind !== b.kind) return false;
  // The same text parses the same, so compares equal, unless a repeated parameter or header name meets its
  // first occurrence below: rules compare the Route and Contact of every hop, nearly always equal texts.
  if (a.raw === b.raw && (a.kind !== 'sip' || (a.headers.length === 0 && a.params.list.length <= 1))) return true;
  if (a.kind === 'absolute' || b.kind === 'absolute') return a.raw === b.raw;
  if (a.kind === 'tel' && b.kind === 'tel') return a.number.replace(/[-.()]/g, '') === b.number.replace(/[-.()]/g, '');
  if (a.kind !== 'sip' || b.kind !== 'sip') return false;
  if (a.scheme !== b.scheme) return false;
  if (unescape(a.user ?? '') !== unescape(b.user ?? '') || unescape(a.password ?? '') !== unescape(b.password ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if ((va === undefined) !== (vb === undefined)) return false;
    if (va !== undefined && unescape(va).toLowerCase() !== unescape(vb!).toLowerCase()) return false;
  }
  for (const p of a.params.list) {
    const vb = b.params.get(p.name);
    if (vb !== undefined && unescape(vb).toLowerCase() !== unescape(p.value ?? '').toLowerCase()) return false;
  }
  if (a.headers.length !== b.headers.length) return false;
  for (const h of a.headers) {
    const o = b.headers.find((x) => x.name.toLowerCase() === h.name.toLowerCase());
    if (!o || unescape(o.value) !== unescape(h.value)) return false;
  }
  return true;
}

/** The address-of-record form used for bindings: scheme:user@host (unescaped user), no params. */
export function aorOf(u: Uri): string {
  if (u.kind !== 'sip') return u.raw;
  return `${u.scheme}:${u.user !== undefined ? unescape(u.user) + '@' : ''}${u.host.toLowerCase()}`;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function show(s: string, i: number): string {
  const c = s.charCodeAt(i);
  return c >= 0x21 && c < 0x7f ? `'${s[i]}'` : `0x${c.toString(16).padStart(2, '0')}`;
}
