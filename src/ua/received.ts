/**
 * What a user agent received, read back from its SIPp's message log (-trace_msg): the NOTIFYs of a
 * subscription, the SIP-ETag of a publication. This paces and feeds a user agent (a refresh needs the ETag);
 * a test's verdict still comes from the capture.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AnySipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parser.js';

/**
 * SIPp writes each message raw (CRLFs and all) after a line "UDP message received [483] bytes :" and an empty
 * line; SIPp 3.8 (the sipp image: TLS, or runtime.sipp container) writes "bytes:", without the space.
 */
const RECEIVED = /(?:UDP|TCP|TLS|SCTP|WS|WSS) message received \[(\d+)\] bytes ?:\n\n/g;

export function receivedMessages(messageLog: string | undefined): AnySipMessage[] {
  if (!messageLog || !existsSync(messageLog)) return [];
  const raw = readFileSync(messageLog);
  // latin1 maps bytes to characters one to one, so string offsets are byte offsets.
  const text = raw.toString('latin1');
  const out: AnySipMessage[] = [];
  for (const m of text.matchAll(RECEIVED)) {
    const from = m.index! + m[0].length;
    const parsed = parseMessage(raw.subarray(from, from + Number(m[1])), { framing: 'datagram' }).message;
    if (parsed) out.push(parsed as AnySipMessage);
  }
  return out;
}
