/**
 * A called user agent, compiled to one SIPp scenario: it takes an INVITE and rings, answers (reliably with
 * PRACK if asked), rejects, stays silent, or rings until CANCELled; once answered it behaves as a phone does in
 * the dialog: a re-INVITE is answered with the direction RFC 3264 §6.1 gives and its o= version one higher,
 * UPDATE, INFO, MESSAGE, OPTIONS and NOTIFY get 200, a late CANCEL gets 200, and the call ends with the far
 * end's BYE or its own.
 */
import { scenario, type Action, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { Versions } from './call.js';
import { UAS_DIALOG, inDialogRequest } from './dialog.js';
import { inviteResponseHeaders, KEEP_INVITE, linesOf } from './keep-invite.js';
import { answerTo, DIRECTIONS, type Direction, type SdpSpec } from './sdp.js';
import { KEEP_REFRESH_SE, lacksInterval, REFRESH_OK_HEADERS, timing, type Refresher } from './session-timer.js';
import { contactLine, message, responseToLast, sdpBody, UAS_TAG } from './sip-text.js';
import { labels, transaction, type Compile } from './transaction.js';

export interface AnswerOptions {
  /** A 180 before the answer. Default true. */
  ring?: boolean;
  /** Send 100 Trying and hold the first provisional back this long (the later branch of a forked call). */
  ringAfterMs?: number;
  /** Time between the ring (or the PRACK) and the 200. */
  answerAfterMs?: number;
  /** A reliable 183 with RSeq and the SDP answer (RFC 3262 §3), retransmitted until PRACKed. */
  reliable?: boolean;
  /** In the early dialog after the PRACK, an UPDATE with a new offer comes and is answered with this (RFC 3311 §5.2). */
  earlyUpdate?: SdpSpec;
  /** The UA lacks 100rel: an INVITE that requires it gets 420 with Unsupported: 100rel (RFC 3261 §8.2.2.3). */
  without100rel?: boolean;
  /** Turn the call down with this status ("486 Busy Here"), after the ring when `ring`. */
  status?: string;
  /** With a 3xx `status`: the Contact it redirects to (RFC 3261 §8.3, §21.3). */
  redirectTo?: string;
  /** Ring until the CANCEL: 200 to it, 487 to the INVITE. */
  noAnswer?: boolean;
  /** Say nothing at all for this long (a hung phone); a CANCEL meanwhile is still answered 200 and 487. */
  silentMs?: number;
  /** Disappear right after the ACK, as a crashed phone does: no BYE, nothing more. */
  crashAfterAck?: boolean;
  /** Hang up with a BYE this long after the ACK; otherwise wait for the far end's. */
  hangupAfterMs?: number;
  /** The answer's SDP (codecs); its o= version counts up with each new description. */
  sdp?: SdpSpec;
  /** Session timers (RFC 4028): grant the interval asked, name the refresher, refuse below minSE with 422. */
  sessionTimer?: {
    refresher: Refresher;
    minSE?: number;
    /** 'refresh': be the refresher, UPDATE at half the interval; 'expire': wait for a refresh, BYE before expiry. */
    then?: 'refresh' | 'expire';
    /** The interval granted, in seconds (for the timing of `then`). */
    se?: number;
  };
  /** How long to wait for the far end's BYE. Default 20 s. */
  byeWithinMs?: number;
}

export interface AnswerSpec {
  name: string;
  user: string;
  options: AnswerOptions;
  canAuth: boolean;
  t1Ms: number;
}

const ALLOW = 'Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS, INFO, MESSAGE, NOTIFY';
/** How many re-INVITEs the answered call answers, each with the next o= version. */
const REOFFERS = 4;

/** A crossed CANCEL's own lines, for its 200 when the ACK came first and [last_*] name the ACK. */
const KEEP_CANCEL: Action[] = [
  linesOf('Via', 'cancel_via'),
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'CSeq:', assign_to: 'cancel_cseq', check_it: true } },
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'From:', assign_to: 'cancel_from', check_it: true } },
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'cancel_to', check_it: true } },
];

