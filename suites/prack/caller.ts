/**
 * alice's side of the PRACK suite: SIPp scenarios for a UAC that supports (or requires) 100rel and PRACKs
 * each reliable provisional it gets, in the early dialog the provisional created (RFC 3262 §4).
 *
 * The INVITE opens a SIPp transaction ("invite") and every provisional is received against it: a late
 * retransmission of a 183 already PRACKed is then ignored wherever the scenario is, instead of being taken for
 * the next message it waits for.
 */
import { scenario, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import type { Action } from '../../drivers/sipp/actions.js';
import { ALLOW, message, PCMA, sdpLines } from './sdp.js';

export interface CallerOptions {
  /** Request-URI user and host. */
  to: string;
  domain: string;
  /** From user and host (a PBX identifies its endpoint by it). Default `sipp` at this SIPp's address. */
  from?: string;
  fromDomain?: string;
  t1Ms: number;
  /** Require: 100rel on the INVITE, beside Supported: 100rel. */
  require100rel?: boolean;
  /** The INVITE is challenged (401/407) and sent again with credentials: the PBX case. */
  auth?: boolean;
  name?: string;
}

interface Party {
  from: string;
  to: string;
  uri: string;
  contact: string;
}

function party(o: CallerOptions): Party {
  const user = o.from ?? 'sipp';
  return {
    from: `From: <sip:${user}@${o.fromDomain ?? '[local_ip]:[local_port]'}>;tag=[pid]SIPpTag00[call_number]`,
    to: `To: <sip:${o.to}@${o.domain}>`,
    uri: `sip:${o.to}@${o.domain}`,
    contact: `Contact: <sip:${user}@[local_ip]:[local_port];transport=[transport]>`,
  };
}

const VIA = 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport';

function invite(p: Party, o: CallerOptions, cseq: number, auth: boolean): string {
  const tags = ['Supported: 100rel', ...(o.require100rel ? ['Require: 100rel'] : [])];
  return message([`INVITE ${p.uri} SIP/2.0`, VIA, 'Max-Forwards: 70', p.from, p.to, 'Call-ID: [call_id]', `CSeq: ${cseq} INVITE`, p.contact, ...tags, ALLOW, ...(auth ? ['[authentication]'] : [])], sdpLines());
}

/** Sends the INVITE (again with credentials after a challenge, when `auth`); returns the CSeq number that counts. */
function sendInvite(s: ScenarioBuilder, p: Party, o: CallerOptions): number {
  if (!o.auth) {
    s.send(invite(p, o, 1, false), { start_txn: 'invite' });
    s.recv({ response: 100, optional: true, response_txn: 'invite' });
    return 1;
  }
  // A transaction of its own: a retransmitted challenge arriving after the retry is ACKed again by SIPp
  // instead of being taken for a message out of place (a slow PBX answers the INVITE and its retransmission).
  s.send(invite(p, o, 1, false), { start_txn: 'challenged' });
  s.recv({ response: 100, optional: true, response_txn: 'challenged' });
  s.recv({ response: 401, optional: true, auth: true, response_txn: 'challenged', next: 'challenged' });
  s.recv({ response: 407, auth: true, response_txn: 'challenged' });
  s.label('challenged');
  // The ACK of a non-2xx final response is hop-by-hop, on the INVITE's branch (RFC 3261 §17.1.1.3).
  s.send(message([`ACK ${p.uri} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', p.from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK']), { ack_txn: 'challenged' });
  s.send(invite(p, o, 2, true), { start_txn: 'invite' });
  s.recv({ response: 100, optional: true, response_txn: 'invite' });
  return 2;
}

/** A request in the early or confirmed dialog: to the callee's Contact, through the route set SIPp recorded. */
function inDialog(p: Party, method: string, cseq: number, extra: string[] = [], sdp?: string[], target = '[next_url]', to = '[last_To:]'): string {
  return message([`${method} ${target} SIP/2.0`, VIA, '[routes]', 'Max-Forwards: 70', p.from, to, 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`, ...extra], sdp);
}

const RSEQ = (v: string): Action => ({ ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'RSeq:', assign_to: v, check_it: true } });

export interface ReliableCallOptions extends CallerOptions {
  /** Wait this long after the first copy of the reliable 1xx before PRACKing it (its retransmissions keep coming). */
  prackAfterMs?: number;
  /** Offer PCMA in an UPDATE once the PRACK is answered, before the call is answered (RFC 3311 §5.1). */
  update?: boolean;
  /** ms between ACK and BYE. */
  holdMs?: number;
}

/** BYE after `holdMs`, then on to `then`. */
function hangUp(s: ScenarioBuilder, p: Party, o: ReliableCallOptions, cseq: number, then: string): void {
  if (o.holdMs) s.pause(o.holdMs);
  s.send(inDialog(p, 'BYE', cseq), { retrans: o.t1Ms });
  s.recv({ response: 200, next: then });
}

/**
 * INVITE with an offer; the reliable 183 (or 180) is PRACKed with RAck "RSeq CSeq INVITE"; optionally an UPDATE
 * in the early dialog; then the 200 is ACKed and the call hung up. A PRACK or UPDATE left unanswered ends the
 * scenario (the trace shows what went missing).
 */
export function reliableCaller(o: ReliableCallOptions): ScenarioBuilder {
  const p = party(o);
  const s = scenario(o.name ?? 'reliable-call');
  const cseq = sendInvite(s, p, o);
  // rrs: the provisional's Record-Route and Contact make the early dialog's route set and remote target.
  s.recv({ response: 180, optional: true, rrs: true, response_txn: 'invite', actions: [RSEQ('rseq')], next: 'provisional' });
  const patience = Math.max(2000, 32 * o.t1Ms);
  s.recv({ response: 183, rrs: true, response_txn: 'invite', actions: [RSEQ('rseq')], timeout: patience, ontimeout: 'end' });
  s.label('provisional');
  if (o.prackAfterMs) s.pause(o.prackAfterMs);
  s.send(inDialog(p, 'PRACK', cseq + 1, [`RAck: [$rseq] ${cseq} INVITE`]), { retrans: o.t1Ms, start_txn: 'prack' });
  // A UAS holding its 2xx until the PRACK may send it before the PRACK's own 200 (PJSIP does): ACK it first.
  s.recv({ response: 200, optional: true, response_txn: 'invite', next: 'answered-first' });
  s.recv({ response: 200, response_txn: 'prack', timeout: patience, ontimeout: 'end' });
  let next = cseq + 2;
  if (o.update) {
    s.send(inDialog(p, 'UPDATE', next++, [p.contact, ALLOW], sdpLines({ version: 1, codec: PCMA })), { retrans: o.t1Ms, start_txn: 'update' });
    s.recv({ response: 200, response_txn: 'update', timeout: patience, ontimeout: 'end' });
  }
  s.recv({ response: 200, response_txn: 'invite', timeout: patience, ontimeout: 'end' });
  s.send(inDialog(p, 'ACK', cseq), { ack_txn: 'invite' });
  hangUp(s, p, o, next, 'end');
  s.label('answered-first');
  s.send(inDialog(p, 'ACK', cseq), { ack_txn: 'invite' });
  s.recv({ response: 200, response_txn: 'prack', timeout: patience, ontimeout: 'end' });
  hangUp(s, p, o, cseq + 2, 'end');
  s.label('end');
  return s;
}

/** An INVITE that requires 100rel: a 420 is ACKed; a 200 (the requirement went missing on the way) is ACKed and hung up. */
export function requiringCaller(o: CallerOptions): ScenarioBuilder {
  const p = party({ ...o, require100rel: true });
  const s = scenario(o.name ?? 'require-100rel');
  sendInvite(s, p, { ...o, require100rel: true });
  s.recv({ response: 420, optional: true, response_txn: 'invite', next: 'rejected' });
  s.recv({ response: 180, optional: true, response_txn: 'invite' });
  s.recv({ response: 200, rrs: true, response_txn: 'invite', timeout: Math.max(2000, 32 * o.t1Ms), ontimeout: 'end' });
  s.send(inDialog(p, 'ACK', 1), { ack_txn: 'invite' });
  s.send(inDialog(p, 'BYE', 2), { retrans: o.t1Ms });
  s.recv({ response: 200, next: 'end' });
  s.label('rejected');
  s.send(message([`ACK ${p.uri} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', p.from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK']), { ack_txn: 'invite' });
  s.label('end');
  return s;
}

/**
 * A forked call: a reliable 183 from each of two branches, each PRACKed in its own early dialog (its To tag,
 * its Contact as Request-URI, its RSeq), then a CANCEL; the 487 is ACKed. A retransmitted 183 of the first
 * branch, taken while waiting for the second, is recognised by its To header and waited past.
 */
export function forkedCallerThenCancel(o: CallerOptions): ScenarioBuilder {
  const p = party(o);
  const s = scenario(o.name ?? 'forked-prack-cancel');
  const patience = Math.max(2000, 32 * o.t1Ms);
  sendInvite(s, p, o);
  const early = (n: number): Action[] => [
    RSEQ(`rseq${n}`),
    { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: `to${n}`, check_it: true } },
    { ereg: { regexp: '<([^>]*)>', search_in: 'hdr', header: 'Contact:', assign_to: [`contact${n}`, `target${n}`], check_it: true } },
  ];
  s.recv({
    response: 183,
    rrs: true,
    response_txn: 'invite',
    timeout: patience,
    ontimeout: 'end',
    // The INVITE's own Via, as the proxy returns it, for the CANCEL (same branch, RFC 3261 §9.1).
    actions: [...early(1), { ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', assign_to: 'invite_via', check_it: true } }],
  });
  s.send(inDialog(p, 'PRACK', 2, ['RAck: [$rseq1] 1 INVITE'], undefined, '[$target1]', 'To:[$to1]'), { retrans: o.t1Ms, start_txn: 'prack1' });
  s.recv({ response: 200, response_txn: 'prack1', timeout: patience, ontimeout: 'give-up' });
  s.label('second');
  s.recv({
    response: 183,
    response_txn: 'invite',
    timeout: patience,
    ontimeout: 'give-up',
    actions: [...early(2), { strcmp: { assign_to: 'to_cmp', variable: 'to2', variable2: 'to1' } }, { test: { assign_to: 'same_branch', variable: 'to_cmp', compare: 'equal', value: 0 } }],
    next: 'second',
    test: 'same_branch',
  });
  // Each early dialog numbers its own requests from the INVITE's CSeq (RFC 3261 §12.1.2): 2 again, not 3.
  s.send(inDialog(p, 'PRACK', 2, ['RAck: [$rseq2] 1 INVITE'], undefined, '[$target2]', 'To:[$to2]'), { retrans: o.t1Ms, start_txn: 'prack2' });
  s.recv({ response: 200, response_txn: 'prack2', timeout: patience, ontimeout: 'give-up' });
  // Also where a PRACK went unanswered: the call is given up, and the branches still have to be CANCELled.
  s.label('give-up');
  s.send(message([`CANCEL ${p.uri} SIP/2.0`, 'Via:[$invite_via]', 'Max-Forwards: 70', p.from, p.to, 'Call-ID: [call_id]', 'CSeq: 1 CANCEL']), { retrans: o.t1Ms, start_txn: 'cancel' });
  s.recv({ response: 200, response_txn: 'cancel', timeout: patience, ontimeout: 'end' });
  s.recv({ response: 487, response_txn: 'invite', timeout: patience, ontimeout: 'end' });
  s.send(message([`ACK ${p.uri} SIP/2.0`, 'Via:[$invite_via]', 'Max-Forwards: 70', p.from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK']), { ack_txn: 'invite' });
  s.label('end');
  return s;
}
