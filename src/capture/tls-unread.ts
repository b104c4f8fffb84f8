/**
 * The TLS connections of a capture whose SIP could not be read (no key, a cipher we don't decrypt, a record
 * that failed authentication), from its findings: a verdict made from that capture would rest on missing
 * messages, so the lab refuses to pass a test on it (src/lab/test-run.ts).
 */
import type { CaptureFinding } from './types.js';

/**
 * The findings that say part of a TLS stream was not decrypted, in capture order; but not a handshake that never
 * completed (a refused one carried no SIP to read).
 */
export function undecryptedTls(findings: readonly CaptureFinding[]): CaptureFinding[] {
  return findings.filter((f) => /^TLS (connection|stream)\b.*not decrypted/.test(f.message) && !/handshake did not complete/.test(f.message));
}
