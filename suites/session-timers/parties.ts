/**
 * The session-timer suite's user agents (RFC 4028), SIPp scenarios that do what a timer-aware UA does on the
 * wire: alice asks for a session interval and follows a 422's Min-SE; bob answers with the interval he got and
 * names the refresher, or refuses one below his own minimum; whoever is the refresher sends an UPDATE at half
 * the interval, and the other side, left without one, hangs up before the session expires.
 */
import { scenario, withBody, type Action, type ScenarioBuilder, type StartedSipp } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';

export type Refresher = 'uac' | 'uas';

/** What a UAC asks for in its INVITE (RFC 4028 §7.1). */
export interface TimerOffer {
  /** Session-Expires in seconds. */
  se: number;
  minSE?: number;
  /** Omitted: the UAS chooses (§7.1 recommends leaving it to the negotiation). */
  refresher?: Refresher;
}

/** When each side acts, from the 2xx that set the interval (RFC 4028 §10). */
export function timing(se: number): { refreshAtMs: number; byeAtMs: number } {
  // The refresher at half the interval; the other side "the minimum of 32 seconds and one third of the
  // session interval" before it expires.
  return { refreshAtMs: (se / 2) * 1000, byeAtMs: (se - Math.min(32, se / 3)) * 1000 };
}

const ALLOW = 'Allow: INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS';
const VIA = 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport';

function offerHeaders(o: { se: number | string; minSE?: number | string; refresher?: Refresher }): string[] {
  return [
    'Supported: timer',
    `Session-Expires: ${o.se}${o.refresher ? `;refresher=${o.refresher}` : ''}`,
    ...(o.minSE !== undefined ? [`Min-SE: ${o.minSE}`] : []),
  ];
}

/**
 * The 2xx to a refresh mirrors its Session-Expires (the refresher stays who it was) with Require: timer, which
 * §9 demands with refresher=uac; a refresh without Session-Expires fails the UA on the spot (`rse` unset).
 */
const keepRefreshSe = { ereg: { regexp: '.*', search_in: 'hdr' as const, header: 'Session-Expires:', assign_to: 'rse', check_it: true } };
/**
 * Sets the boolean `flag` when the message has no Session-Expires, keeping its seconds in `into` otherwise.
 * (SIPp's check_it on a missing header only logs a warning and carries on.) The pattern always matches: the
 * header where it is, or else the end of the message, with the seconds group left empty.
 */
function lacksInterval(flag: string, into: string): Action[] {
  return [
    { ereg: { regexp: '(Session-Expires:[ ]*([0-9]+)|$)', search_in: 'msg', assign_to: [`${into}_match`, `${into}_header`, into] } },
    { todouble: { assign_to: `${into}_s`, variable: into } },
    { test: { assign_to: flag, variable: `${into}_s`, compare: 'less_than', value: 1 } },
  ];
}

const reply = (status: string, user: string, extra: string[], sdp: boolean) =>
  withBody(['SIP/2.0 ' + status, '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]', `Contact: <sip:${user}@[local_ip]:[local_port]>`, ...extra], sdp);
const refreshOk = (user: string, sdp: boolean) => reply('200 OK', user, ['Supported: timer', 'Require: timer', 'Session-Expires: [$rse]'], sdp);

export interface CallerOptions {
  offer: TimerOffer;
  /** Request-URI user, in the target's domain. */
  to: string;
  domain: string;
  /** From user and domain (a PBX identifies its endpoint by them); default sipp at this SIPp's address. */
  from?: string;
  fromDomain?: string;
  /** The INVITE is challenged and sent again with credentials (a PBX). */
  auth?: boolean;
  /**
   * After the ACK: `hangup` after holdMs; `refreshed`: the far end is the refresher, so answer its UPDATE or
   * re-INVITE (waiting up to waitMs), then hang up; `silent`: alice is the refresher and never refreshes, so
   * she waits up to waitMs for the far end's BYE.
   */
  then: 'hangup' | 'refreshed' | 'silent';
  holdMs?: number;
  waitMs?: number;
  /** T1 for retransmitting a 2xx to a re-INVITE. */
  t1Ms?: number;
  name?: string;
}

