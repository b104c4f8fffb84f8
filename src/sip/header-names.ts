/** Header names: compact forms (RFC 3261 §7.3.3 and extensions) and the canonical spelling for output. */

const COMPACT: Record<string, string> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition', e: 'content-encoding',
  f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported', l: 'content-length', m: 'contact',
  n: 'identity-info', o: 'event', r: 'refer-to', s: 'subject', t: 'to', u: 'allow-events', v: 'via',
  x: 'session-expires', y: 'identity',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', rack: 'RAck', rseq: 'RSeq',
  'min-se': 'Min-SE', 'sip-etag': 'SIP-ETag', 'sip-if-match': 'SIP-If-Match', 'mime-version': 'MIME-Version',
  'p-asserted-identity': 'P-Asserted-Identity', 'p-preferred-identity': 'P-Preferred-Identity',
};

/** Headers that carry a single value: a second occurrence is an error (RFC 3261 §7.3.1, SYN-10). */
export const SINGLE_VALUED = new Set([
  'call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type', 'expires', 'min-expires',
  'rseq', 'rack', 'session-expires', 'min-se', 'refer-to', 'event', 'subscription-state', 'date',
  'retry-after', 'mime-version', 'sip-etag', 'sip-if-match', 'replaces', 'refer-sub',
]);

/**
 * Headers whose values may be comma-separated lists (RFC 3261 §7.3.1). Auth headers are excluded: their
 * commas separate parameters, not values.
 */
export const LIST_VALUED = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'allow', 'supported', 'require',
  'proxy-require', 'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events',
  'content-encoding', 'content-language', 'in-reply-to', 'warning', 'error-info', 'alert-info', 'call-info',
  'reason', 'p-asserted-identity', 'p-preferred-identity', 'history-info', 'accept-contact', 'reject-contact',
  'security-client', 'security-server', 'security-verify',
]);

const keyCache = new Map<string, string>();

/** Lower-case long form of a header name: "v" → "via", "MaX-fOrWaRdS" → "max-forwards". */
export function headerKey(name: string): string {
  let k = keyCache.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  const long = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  // One string instance per key ("From" and "from" give the same one): fields are matched against a key by
  // ===, which is then a pointer comparison.
  k = keyCache.get(long) ?? long;
  if (keyCache.size < 10000) {
    keyCache.set(name, k);
    if (!keyCache.has(long)) keyCache.set(long, k);
  }
  return k;
}

/** Display spelling of a canonical key: "call-id" → "Call-ID", "via" → "Via". */
export function headerDisplayName(key: string): string {
  return CANONICAL[key] ?? key.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
}

export function compactFormOf(key: string): string | undefined {
  for (const [c, k] of Object.entries(COMPACT)) if (k === key) return c;
  return undefined;
}
