/** Via (RFC 3261 §20.42, §18.2.1; RFC 3581 rport). */
import { diag, type Diagnostic } from '../diagnostics.js';
import { TOKEN, firstInvalid, isAll, DIGIT } from '../grammar.js';
import { parseHeaderParams, Params } from '../params.js';
import { isHostname } from '../uri.js';
import { isIPv4, isIPv6 } from 'node:net';

export interface Via {
  protocol: string;
  version: string;
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  raw: string;
}

const R = 'RFC 3261 §20.42, §25.1 (via-parm)';

export function parseVia(s: string, base: number, diags: Diagnostic[] | undefined): Via | undefined {
  const h = 'via';
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH allows SWS around '/'.
  // sent-by is everything up to the first ';' (trimmed below). Not `([^;]*?)\s*`: a lazy group followed by
  // \s* retries the whole whitespace run at each of its characters, quadratic on a long run of spaces.
  const m = /^\s*([^\s/;]+)\s*\/\s*([^\s/;]+)\s*\/\s*([^\s/;]+)\s+([^;]*)(;.*)?$/s.exec(s);
  if (!m) {
    diags?.push(diag('bad-via', 'error', R, `Via "${s.trim().slice(0, 60)}" is not sent-protocol followed by sent-by`, base, { header: h }));
    return undefined;
  }
  const [, protocol, version, transport, sentBy, paramStr] = m;
  if (!isAll(protocol, TOKEN) || !isAll(version, TOKEN) || !isAll(transport, TOKEN)) {
    diags?.push(diag('bad-via-protocol', 'error', R, `Via sent-protocol "${protocol}/${version}/${transport}" has non-token characters`, base, { header: h }));
  }
  if (protocol.toUpperCase() !== 'SIP' || version !== '2.0') {
    diags?.push(diag('via-not-sip2', 'warning', R, `Via sent-protocol "${protocol}/${version}" is not SIP/2.0`, base, { header: h }));
  }
  const via: Via = { protocol, version, transport: transport.toUpperCase(), host: '', params: new Params(), raw: s.trim() };
  let hostPart = sentBy.trim();
  let portStr: string | undefined;
  if (hostPart.startsWith('[')) {
    const close = hostPart.indexOf(']');
    via.host = close < 0 ? hostPart.slice(1) : hostPart.slice(1, close);
    if (close < 0 || !isIPv6(via.host)) diags?.push(diag('bad-via-host', 'error', R, `Via sent-by "${hostPart}" is not a valid IPv6 reference`, base, { header: h }));
    const rest = close < 0 ? '' : hostPart.slice(close + 1);
    if (rest.startsWith(':')) portStr = rest.slice(1);
  } else {
    const c = hostPart.lastIndexOf(':');
    if (c >= 0 && hostPart.indexOf(':') !== c) {
      via.host = hostPart;
      diags?.push(diag('ipv6-unbracketed', 'error', 'RFC 3261 §25.1, RFC 5118 (SYN-11)', `Via sent-by IPv6 address "${hostPart}" must be in [ ]`, base, { header: h }));
    } else {
      via.host = c >= 0 ? hostPart.slice(0, c).trimEnd() : hostPart;
      if (c >= 0) portStr = hostPart.slice(c + 1).trim();
      if (!isIPv4(via.host) && !isHostname(via.host)) {
        diags?.push(diag('bad-via-host', 'error', R, `Via sent-by host "${via.host}" is not a host name or address`, base, { header: h }));
      }
    }
  }
  if (portStr !== undefined) {
    if (!isAll(portStr, DIGIT) || Number(portStr) > 65535) diags?.push(diag('bad-via-port', 'error', R, `Via port "${portStr}" is not a number 0-65535`, base, { header: h }));
    else via.port = Number(portStr);
  }
  if (paramStr !== undefined) {
    const off = s.indexOf(paramStr);
    via.params = parseHeaderParams(paramStr.slice(1), base + off + 1, diags, h);
    via.branch = via.params.get('branch');
    for (const p of via.params.list) {
      const n = p.name.toLowerCase();
      if (n === 'ttl' && (p.value === undefined || !isAll(p.value, DIGIT) || Number(p.value) > 255)) {
        diags?.push(diag('bad-via-ttl', 'error', R, `Via ttl "${p.value ?? ''}" is not 0-255`, base + off, { header: h }));
      }
      if (n === 'rport' && p.value !== undefined && (!isAll(p.value, DIGIT) || Number(p.value) > 65535)) {
        diags?.push(diag('bad-via-rport', 'error', 'RFC 3581 §6', `Via rport "${p.value}" is not a port`, base + off, { header: h }));
      }
      if (n === 'branch' && (p.value === undefined || firstInvalid(p.value, TOKEN, 0, p.value.length, false) >= 0)) {
        diags?.push(diag('bad-via-branch', 'error', R, `Via branch "${p.value ?? ''}" is not a token`, base + off, { header: h }));
      }
      if (n === 'received' && p.value !== undefined) {
        const v = p.value;
        const inner = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
        if (!isIPv4(inner) && !isIPv6(inner)) {
          diags?.push(diag('bad-via-received', 'error', R, `Via received "${v}" is not an IP address`, base + off, { header: h }));
        } else if (inner !== v) {
          diags?.push(diag('via-received-brackets', 'warning', 'RFC 5118 §4.5', `Via received "${v}" uses [ ], which RFC 3261's ABNF does not allow; accepted`, base + off, { header: h }));
        }
      }
    }
  }
  return via;
}

export function formatVia(v: Pick<Via, 'transport' | 'host' | 'port' | 'params'>): string {
  const host = v.host.includes(':') ? `[${v.host}]` : v.host;
  return `SIP/2.0/${v.transport} ${host}${v.port !== undefined ? ':' + v.port : ''}${v.params.toString()}`;
}