/**
 * alice's INVITE with Supported: timer, Session-Expires and Min-SE. A 401/407 is answered with credentials;
 * a 422 with a new INVITE in the same call (Call-ID, From tag), the next CSeq, and both Session-Expires and
 * Min-SE set to the 422's Min-SE (RFC 4028 §7.3). The ACK takes the CSeq of the INVITE that was answered.
 */
export function timerCaller(o: CallerOptions): ScenarioBuilder {
  const user = o.from ?? 'sipp';
  const from = `From: <sip:${user}@${o.fromDomain ?? '[local_ip]:[local_port]'}>;tag=[pid]SIPpTag00[call_number]`;
  const to = `To: <sip:${o.to}@${o.domain}>`;
  const invite = (cseq: number, auth: boolean, headers: string[]) =>
    withBody([`INVITE sip:${o.to}@${o.domain} SIP/2.0`, VIA, 'Max-Forwards: 70', from, to, 'Call-ID: [call_id]', `CSeq: ${cseq} INVITE`, `Contact: <sip:${user}@[local_ip]:[local_port]>`, ALLOW, ...(auth ? ['[authentication]'] : []), ...headers], true);
  const ackOf = (cseq: number) => withBody([`ACK sip:${o.to}@${o.domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, '[last_To:]', 'Call-ID: [call_id]', `CSeq: ${cseq} ACK`], false);
  const inDialog = (method: string, cseq: number | string, extra: string[] = []) =>
    withBody([`${method} [next_url] SIP/2.0`, VIA, '[routes]', 'Max-Forwards: 70', from, `${to}[peer_tag_param]`, 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`, ...extra], false);
  const asked = offerHeaders(o.offer);
  const raised = offerHeaders({ se: '[$minse]', minSE: '[$minse]', refresher: o.offer.refresher });
  const minSe = [{ ereg: { regexp: '[0-9]+', search_in: 'hdr' as const, header: 'Min-SE:', assign_to: 'minse', check_it: true } }];

  // Each INVITE is a SIPp transaction of its own: a slow PBX answers an INVITE and its retransmission with two
  // challenges, and the late one is then ACKed by SIPp instead of aborting the call as a message out of place.
  const s = scenario(o.name ?? 'timer-caller');
  const sendInvite = (cseq: number, txn: string, auth: boolean, headers: string[]) => s.send(invite(cseq, auth, headers), { start_txn: txn });
  const ack = (cseq: number, txn: string) => s.send(ackOf(cseq), { ack_txn: txn });
  /** The 2xx to an INVITE, ACKed with its CSeq (and its credentials: RFC 3261 §13.2.2.4); the BYE takes the next. */
  const answered = (cseq: number, txn: string, authorized: boolean) => {
    s.recv({ response: 180, optional: true, response_txn: txn }).recv({ response: 183, optional: true, response_txn: txn });
    s.recv({ response: 200, rrs: true, response_txn: txn, actions: [{ assignstr: { assign_to: 'byeseq', value: String(cseq + 1) } }, ...lacksInterval('untimed', 'granted')] });
    s.send(inDialog('ACK', cseq, authorized ? ['[authentication]'] : []), { ack_txn: txn, next: 'answered' });
  };

  sendInvite(1, 'first', false, asked);
  s.recv({ response: 100, optional: true, response_txn: 'first' });
  s.recv({ response: 401, optional: true, auth: true, response_txn: 'first', next: 'challenged' });
  s.recv({ response: 407, optional: true, auth: true, response_txn: 'first', next: 'challenged' });
  s.recv({ response: 422, optional: true, actions: minSe, response_txn: 'first', next: 'too_small' });
  answered(1, 'first', false);

  s.label('challenged');
  ack(1, 'first');
  sendInvite(2, 'authorized', true, asked);
  s.recv({ response: 100, optional: true, response_txn: 'authorized' });
  s.recv({ response: 422, optional: true, actions: minSe, response_txn: 'authorized', next: 'too_small_authorized' });
  answered(2, 'authorized', true);

  s.label('too_small');
  ack(1, 'first');
  sendInvite(2, 'raised', false, raised);
  s.recv({ response: 100, optional: true, response_txn: 'raised' });
  answered(2, 'raised', false);

  // With credentials: the retry may be challenged again (a fresh nonce), and then goes once more.
  s.label('too_small_authorized');
  ack(2, 'authorized');
  sendInvite(3, 'raised_authorized', true, raised);
  s.recv({ response: 100, optional: true, response_txn: 'raised_authorized' });
  s.recv({ response: 401, optional: true, auth: true, response_txn: 'raised_authorized', next: 'rechallenged' });
  s.recv({ response: 407, optional: true, auth: true, response_txn: 'raised_authorized', next: 'rechallenged' });
  answered(3, 'raised_authorized', true);
  s.label('rechallenged');
  ack(3, 'raised_authorized');
  sendInvite(4, 'reauthorized', true, raised);
  s.recv({ response: 100, optional: true, response_txn: 'reauthorized' });
  answered(4, 'reauthorized', true);

  s.label('answered');
  // Answered without a session timer, a call that exists to wait for one ends at once: the test then fails in
  // seconds on what the trace shows, not after the whole interval.
  if (o.then !== 'hangup') s.nop([], { next: 'hang-up', test: 'untimed' });
  if (o.then === 'hangup') {
    s.pause(o.holdMs ?? 100);
  } else if (o.then === 'refreshed') {
    s.recv({ request: 'UPDATE', optional: true, actions: [keepRefreshSe], next: 'update' });
    s.recv({ request: 'INVITE', timeout: o.waitMs ?? 60_000, ontimeout: 'hang-up', actions: [keepRefreshSe] });
    s.send(refreshOk(user, true), { retrans: o.t1Ms ?? 500 });
    s.recv({ request: 'ACK', next: 'hang-up' });
    s.label('update');
    s.send(refreshOk(user, false));
  } else {
    s.recv({ request: 'BYE', timeout: o.waitMs ?? 60_000 });
    s.send(reply('200 OK', user, [], false));
    s.nop([], { next: 'end' });
  }
  s.label('hang-up');
  s.send(inDialog('BYE', '[$byeseq]'));
  s.recv({ response: 200 });
  s.label('end');
  return s;
}

