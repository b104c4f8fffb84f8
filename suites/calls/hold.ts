/**
 * Hold and resume by re-INVITE (RFC 3264 §8.4, RFC 6337 §5.3): the caller's SIPp offers sendrecv, then its hold
 * direction, then sendrecv again, each SDP with the o= version one more than the last; a scripted callee answers
 * each offer as RFC 3264 §6.1 prescribes. The SDP is written out here because the stock one never changes version.
 */
import { inviteWithChallenge, scenario, withBody, type ScenarioBuilder } from '../../drivers/sipp/index.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type HoldDirection = 'sendonly' | 'inactive';

/** What an answerer that is not itself holding puts against an offered direction (RFC 3264 §6.1). */
export function answerTo(offer: Direction): Direction {
  return ({ sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' } as const)[offer];
}

/** One SDP with an explicit direction; `version` is the o= line's, which must rise by one per change (RFC 3264 §8). */
function sdp(user: string, sessionId: number, version: number, direction: Direction): string[] {
  return [
    'v=0',
    `o=${user} ${sessionId} ${version} IN IP[local_ip_type] [local_ip]`,
    's=-',
    'c=IN IP[media_ip_type] [media_ip]',
    't=0 0',
    'm=audio [media_port] RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    `a=${direction}`,
  ];
}

function withSdp(headers: string[], body: string[]): string {
  return [...headers, 'Content-Type: application/sdp', 'Content-Length: [len]', '', ...body, ''].join('\n');
}

export interface HoldingCallerOptions {
  to: string;
  domain: string;
  /** From user and domain (a PBX knows its endpoint by them). Default: sipp at this SIPp's address. */
  from?: string;
  fromDomain?: string;
  /** The first INVITE is challenged and sent again with credentials (a PBX). */
  auth?: boolean;
  hold: HoldDirection;
  /** ms on hold, and between the other steps. */
  pauseMs: number;
}

/** INVITE, then a hold re-INVITE and a resume re-INVITE in the dialog (routed by its route set), then BYE. */
export function holdingCaller(o: HoldingCallerOptions): ScenarioBuilder {
  const user = o.from ?? 'sipp';
  const from = `From: <sip:${user}@${o.fromDomain ?? '[local_ip]:[local_port]'}>;tag=[pid]SIPpTag00[call_number]`;
  const contact = `Contact: <sip:${user}@[local_ip]:[local_port];transport=[transport]>`;
  const offer = (version: number, direction: Direction) => sdp(user, 4242, version, direction);
  const s = scenario(`hold-${o.hold}-${o.to}`);
  const invite = (cseq: number, auth: boolean) =>
    withSdp(
      [
        `INVITE sip:${o.to}@${o.domain} SIP/2.0`,
        'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
        'Max-Forwards: 70',
        from,
        `To: <sip:${o.to}@${o.domain}>`,
        'Call-ID: [call_id]',
        `CSeq: ${cseq} INVITE`,
        contact,
        ...(auth ? ['[authentication]'] : []),
      ],
      offer(1, 'sendrecv'),
    );
  const opening = inviteWithChallenge(s, {
    invite,
    auth: o.auth ?? false,
    ack: withBody([`ACK sip:${o.to}@${o.domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK'], false),
  });
  let cseq = opening.cseq;
  const txn = opening.txn;
  s.recv({ response: 180, optional: true, response_txn: txn });
  s.recv({ response: 183, optional: true, response_txn: txn });
  s.recv({ response: 200, rrs: true, response_txn: txn });
  const inDialog = (method: string, n: number) => [
    `${method} [next_url] SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
    '[routes]',
    'Max-Forwards: 70',
    from,
    `To: <sip:${o.to}@${o.domain}>[peer_tag_param]`,
    'Call-ID: [call_id]',
    `CSeq: ${n} ${method}`,
  ];
  // The ACK of the 2xx carries the INVITE's credentials (RFC 3261 §13.2.2.4), as the stock caller's does.
  s.send(withBody([...inDialog('ACK', cseq), ...(o.auth ? ['[authentication]'] : [])], false), txn ? { ack_txn: txn } : {});
  for (const [version, direction] of [[2, o.hold], [3, 'sendrecv']] as const) {
    s.pause(o.pauseMs);
    cseq += 1;
    s.send(withSdp([...inDialog('INVITE', cseq), contact], offer(version, direction)));
    s.recv({ response: 100, optional: true });
    s.recv({ response: 200 });
    s.send(withBody(inDialog('ACK', cseq), false));
  }
  s.pause(o.pauseMs);
  s.send(withBody(inDialog('BYE', cseq + 1), false));
  s.recv({ response: 200 });
  return s;
}

/**
 * The callee: answers the INVITE sendrecv, the hold re-INVITE with answerTo(hold), the resume sendrecv, each
 * answer's o= version one more; then takes the BYE. Only the first answer creates the To tag.
 */
export function heldCallee(o: { user: string; hold: HoldDirection; t1Ms: number }): ScenarioBuilder {
  const contact = `Contact: <sip:${o.user}@[local_ip]:[local_port];transport=[transport]>`;
  const reply = (status: string, first: boolean) => [
    `SIP/2.0 ${status}`,
    '[last_Via:]',
    '[last_From:]',
    first ? '[last_To:];tag=[pid]SIPpTag01[call_number]' : '[last_To:]',
    '[last_Call-ID:]',
    '[last_CSeq:]',
    ...(first ? ['[last_Record-Route:]'] : []),
    contact,
  ];
  const s = scenario(`held-${o.hold}-${o.user}`);
  s.recv({ request: 'INVITE', rrs: true });
  s.send(withBody(reply('180 Ringing', true), false));
  s.send(withSdp(reply('200 OK', true), sdp(o.user, 5151, 1, 'sendrecv')), { retrans: o.t1Ms });
  s.recv({ request: 'ACK' });
  for (const [version, direction] of [[2, answerTo(o.hold)], [3, 'sendrecv']] as const) {
    s.recv({ request: 'INVITE' });
    s.send(withSdp(reply('200 OK', false), sdp(o.user, 5151, version, direction)), { retrans: o.t1Ms });
    s.recv({ request: 'ACK' });
  }
  s.recv({ request: 'BYE' });
  s.send(withBody(reply('200 OK', false), false));
  return s;
}