export function compileAnswer(spec: AnswerSpec): ScenarioBuilder {
  const o = spec.options;
  const s = scenario(spec.name);
  const c: Compile = { s, label: labels(), canAuth: spec.canAuth, t1Ms: spec.t1Ms };
  const end = 'end';
  const contact = contactLine(spec.user);
  const versions = new Versions(o.sdp ?? {});
  const answerSdp = sdpBody(versions.offer());
  const wait = Math.max(2000, 64 * c.t1Ms);
  const st = o.sessionTimer;

  const inviteActions: Action[] = [...KEEP_INVITE];
  if (o.without100rel) inviteActions.push({ ereg: { regexp: '100rel', search_in: 'hdr', header: 'Require:', case_indep: true, assign_to: 'requires_100rel' } });
  if (st) {
    inviteActions.push(...lacksInterval('untimed', 'se'));
    if (st.minSE !== undefined) inviteActions.push({ test: { assign_to: 'fits', variable: 'se_s', compare: 'greater_than_equal', value: st.minSE } });
  }

  // The INVITE, and a 422 for an interval below the minimum (the retry comes as a new INVITE of the call).
  const takeInvite = () => s.recv({ request: 'INVITE', rrs: true, actions: inviteActions });
  takeInvite();
  if (o.without100rel) {
    const plain = c.label('plain');
    const reject = c.label('reject');
    s.nop([], { next: reject, test: 'requires_100rel' });
    s.nop([], { next: plain });
    s.label(reject);
    s.send(responseToLast('420 Bad Extension', { tag: true, extra: ['Unsupported: 100rel'] }), { retrans: c.t1Ms });
    s.recv({ request: 'ACK' });
    s.nop([], { next: end });
    s.label(plain);
  }
  if (st?.minSE !== undefined) {
    const fits = c.label('fits');
    const untimed = c.label('untimed_ok');
    s.nop([], { next: untimed, test: 'untimed' });
    s.nop([], { next: fits, test: 'fits' });
    s.send(responseToLast('422 Session Interval Too Small', { tag: true, extra: [`Min-SE: ${st.minSE}`] }));
    s.recv({ request: 'ACK' });
    takeInvite();
    s.label(untimed);
    s.label(fits);
  }

  if (o.silentMs !== undefined) {
    s.recv({ request: 'CANCEL', timeout: o.silentMs, ontimeout: end });
    cancelled();
    s.label(end);
    return s;
  }

  const granted = st
    ? ['Supported: timer', `Session-Expires: [$se];refresher=${st.refresher}`, ...(st.refresher === 'uac' ? ['Require: timer'] : [])]
    : [];
  const answerHeaders = (extra: string[] = []) => ({ tag: true, recordRoute: true, extra: [contact, ALLOW, ...extra] });

  if (o.ringAfterMs) {
    s.send(responseToLast('100 Trying'));
    s.pause(o.ringAfterMs);
  }
  if (o.reliable) {
    s.send(responseToLast('183 Session Progress', { ...answerHeaders(['Require: 100rel', 'RSeq: 1']), body: answerSdp }), { retrans: c.t1Ms });
    s.recv({ request: 'PRACK', timeout: wait, ontimeout: end });
    s.send(responseToLast('200 OK'));
    if (o.earlyUpdate) {
      s.recv({ request: 'UPDATE', timeout: wait, ontimeout: end });
      s.send(responseToLast('200 OK', { extra: [contact, ALLOW], body: sdpBody(versions.offer(o.earlyUpdate)) }));
    }
  } else if (o.ring ?? true) {
    s.send(responseToLast('180 Ringing', answerHeaders()));
  }

  if (o.status) {
    // After a PRACK, [last_*] name the PRACK: the kept INVITE's lines then.
    const redirect = o.redirectTo ? [`Contact: <${o.redirectTo}>`] : [];
    s.send(o.reliable ? message([...inviteResponseHeaders(o.status), ...redirect]) : responseToLast(o.status, { tag: true, extra: redirect }), { retrans: c.t1Ms });
    s.recv({ request: 'ACK' });
    s.label(end);
    return s;
  }
  if (o.noAnswer) {
    s.recv({ request: 'CANCEL', timeout: o.byeWithinMs ?? 20_000, ontimeout: end });
    cancelled();
    s.label(end);
    return s;
  }

  if (o.answerAfterMs) s.pause(o.answerAfterMs);
  // The 200 to the kept INVITE: after a PRACK, [last_*] name the PRACK. The offer was answered in a reliable
  // 183 already (RFC 3262 §5), so then the 200 carries none.
  const okHeaders = [...inviteResponseHeaders('200 OK'), contact, ALLOW];
  if (st) {
    const untimedOk = c.label('untimed_answer');
    const answered = c.label('answered');
    s.nop([], { next: untimedOk, test: 'untimed' });
    s.send(message([...okHeaders, ...granted], answerSdp), { retrans: c.t1Ms });
    s.nop([], { next: answered });
    s.label(untimedOk);
    // No Session-Expires came (something on the way removed it): a plain 200, as from a UA asked for no timer.
    s.send(message(okHeaders, answerSdp), { retrans: c.t1Ms });
    s.label(answered);
  } else {
    s.send(message(okHeaders, o.reliable ? undefined : answerSdp), { retrans: c.t1Ms });
  }
  // A CANCEL that crossed the 200 is answered 200 and changes nothing (RFC 3261 §9.2). Its 200 waits for the
  // ACK, which the proxy sends right behind: answered at once, the send could meet the ACK arriving (in the
  // same TCP read, coalesced.ts, or over UDP a millisecond late, after a short wait ran out but before SIPp sent),
  // and SIPp aborts the call on it ("unexpected message while sending"), leaving the BYE unanswered. The 200
  // is built from the CANCEL's own lines, as [last_*] then name the ACK.
  const confirmed = c.label('confirmed');
  const crossed = c.label('crossed');
  const noAck = c.label('crossed_no_ack');
  const ackedFirst = c.label('acked_first');
  const cancelOk = message(['SIP/2.0 200 OK', '[$cancel_via]', 'From:[$cancel_from]', `To:[$cancel_to];${UAS_TAG}`, '[last_Call-ID:]', 'CSeq:[$cancel_cseq]']);
  s.recv({ request: 'CANCEL', optional: true, next: crossed, actions: KEEP_CANCEL });
  s.recv({ request: 'ACK', next: confirmed });
  s.label(crossed);
  s.recv({ request: 'ACK', timeout: Math.ceil(c.t1Ms / 2), ontimeout: noAck, next: ackedFirst });
  s.label(noAck);
  // No ACK within T1/2 (it comes within milliseconds when it comes): the CANCEL is answered anyway, before the
  // proxy retransmits it, and the ACK may still come. Unanswered, the CANCEL would go on being retransmitted
  // to an address the next test gives another party.
  s.send(cancelOk);
  s.recv({ request: 'ACK', next: confirmed });
  s.label(ackedFirst);
  s.send(cancelOk);
  s.label(confirmed);

  if (o.crashAfterAck) {
    // The UA's SIPp is started with -default_behaviors all,-bye, so stopping sends nothing (user-agent.ts).
    s.nop([{ exec: { int_cmd: 'stop_now' } }]);
    s.label(end);
    return s;
  }
  if (st?.then === 'refresh' || st?.then === 'expire') {
    // Without an interval agreed there is nothing to refresh or let expire: just a call.
    const plain = c.label('plain_call');
    s.nop([], { next: plain, test: 'untimed' });
    sessionTimerTail(st.then, st.se ?? 90);
    s.nop([], { next: end });
    s.label(plain);
  }
  inDialog();
  s.label(end);
  return s;

  /** 200 to the CANCEL, 487 to the INVITE (its Via stack kept), and the 487's ACK. */
  function cancelled(): void {
    s.send(responseToLast('200 OK', { tag: true }));
    s.send(message(inviteResponseHeaders('487 Request Terminated')), { retrans: c.t1Ms });
    s.recv({ request: 'ACK' });
  }

  /** Answers what the dialog brings until a BYE ends it, or sends its own BYE after hangupAfterMs. */
  function inDialog(): void {
    const bye = c.label('bye');
    const hangup = c.label('hangup');
    const directionActions: Action[] = [
      { ereg: { regexp: 'a=(sendrecv|sendonly|recvonly|inactive)|$', search_in: 'body', assign_to: ['dir_match', 'dir'] } },
      ...DIRECTIONS.filter((d) => d !== 'sendrecv').flatMap((d): Action[] => [
        { strcmp: { assign_to: `cmp_${d}`, variable: 'dir', value: d } },
        { test: { assign_to: `is_${d}`, variable: `cmp_${d}`, compare: 'equal', value: 0 } },
      ]),
    ];
    const hasBody: Action = { ereg: { regexp: 'application/sdp', search_in: 'hdr', header: 'Content-Type:', case_indep: true, assign_to: 'update_sdp' } };
    for (let k = 0; k <= REOFFERS; k++) {
      const state = `state_${k}`;
      const reinvite = c.label('reinvite');
      const update = c.label('update');
      const other = c.label('other');
      s.label(state);
      const lateCancel = c.label('late_cancel');
      s.oneOf(
        [
          ...(k < REOFFERS ? [{ request: 'INVITE', next: reinvite, actions: directionActions }, { request: 'UPDATE', next: update, actions: [hasBody] }] : []),
          ...['INFO', 'MESSAGE', 'OPTIONS', 'NOTIFY'].map((method) => ({ request: method, next: other })),
          { request: 'CANCEL', next: lateCancel },
          { request: 'BYE', next: bye },
        ],
        { timeout: Math.max(1, o.hangupAfterMs ?? o.byeWithinMs ?? 20_000), ontimeout: o.hangupAfterMs !== undefined ? hangup : undefined },
      );
      s.label(other);
      s.send(responseToLast('200 OK', { extra: [contact] }));
      s.nop([], { next: state });
      // A CANCEL after the ACK (a proxy slow on its timers): 200, and the call goes on (RFC 3261 §9.2).
      s.label(lateCancel);
      s.send(responseToLast('200 OK', { tag: true }));
      s.nop([], { next: state });
      if (k < REOFFERS) {
        const next = `state_${k + 1}`;
        s.label(reinvite);
        const answers = new Map<Direction, string>(DIRECTIONS.map((d) => [d, c.label(`answer_${d}`)]));
        for (const d of DIRECTIONS.filter((x) => x !== 'sendrecv')) s.nop([], { next: answers.get(d)!, test: `is_${d}` });
        s.nop([], { next: answers.get('sendrecv')! });
        // State k answers the (k+1)th offer of the dialog: the description after the ones already sent, and k more.
        const body = versions.nth(versions.issued + k);
        for (const d of DIRECTIONS) {
          s.label(answers.get(d)!);
          s.send(responseToLast('200 OK', { extra: [contact, ALLOW], body: sdpBody(withDirection(body, answerTo(d))) }), { retrans: c.t1Ms });
          s.recv({ request: 'ACK' });
          s.nop([], { next });
        }
        const updateSdp = c.label('update_sdp');
        s.label(update);
        s.nop([], { next: updateSdp, test: 'update_sdp' });
        s.send(responseToLast('200 OK', { extra: [contact, ALLOW] }));
        s.nop([], { next: state });
        s.label(updateSdp);
        s.send(responseToLast('200 OK', { extra: [contact, ALLOW], body: sdpBody(versions.nth(versions.issued + k)) }));
        s.nop([], { next });
      }
    }
    s.label(bye);
    s.send(responseToLast('200 OK', { extra: [contact] }));
    s.nop([], { next: end });
    s.label(hangup);
    transaction(c, { text: (auth) => inDialogRequest('BYE', UAS_DIALOG, { extra: [contact, ...(auth ? ['[authentication]'] : [])] }), accept: 'any' });
  }

  /**
   * RFC 4028 §10 from the UAS side. 'refresh': it is the refresher, and sends an UPDATE at half the interval
   * (refresher=uac, since the refresh makes it the UAC of that transaction, §7.4), then waits for the BYE.
   * 'expire': it waits for the caller's refresh until the BYE point of §10 and, when none came, ends the session.
   */
  function sessionTimerTail(then: 'refresh' | 'expire', se: number): void {
    const { refreshAtMs, byeAtMs } = timing(se);
    const awaitBye = () => {
      s.recv({ request: 'BYE', timeout: se * 1000 + 10_000 });
      s.send(responseToLast('200 OK', { extra: [contact] }));
    };
    if (then === 'refresh') {
      s.pause(refreshAtMs);
      transaction(c, {
        text: (auth) => inDialogRequest('UPDATE', UAS_DIALOG, { extra: [contact, 'Supported: timer', 'Session-Expires: [$se];refresher=uac', 'Min-SE: [$se]', ...(auth ? ['[authentication]'] : [])] }),
        accept: [200],
      });
      awaitBye();
      return;
    }
    const expired = c.label('expired');
    s.recv({ request: 'UPDATE', timeout: byeAtMs, ontimeout: expired, actions: [KEEP_REFRESH_SE] });
    s.send(responseToLast('200 OK', { extra: [contact, ...REFRESH_OK_HEADERS] }));
    awaitBye();
    s.nop([], { next: end });
    s.label(expired);
    transaction(c, { text: (auth) => inDialogRequest('BYE', UAS_DIALOG, { extra: [contact, ...(auth ? ['[authentication]'] : [])] }), accept: 'any' });
  }
}

function withDirection(lines: string[], d: Direction): string[] {
  return lines.map((l) => (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l) ? `a=${d}` : l));
}
