/**
 * bob's side of the PRACK suite: SIPp scenarios for a UAS that sends a reliable 183 with early SDP (RFC 3262
 * §3), one that does not support 100rel at all (RFC 3261 §8.2.2.3), and the branch of a forked call that is
 * PRACKed and then CANCELled.
 *
 * Once a PRACK has arrived, SIPp's [last_*] keywords name the PRACK, not the INVITE; the INVITE's Via stack,
 * Record-Route and CSeq are kept from it for the 200 or 487 that answers it later. The Via and Record-Route
 * lines are kept whole (one or more of each: a proxy adds a Via, a B2BUA does not), and a Record-Route line
 * that was never there leaves an empty variable, which SIPp drops from the message.
 */
import { scenario, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import type { Action } from '../../drivers/sipp/actions.js';
import { ALLOW, message, PCMA, sdpLines } from './sdp.js';

const TAG = 'tag=[pid]SIPpTag01[call_number]';
const CONTACT = 'Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>';

/** Consecutive header lines named `name`, as one block (POSIX ERE: [[:cntrl:]] is the CRLF between them). */
function linesOf(name: string, assign: string): Action {
  return { ereg: { regexp: `${name}:[[:print:]]*([[:cntrl:]]+${name}:[[:print:]]*)*`, search_in: 'msg', assign_to: assign } };
}

const KEEP_INVITE: Action[] = [
  linesOf('Via', 'ivia'),
  linesOf('Record-Route', 'irr'),
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'CSeq:', assign_to: 'icseq', check_it: true } },
];

/** A response to the kept INVITE, sent after other requests of the dialog arrived (whose To may lack bob's tag: a CANCEL's). */
function toInvite(status: string, tagged = false): string {
  return message(['SIP/2.0 ' + status, '[$ivia]', '[last_From:]', tagged ? `[last_To:];${TAG}` : '[last_To:]', '[last_Call-ID:]', 'CSeq:[$icseq]', '[$irr]', CONTACT]);
}

/** A response to the request just received ([last_*]); `tagged` adds bob's To tag where the request had none. */
function reply(status: string, o: { extra?: string[]; sdp?: string[]; tagged?: boolean } = {}): string {
  const to = o.tagged ? `[last_To:];${TAG}` : '[last_To:]';
  return message(['SIP/2.0 ' + status, '[last_Via:]', '[last_From:]', to, '[last_Call-ID:]', '[last_CSeq:]', ...(o.extra ?? [])], o.sdp);
}

export interface ReliableCalleeOptions {
  t1Ms: number;
  /** After the PRACK: answer (200, ACK, BYE), or wait for the caller's CANCEL (200, 487, ACK). */
  then: 'answer' | 'cancelled';
  /** Expect an UPDATE with a new offer in the early dialog, and answer it (RFC 3311 §5.2). */
  update?: boolean;
  /** Send 100 and hold the 183 back this long (the later branch of a forked call). */
  delayMs?: number;
  /** ms between the PRACK's 200 and the INVITE's 200. */
  answerAfterMs?: number;
  name?: string;
}

/**
 * Answers an INVITE with a reliable 183 (Require: 100rel, RSeq 1, the SDP answer), retransmitted at T1,
 * 2·T1, … until the PRACK comes, which gets a 200.
 */
export function reliableCallee(o: ReliableCalleeOptions): ScenarioBuilder {
  const s = scenario(o.name ?? 'reliable-183');
  s.recv({ request: 'INVITE', rrs: true, actions: KEEP_INVITE });
  if (o.delayMs) {
    s.send(message(['SIP/2.0 100 Trying', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]']));
    s.pause(o.delayMs);
  }
  s.send(reply('183 Session Progress', { tagged: true, extra: ['[last_Record-Route:]', CONTACT, 'Require: 100rel', 'RSeq: 1', ALLOW], sdp: sdpLines() }), { retrans: o.t1Ms });
  s.recv({ request: 'PRACK', timeout: 64 * o.t1Ms, ontimeout: 'end' });
  s.send(reply('200 OK'));
  if (o.update) {
    s.recv({ request: 'UPDATE', timeout: 64 * o.t1Ms, ontimeout: 'end' });
    // The answer to the UPDATE's offer of PCMA: bob's second description, so its version goes up by one.
    s.send(reply('200 OK', { extra: [CONTACT, ALLOW], sdp: sdpLines({ version: 1, codec: PCMA }) }));
  }
  if (o.then === 'answer') {
    if (o.answerAfterMs) s.pause(o.answerAfterMs);
    // The offer was answered in the reliable 183 (RFC 3262 §5): the 200 carries no new one.
    s.send(toInvite('200 OK'), { retrans: o.t1Ms });
    s.recv({ request: 'ACK' });
    s.recv({ request: 'BYE', timeout: 64 * o.t1Ms, ontimeout: 'end' });
    s.send(reply('200 OK'));
  } else {
    s.recv({ request: 'CANCEL', timeout: 64 * o.t1Ms, ontimeout: 'end' });
    s.send(reply('200 OK', { tagged: true }));
    s.send(toInvite('487 Request Terminated', true), { retrans: o.t1Ms });
    s.recv({ request: 'ACK' });
  }
  s.label('end');
  return s;
}

/**
 * A UAS that does not implement 100rel: an INVITE that requires it gets 420 Bad Extension with Unsupported:
 * 100rel (RFC 3261 §8.2.2.3); one that does not is answered 200 as usual.
 */
export function calleeWithout100rel(t1Ms: number, name = 'no-100rel'): ScenarioBuilder {
  const s = scenario(name);
  s.recv({
    request: 'INVITE',
    rrs: true,
    actions: [{ ereg: { regexp: '100rel', search_in: 'hdr', header: 'Require:', case_indep: true, assign_to: 'requires_100rel' } }],
    next: 'reject',
    test: 'requires_100rel',
  });
  s.send(reply('200 OK', { tagged: true, extra: ['[last_Record-Route:]', CONTACT], sdp: sdpLines() }), { retrans: t1Ms });
  s.recv({ request: 'ACK' });
  s.recv({ request: 'BYE', timeout: 64 * t1Ms, ontimeout: 'end' });
  s.send(reply('200 OK'), { next: 'end' });
  s.label('reject');
  s.send(reply('420 Bad Extension', { tagged: true, extra: ['Unsupported: 100rel'] }), { retrans: t1Ms });
  s.recv({ request: 'ACK' });
  s.label('end');
  return s;
}
