/**
 * name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route, Refer-To, Path …
 * (RFC 3261 §20.10, §20.20, §20.39, §25.1).
 */
import { diag, type Diagnostic } from './diagnostics.js';
import { TOKEN } from './grammar.js';
import { parseHeaderParams, Params } from './params.js';
import { closingQuote, unquote } from './split.js';
import { parseUri, formatUri, type Uri } from './uri.js';

export interface NameAddr {
  /** Display name with quotes removed and quoted-pairs resolved ("" when absent). */
  displayName: string;
  /** Whether the URI was enclosed in < >. */
  bracketed: boolean;
  uri: Uri | undefined;
  /** The URI text as written. */
  uriText: string;
  params: Params;
  raw: string;
}

const R = 'RFC 3261 §25.1 (name-addr)';

/**
 * Parse one name-addr or addr-spec with its header parameters. `s` is one list element, already split from
 * its neighbours. Without < >, the URI ends at the first ';' and what follows are header parameters
 * (RFC 3261 §20.10), which is why a URI with ';', '?' or ',' must be bracketed.
 */
export function parseNameAddr(s: string, base: number, diags: Diagnostic[] | undefined, header: string): NameAddr {
  const out: NameAddr = { displayName: '', bracketed: false, uri: undefined, uriText: '', params: new Params(), raw: s };
  let i = 0;
  while (i < s.length && isSp(s.charCodeAt(i))) i++;
  let paramsFrom = -1;
  if (s[i] === '"') {
    const close = closingQuote(s, i);
    if (close < 0) {
      diags?.push(diag('unterminated-quote', 'error', R + ' (quoted-string)', `${header}: display name quote opened at column ${i + 1} is never closed`, base + i, { header }));
      out.displayName = s.slice(i + 1);
      return out;
    }
    out.displayName = unquote(s.slice(i, close + 1));
    i = close + 1;
    while (i < s.length && isSp(s.charCodeAt(i))) i++;
    if (s[i] !== '<') {
      diags?.push(diag('missing-laquot', 'error', R, `${header}: a quoted display name must be followed by <URI>`, base + i, { header }));
      return out;
    }
  }
  const lt = s.indexOf('<', i);
  const semiBefore = s.indexOf(';', i);
  if (lt >= 0 && (semiBefore < 0 || lt < semiBefore || s[i] === '<')) {
    // name-addr: anything before '<' is an unquoted display name = *(token LWS).
    const dn = s.slice(i, lt).trim();
    if (dn !== '') {
      if (out.displayName === '') out.displayName = dn;
      for (const word of dn.split(/[ \t]+/)) {
        let bad = -1;
        for (let k = 0; k < word.length; k++) if (!TOKEN[word.charCodeAt(k)]) { bad = k; break; }
        if (bad >= 0) {
          diags?.push(diag('display-name-not-token', 'error', R + ' (display-name)', `${header}: unquoted display name "${dn}" contains '${word[bad]}', which needs quotes`, base + i, { header }));
          break;
        }
      }
    }
    const gt = s.indexOf('>', lt);
    if (gt < 0) {
      diags?.push(diag('missing-raquot', 'error', R, `${header}: '<' without a closing '>'`, base + lt, { header }));
      out.uriText = s.slice(lt + 1);
      out.uri = parseUri(out.uriText, base + lt + 1, diags, header, header);
      return out;
    }
    out.bracketed = true;
    out.uriText = s.slice(lt + 1, gt);
    if (out.uriText !== out.uriText.trim()) {
      diags?.push(diag('lws-in-addr-spec', 'error', 'RFC 3261 §25.1 (addr-spec); RFC 4475 §3.1.2.14', `${header}: whitespace inside < > around "${out.uriText.trim()}"`, base + lt + 1, { header }));
    }
    out.uri = parseUri(out.uriText.trim(), base + lt + 1, diags, header, header);
    paramsFrom = gt + 1;
  } else {
    // addr-spec: the URI runs to the first ';' (header params follow).
    const end = semiBefore < 0 ? s.length : semiBefore;
    out.uriText = s.slice(i, end).trim();
    if (/[ \t]/.test(out.uriText)) {
      diags?.push(diag('lws-in-addr-spec', 'error', 'RFC 3261 §25.1 (addr-spec)', `${header}: whitespace inside the address "${out.uriText}"`, base + i, { header }));
    }
    if (out.uriText.includes('?') || out.uriText.includes(',')) {
      diags?.push(diag('uri-needs-brackets', 'error', 'RFC 3261 §20 (SYN-12); RFC 4475 §3.1.2.13', `${header}: a URI containing '?' or ',' must be enclosed in < >`, base + i, { header }));
    }
    out.uri = parseUri(out.uriText, base + i, diags, header, header);
    paramsFrom = end;
  }
  const rest = s.slice(paramsFrom);
  const trimmed = rest.trimStart();
  if (trimmed !== '') {
    if (trimmed[0] !== ';') {
      diags?.push(diag('junk-after-uri', 'error', R, `${header}: unexpected "${trimmed.slice(0, 30)}" after the address`, base + paramsFrom, { header }));
    } else {
      const off = paramsFrom + (rest.length - trimmed.length) + 1;
      out.params = parseHeaderParams(trimmed.slice(1), base + off, diags, header);
    }
  }
  return out;
}

export function formatNameAddr(n: { displayName?: string; uri: Uri | string; params?: Params }): string {
  const uri = typeof n.uri === 'string' ? n.uri : formatUri(n.uri);
  const dn = n.displayName ? `"${n.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${dn}<${uri}>${n.params?.toString() ?? ''}`;
}

function isSp(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}
