/**
 * The session descriptions the PRACK suite's SIPps write. Each side starts at version V and adds one for each
 * new description (RFC 3264 §8), so the rule check can tell a renegotiation from a repeated answer; the
 * renegotiation in the early dialog moves from PCMU to PCMA, a change the trace can see.
 */

const V = 2353687637;

export const PCMU = 0;
export const PCMA = 8;

export function sdpLines(o: { version?: 0 | 1; codec?: typeof PCMU | typeof PCMA } = {}): string[] {
  const codec = o.codec ?? PCMU;
  return [
    'v=0',
    `o=sipwright 53655765 ${V + (o.version ?? 0)} IN IP[local_ip_type] [local_ip]`,
    's=-',
    'c=IN IP[media_ip_type] [media_ip]',
    't=0 0',
    `m=audio [media_port] RTP/AVP ${codec}`,
    `a=rtpmap:${codec} ${codec === PCMU ? 'PCMU' : 'PCMA'}/8000`,
  ];
}

/** Header lines, then the body: none, or one of sdpLines(). */
export function message(headers: string[], sdp?: string[]): string {
  if (!sdp) return [...headers, 'Content-Length: 0', '', ''].join('\n');
  return [...headers, 'Content-Type: application/sdp', 'Content-Length: [len]', '', ...sdp, ''].join('\n');
}

/** What both ends of these calls implement (RFC 3262 §5 and RFC 3311 §5.1 ask for PRACK and UPDATE in Allow). */
export const ALLOW = 'Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE';
