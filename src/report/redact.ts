/**
 * Secrets (target passwords) must never reach a report: every attachment, step name and parameter goes
 * through here before it is handed to Allure. SRTP keys are secrets too, but nobody knows them in advance (the
 * target makes its own): any key written inline in an SDP a=crypto line (RFC 4568 §6.1) is masked wherever
 * it appears, whatever the list of secrets.
 */

import { maskSdesKeys, sdesKeySpans } from '../util/sdes-keys.js';

export { maskSdesKeys };

/** Placeholder written where a secret was. */
export const REDACTED = '***';

/** Longest first, so a secret that contains another secret is replaced whole. Empty values are dropped: they would match everywhere. */
function usable(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret in text with `***`, and masks SDES keys. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskSdesKeys(text);
  for (const secret of usable(secrets)) out = out.split(secret).join(REDACTED);
  return out;
}

/** True when text holds any of the secrets, or an SDES key. */
export function containsSecret(data: string | Buffer, secrets: readonly string[]): boolean {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return usable(secrets).some((s) => buf.includes(Buffer.from(s))) || sdesKeySpans(buf).length > 0;
}

/**
 * Masks secrets in binary data (a pcap) with `*` bytes of the same length. Same length matters: pcap
 * record lengths, IP/UDP lengths and Content-Length stay valid, so the masked capture still opens in
 * Wireshark. (Checksums do not survive, which Wireshark only notes.)
 */
export function redactBytes(data: Buffer, secrets: readonly string[]): Buffer {
  let out: Buffer | undefined;
  for (const secret of usable(secrets)) {
    const needle = Buffer.from(secret);
    let at = (out ?? data).indexOf(needle);
    while (at >= 0) {
      out ??= Buffer.from(data);
      out.fill(0x2a, at, at + needle.length);
      at = out.indexOf(needle, at + needle.length);
    }
  }
  for (const [start, end] of sdesKeySpans(out ?? data)) {
    out ??= Buffer.from(data);
    out.fill(0x2a, start, end);
  }
  return out ?? data;
}