export interface AnswererOptions {
  /** The refresher named in the 2xx (RFC 4028 §9: the one the request asked for, when it asked). */
  refresher: Refresher;
  /** bob's own minimum: a smaller Session-Expires gets 422 with this Min-SE (§9). */
  minSE?: number;
  /**
   * After the ACK: `await-bye`; `refresh`: bob is the refresher and sends an UPDATE at half the interval, then
   * waits for the caller's BYE; `non-refresher`: bob waits for a refresh until the BYE point of §10 and, if none
   * came, ends the session himself.
   */
  then: 'await-bye' | 'refresh' | 'non-refresher';
  /** The interval the 2xx grants (for `refresh` and `non-refresher`), in seconds. */
  se?: number;
  t1Ms: number;
  name?: string;
}

/**
 * bob answers an INVITE with timer: 200 with Session-Expires set to the interval he received and the refresher,
 * with Require: timer when that is the UAC (§9). An INVITE without Session-Expires (something on the way removed
 * it: every test offers one) gets a plain 200, as from a UA asked for no timer, and bob just waits for the BYE.
 */
export function timerAnswerer(o: AnswererOptions): ScenarioBuilder {
  const tag = 'tag=[pid]SIPpTag01[call_number]';
  const seen: Action[] = [
    ...lacksInterval('untimed', 'se'),
    { ereg: { regexp: '.*', search_in: 'hdr', header: 'From:', assign_to: 'remote_party', check_it: true } },
    { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'local_party', check_it: true } },
    ...(o.minSE !== undefined ? [{ test: { assign_to: 'fits', variable: 'se_s', compare: 'greater_than_equal' as const, value: o.minSE } }] : []),
  ];
  const answer = (status: string, extra: string[], sdp: boolean) =>
    withBody(['SIP/2.0 ' + status, '[last_Via:]', '[last_From:]', `[last_To:];${tag}`, '[last_Call-ID:]', '[last_CSeq:]', '[last_Record-Route:]', 'Contact: <sip:[service]@[local_ip]:[local_port]>', ALLOW, ...extra], sdp);
  const own = (method: string, cseq: number, extra: string[]) =>
    withBody([`${method} [next_url] SIP/2.0`, VIA, '[routes]', 'Max-Forwards: 70', `From: [$local_party];${tag}`, 'To: [$remote_party]', 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`, `Contact: <sip:[service]@[local_ip]:[local_port]>`, ...extra], false);
  const se = o.se ?? 90;
  const { refreshAtMs, byeAtMs } = timing(se);
  const awaitBye = () => s.recv({ request: 'BYE', timeout: se * 1000 + 10_000 }).send(answer('200 OK', [], false));

  const s = scenario(o.name ?? 'timer-answerer');
  s.recv({ request: 'INVITE', rrs: true, actions: seen, next: 'untimed', test: 'untimed' });
  if (o.minSE !== undefined) {
    s.nop([], { next: 'answer', test: 'fits' });
    s.send(answer('422 Session Interval Too Small', [`Min-SE: ${o.minSE}`], false));
    s.recv({ request: 'ACK' });
    s.recv({ request: 'INVITE', rrs: true, actions: seen, next: 'untimed', test: 'untimed' });
    s.label('answer');
  }
  const granted = ['Supported: timer', `Session-Expires: [$se];refresher=${o.refresher}`, ...(o.refresher === 'uac' ? ['Require: timer'] : [])];
  s.send(answer('200 OK', granted, true), { retrans: o.t1Ms });
  s.recv({ request: 'ACK' });
  if (o.then === 'refresh') {
    s.pause(refreshAtMs);
    // bob sends the refresh, so he is its UAC: refresher=uac keeps him the refresher (§7.4).
    s.send(own('UPDATE', 1, ['Supported: timer', 'Session-Expires: [$se];refresher=uac', 'Min-SE: [$se]']));
    s.recv({ response: 200 });
  } else if (o.then === 'non-refresher') {
    s.recv({ request: 'UPDATE', timeout: byeAtMs, ontimeout: 'expired', actions: [keepRefreshSe] });
    s.send(refreshOk('[service]', false));
  }
  awaitBye();
  s.nop([], { next: 'end' });
  if (o.then === 'non-refresher') {
    s.label('expired');
    s.send(own('BYE', 1, []));
    s.recv({ response: 200 });
    s.nop([], { next: 'end' });
  }
  s.label('untimed');
  s.send(answer('200 OK', [], true), { retrans: o.t1Ms });
  s.recv({ request: 'ACK' });
  awaitBye();
  s.label('end');
  return s;
}

/** bob's SIPp answering (in the background, ready), registered as `account` from his own address. */
export function answering(lab: Lab, party: string, account: Account, o: AnswererOptions, timeoutMs = 20_000): Promise<StartedSipp> {
  return lab.sipp(timerAnswerer(o), { party, label: `answer-${party}`, timeoutMs }).withService(account.user).start();
}

/** alice's SIPp calling through the target; with `account`, she authenticates as it (a PBX). */
export function calling(lab: Lab, party: string, o: Omit<CallerOptions, 'domain'>, account?: Account, timeoutMs = 20_000) {
  const s = timerCaller({ t1Ms: lab.plan.t1Ms, ...o, domain: lab.target.domain, ...(account ? { from: account.user, fromDomain: lab.target.domain, auth: true } : {}) });
  const p = lab.sipp(s, { party, label: `call-${o.to}`, timeoutMs });
  return (account ? p.withAuth(account.authUser ?? account.user, account.password) : p).run();
}
