/**
 * SRTP master keys written in SDP (RFC 4568 §6.1, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key>|2^20|1:4`)
 * are secrets that nobody knows in advance: the target makes its own. The ladders (trace) and the reports
 * (report/redact.ts) both mask them where they find them, so the pattern lives here, below both.
 */

/** Written where a key was. */
export const MASK = '***';

/**
 * An SDES key in its key-params: `inline:` and the base64 key||salt (30 bytes for the AES_CM_128 suites, 46 for
 * the 256-bit ones; 16 characters at least, so `Content-Disposition: inline;` and the like are left alone).
 * The lifetime and MKI after a `|` stay: they are not secret, and they tell a reader which key was meant.
 */
const SDES_KEY = /(inline:)([A-Za-z0-9+/]{16,}={0,2})/g;

/** Masks the key of every `inline:` SDES key parameter: `inline:***|2^20|1:4`. */
export function maskSdesKeys(text: string): string {
  return text.includes('inline:') ? text.replace(SDES_KEY, `$1${MASK}`) : text;
}

/** [start, end) of each SDES key in binary data (a pcap, a SIPp log), found in its latin1 reading: one byte a character. */
export function sdesKeySpans(data: Buffer): Array<[number, number]> {
  if (!data.includes('inline:')) return [];
  const spans: Array<[number, number]> = [];
  for (const m of data.toString('latin1').matchAll(SDES_KEY)) spans.push([m.index + m[1].length, m.index + m[0].length]);
  return spans;
}
