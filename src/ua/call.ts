/**
 * A call as a user agent places it, compiled to one SIPp scenario: the INVITE (answered to a challenge or a
 * 422 as the target asks), what happens before the answer (PRACK, UPDATE, CANCEL), the ACK, and the steps of
 * the confirmed dialog (re-INVITE, UPDATE, MESSAGE, REFER, BYE, or waiting for the far end's).
 *
 *   alice.call(bob).reinvite({ direction: 'sendonly' }).reinvite({ direction: 'sendrecv' }).bye()
 */
import { scenario, type Action, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { uacDialog, inDialogRequest, type DialogRef } from './dialog.js';
import { FIRST_VERSION, sdpLines, type Direction, type SdpSpec } from './sdp.js';
import { KEEP_MIN_SE, KEEP_REFRESH_SE, lacksInterval, offerHeaders, REFRESH_OK_HEADERS, type TimerOffer } from './session-timer.js';
import { CALL_ID, contactLine, fromLine, MAX_FORWARDS, message, responseToLast, sdpBody, VIA, type Identity } from './sip-text.js';
import { FAILURES } from './statuses.js';
import { KEEP_RESPONSE_CSEQ, labels, transaction, type Compile } from './transaction.js';

export interface CallOptions {
  /** The offer in the INVITE; `false` sends none. Later offers count the o= version up from it. */
  sdp?: SdpSpec | false;
  /** Header lines added to the INVITE, e.g. a caller preference (`Request-Disposition: sequential`). */
  headers?: string[];
  /** 100rel in Supported, or in Require too (RFC 3262 §4). */
  reliable?: 'supported' | 'required';
  /** Session timer offer; a 422 is answered with a retry at its Min-SE (RFC 4028 §7.3). */
  sessionTimer?: TimerOffer;
  /**
   * What the call must get: 'answer' (default; a failure response is ACKed and the call counts as failed),
   * 'reject' (a failure response is ACKed and ends the call as expected), or 'either'.
   */
  expect?: 'answer' | 'reject' | 'either';
  /** How long to wait for the final response. Default 20 s. */
  answerWithinMs?: number;
  /**
   * 'keep-first': a forked INVITE answered twice makes two dialogs; both 2xx are ACKed and the second dialog
   * ended with a BYE at once (RFC 3261 §13.2.2.4). When no second 2xx comes within 16·T1, the call goes on.
   */
  forkedAnswers?: 'keep-first';
}

export type CallStep =
  | { kind: 'prack'; afterMs?: number; dialogs?: 1 | 2 }
  | { kind: 'update'; sdp?: SdpSpec }
  | { kind: 'cancel'; afterMs?: number }
  | { kind: 'ack' }
  | { kind: 'reinvite'; sdp?: SdpSpec }
  | { kind: 'pause'; ms: number }
  | { kind: 'bye'; afterMs?: number; anyAnswer?: boolean }
  | { kind: 'awaitBye'; timeoutMs?: number }
  | { kind: 'awaitRefresh'; timeoutMs: number }
  | { kind: 'message'; text: string; contentType?: string }
  | { kind: 'refer'; referTo: string; replaces?: string; timeoutMs?: number };

export interface CallSpec {
  name: string;
  identity: Identity;
  /** Request-URI and To URI. */
  uri: string;
  options: CallOptions;
  steps: CallStep[];
  canAuth: boolean;
  t1Ms: number;
}

const EARLY = new Set(['prack', 'cancel']);

/** How long a UA waits for a response it needs before giving up on the call: the non-INVITE Timer F. */
const patience = (t1Ms: number) => Math.max(2000, 32 * t1Ms);

/** The o= versions a party writes: its first description, then one more for each new one (RFC 3264 §8). */
export class Versions {
  private next = 0;
  private last: SdpSpec;
  constructor(private readonly base: SdpSpec) {
    this.last = base;
  }
  /** A new description: the next version. */
  offer(spec: SdpSpec = {}): string[] {
    const version = spec.version ?? (this.base.version ?? FIRST_VERSION) + this.next++;
    this.last = { ...this.base, ...spec, version };
    return sdpLines(this.last);
  }
  /** The last description again, unchanged and with its version. */
  repeat(): string[] {
    return sdpLines(this.last);
  }
}

/**
 * How many of the steps come before the answer: PRACK and CANCEL, an UPDATE after a PRACK (in the early
 * dialog), and pauses among them. Everything after waits for the final response and its ACK first.
 */
function earlySteps(steps: readonly CallStep[]): number {
  let early = 0;
  let pracked = false;
  for (const [i, step] of steps.entries()) {
    if (step.kind === 'prack') pracked = true;
    if (EARLY.has(step.kind) || (step.kind === 'update' && pracked)) early = i + 1;
    else if (step.kind !== 'pause') break;
  }
  return early;
}

/** Compiles the call; every path ends at the scenario's last label. */
export function compileCall(spec: CallSpec): ScenarioBuilder {
  const s = scenario(spec.name);
  const c: Compile = { s, label: labels(), canAuth: spec.canAuth, t1Ms: spec.t1Ms };
  const o = spec.options;
  const end = 'end';
  const from = fromLine(spec.identity);
  const contact = contactLine(spec.identity.user);
  const versions = new Versions(o.sdp || {});
  const offer = o.sdp === false ? undefined : sdpBody(versions.offer());
  const optionTags = [...(o.reliable ? ['100rel'] : []), ...(o.sessionTimer ? ['timer'] : [])];
  const allow = o.reliable || o.sessionTimer || spec.steps.some((x) => x.kind === 'update' || x.kind === 'refer')
    ? [`Allow: INVITE, ACK, CANCEL, BYE${o.reliable ? ', PRACK' : ''}, UPDATE${o.sessionTimer ? ', OPTIONS' : ''}${spec.steps.some((x) => x.kind === 'refer') ? ', REFER, NOTIFY' : ''}`]
    : [];

  const invite = (auth: boolean, timer: string[]) =>
    message(
      [
        `INVITE ${spec.uri} SIP/2.0`, VIA, MAX_FORWARDS, from, `To: <${spec.uri}>`, CALL_ID, 'CSeq: [cseq] INVITE', contact, ...allow,
        ...(optionTags.length ? [`Supported: ${optionTags.join(', ')}`] : []),
        ...(o.reliable === 'required' ? ['Require: 100rel'] : []),
        ...timer, ...(o.headers ?? []), ...(auth ? ['[authentication]'] : []),
      ],
      offer,
    );
  // The ACK of a non-2xx final response: hop by hop, on the INVITE's branch and CSeq (RFC 3261 §17.1.1.3).
  const ackOfFailure = message([`ACK ${spec.uri} SIP/2.0`, '[last_Via:]', MAX_FORWARDS, from, '[last_To:]', CALL_ID, 'CSeq: [$resp_cseq] ACK']);

  /** One INVITE attempt; a challenge or a 422 leads to another, so each path has its own SIPp transaction. */
  const attempt = (depth: number, st: { authed: boolean; after422: boolean; timer: string[] }) => {
    const txn = `inv${depth}`;
    const challenged = c.label('challenged');
    const tooBrief = c.label('too_brief');
    s.send(invite(st.authed, st.timer), { start_txn: txn, retrans: c.t1Ms });
    s.recv({ response: 100, optional: true, response_txn: txn });
    const mayChallenge = c.canAuth && (!st.authed || st.after422) && depth < 4;
    if (mayChallenge) for (const code of [401, 407]) s.recv({ response: code, optional: true, auth: true, response_txn: txn, next: challenged, actions: [KEEP_RESPONSE_CSEQ] });
    const may422 = !!o.sessionTimer && depth < 3;
    if (may422) s.recv({ response: 422, optional: true, response_txn: txn, next: tooBrief, actions: [KEEP_MIN_SE, KEEP_RESPONSE_CSEQ] });
    afterInvite(txn, st.authed);
    if (mayChallenge) {
      s.label(challenged);
      s.send(ackOfFailure, { ack_txn: txn });
      attempt(depth + 1, { authed: true, after422: false, timer: st.timer });
    }
    if (may422) {
      s.label(tooBrief);
      s.send(ackOfFailure, { ack_txn: txn });
      attempt(depth + 1, { authed: st.authed, after422: true, timer: offerHeaders({ se: '[$minse]', minSE: '[$minse]', refresher: o.sessionTimer!.refresher }) });
    }
  };

  /** Everything after the INVITE's 100, on the transaction `txn`. */
  const afterInvite = (txn: string, authed: boolean) => {
    let dialog: DialogRef = uacDialog(from, spec.uri);
    const keepCseq: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'CSeq:', assign_to: 'icseq', check_it: true } };
    const keepTopVia: Action = { ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', assign_to: 'inv_topvia', check_it: true } };
    const rejected = c.label('rejected');
    const confirmed = c.label('confirmed');
    let provisionalTaken = false;
    let answered = false;
    let cancelled = false;

    const takeAnswer = () => {
      // Provisionals (and copies of one already PRACKed) may come before the final response.
      s.recv({ response: 180, optional: true, response_txn: txn, actions: [keepCseq, keepTopVia] });
      s.recv({ response: 183, optional: true, response_txn: txn, actions: [keepCseq, keepTopVia] });
      for (const code of FAILURES) s.recv({ response: code, optional: true, response_txn: txn, next: rejected, actions: [KEEP_RESPONSE_CSEQ] });
      const timed = o.sessionTimer ? lacksInterval('untimed', 'granted') : [];
      const keepFirst: Action[] = o.forkedAnswers === 'keep-first'
        ? [
            { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'to1', check_it: true } },
            { ereg: { regexp: 'sip:[^>]*', search_in: 'hdr', header: 'Contact:', assign_to: 'contact1', check_it: true } },
          ]
        : [];
      s.recv({ response: 200, rrs: true, response_txn: txn, actions: [keepCseq, ...timed, ...keepFirst], timeout: o.answerWithinMs ?? 20_000 });
      if (o.forkedAnswers === 'keep-first') {
        dialog = { target: '[$contact1]', from, to: 'To:[$to1]' };
        s.send(inDialogRequest('ACK', dialog, { cseq: '[$icseq]' }), { ack_txn: txn });
        const firstOnly = c.label('first_only');
        s.recv({
          response: 200,
          response_txn: txn,
          timeout: Math.max(2000, 16 * c.t1Ms),
          ontimeout: firstOnly,
          actions: [
            { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'to2', check_it: true } },
            { ereg: { regexp: 'sip:[^>]*', search_in: 'hdr', header: 'Contact:', assign_to: 'contact2', check_it: true } },
          ],
        });
        const second: DialogRef = { target: '[$contact2]', from, to: 'To:[$to2]' };
        s.send(inDialogRequest('ACK', second, { cseq: '[$icseq]' }), { ack_txn: txn });
        transaction(c, { text: (auth) => inDialogRequest('BYE', second, { extra: [contact, ...(auth ? ['[authentication]'] : [])] }), accept: 'any' });
        s.label(firstOnly);
      } else {
        // The ACK of the 2xx carries the INVITE's credentials (RFC 3261 §13.2.2.4).
        s.send(inDialogRequest('ACK', dialog, { cseq: '[$icseq]', extra: authed ? ['[authentication]'] : [] }), { ack_txn: txn });
      }
      s.label(confirmed);
      answered = true;
    };

    const early = earlySteps(spec.steps);
    for (const [i, step] of spec.steps.entries()) {
      if (cancelled) break;
      if (!answered && i >= early) takeAnswer();
      switch (step.kind) {
        case 'prack':
          if (step.dialogs === 2) {
            forkedPracks(txn, keepCseq, keepTopVia);
            cancelled = true;
            break;
          }
          prack(txn, dialog, step.afterMs, keepCseq, keepTopVia, confirmed);
          provisionalTaken = true;
          break;
        case 'cancel':
          if (!provisionalTaken) {
            const rung = c.label('rung');
            s.recv({ response: 180, optional: true, response_txn: txn, next: rung, actions: [keepCseq, keepTopVia] });
            s.recv({ response: 183, response_txn: txn, actions: [keepCseq, keepTopVia], timeout: patience(c.t1Ms) });
            s.label(rung);
          }
          if (step.afterMs) s.pause(step.afterMs);
          cancel(txn);
          cancelled = true;
          break;
        case 'ack':
          break;
        case 'update':
          transaction(c, {
            text: (auth) => inDialogRequest('UPDATE', dialog, { extra: [contact, ...allow, ...(auth ? ['[authentication]'] : [])], body: sdpBody(versions.offer(step.sdp)) }),
            accept: [200],
            timeoutMs: patience(c.t1Ms),
            onTimeout: end,
          });
          break;
        case 'reinvite':
          transaction(c, {
            text: (auth) => inDialogRequest('INVITE', dialog, { extra: [contact, ...(auth ? ['[authentication]'] : [])], body: sdpBody(versions.offer(step.sdp)) }),
            accept: [200],
            onFinal: [keepCseq],
            ackOfChallenge: inDialogRequest('ACK', { ...dialog, target: '[next_url]' }, { cseq: '[$resp_cseq]' }),
          });
          s.send(inDialogRequest('ACK', dialog, { cseq: '[$icseq]' }));
          break;
        case 'pause':
          s.pause(step.ms);
          break;
        case 'bye':
          if (step.afterMs) s.pause(step.afterMs);
          transaction(c, { text: (auth) => inDialogRequest('BYE', dialog, { extra: auth ? ['[authentication]'] : [] }), accept: step.anyAnswer ? 'any' : [200] });
          break;
        case 'awaitBye': {
          hangUpIfUntimed(dialog);
          s.recv({ request: 'BYE', timeout: step.timeoutMs ?? 10_000 });
          s.send(responseToLast('200 OK', { extra: [contact] }));
          break;
        }
        case 'awaitRefresh': {
          const update = c.label('update');
          const after = c.label('refreshed');
          hangUpIfUntimed(dialog);
          s.recv({ request: 'UPDATE', optional: true, actions: [KEEP_REFRESH_SE], next: update });
          s.recv({ request: 'INVITE', timeout: step.timeoutMs, ontimeout: after, actions: [KEEP_REFRESH_SE] });
          // The same session, described again: the same o= version (RFC 3264 §8).
          s.send(responseToLast('200 OK', { extra: [contact, ...REFRESH_OK_HEADERS], body: sdpBody(versions.repeat()) }), { retrans: c.t1Ms });
          s.recv({ request: 'ACK', next: after });
          s.label(update);
          s.send(responseToLast('200 OK', { extra: [contact, ...REFRESH_OK_HEADERS] }));
          s.label(after);
          break;
        }
        case 'message':
          transaction(c, {
            text: (auth) => inDialogRequest('MESSAGE', dialog, { extra: auth ? ['[authentication]'] : [], body: { type: step.contentType ?? 'text/plain', lines: [step.text] } }),
            accept: [200, 202],
          });
          break;
        case 'refer':
          refer(dialog, step);
          break;
      }
    }
    if (!answered && !cancelled) takeAnswer();
    // A PRACK's 2xx race (prack() below) jumps to `confirmed`; a call cancelled before its answer has none.
    if (!answered) s.label(confirmed);
    s.nop([], { next: end });

    // A failure final response: ACKed; then the call ends, well when a rejection was expected.
    s.label(rejected);
    s.send(ackOfFailure, { ack_txn: txn });
    if ((o.expect ?? 'answer') === 'answer') failCall();
    s.nop([], { next: end });
  };

  /** Where nothing more will come: SIPp counts a call whose recv timed out as failed (exit code 1). */
  const failCall = () => s.recv({ response: 699, timeout: 1 });

  /** Answered without a session timer, a call that exists to wait for one ends at once, so the test fails in seconds. */
  const hangUpIfUntimed = (dialog: DialogRef) => {
    if (!o.sessionTimer) return;
    const untimed = c.label('untimed');
    const timed = c.label('timed');
    s.nop([], { next: untimed, test: 'untimed' });
    s.nop([], { next: timed });
    s.label(untimed);
    transaction(c, { text: (auth) => inDialogRequest('BYE', dialog, { extra: auth ? ['[authentication]'] : [] }), accept: 'any' });
    s.nop([], { next: end });
    s.label(timed);
  };

  /** The reliable provisional PRACKed in its early dialog (RFC 3262 §4), then the flow goes on before the answer. */
  const prack = (txn: string, dialog: DialogRef, afterMs: number | undefined, keepCseq: Action, keepTopVia: Action, confirmed: string) => {
    const rseq: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'RSeq:', assign_to: 'rseq', check_it: true } };
    const provisional = c.label('provisional');
    const answeredFirst = c.label('answered_first');
    const goOn = c.label('pracked');
    s.recv({ response: 180, optional: true, rrs: true, response_txn: txn, actions: [rseq, keepCseq, keepTopVia], next: provisional });
    s.recv({ response: 183, rrs: true, response_txn: txn, actions: [rseq, keepCseq, keepTopVia], timeout: patience(c.t1Ms), ontimeout: end });
    s.label(provisional);
    if (afterMs) s.pause(afterMs);
    s.send(inDialogRequest('PRACK', dialog, { extra: ['RAck: [$rseq] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack' });
    // A UAS holding its 2xx until the PRACK may send it before the PRACK's own 200 (PJSIP does): ACK it first.
    s.recv({ response: 200, optional: true, rrs: true, response_txn: txn, next: answeredFirst });
    s.recv({ response: 200, response_txn: 'prack', timeout: patience(c.t1Ms), ontimeout: end, next: goOn });
    s.label(answeredFirst);
    s.send(inDialogRequest('ACK', dialog, { cseq: '[$icseq]' }), { ack_txn: txn });
    s.recv({ response: 200, response_txn: 'prack', timeout: patience(c.t1Ms), ontimeout: end, next: confirmed });
    s.label(goOn);
  };

  /**
   * A forked INVITE whose two branches each send a reliable provisional: each is PRACKed in its own early
   * dialog (its To tag, its Contact, its RSeq), then the call is CANCELled and the 487 ACKed. A retransmitted
   * provisional of the first branch, taken while waiting for the second, is recognised by its To and passed.
   */
  const forkedPracks = (txn: string, keepCseq: Action, keepTopVia: Action) => {
    const early = (n: number): Action[] => [
      { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'RSeq:', assign_to: `rseq${n}`, check_it: true } },
      { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: `to${n}`, check_it: true } },
      { ereg: { regexp: '<([^>]*)>', search_in: 'hdr', header: 'Contact:', assign_to: [`contact${n}`, `target${n}`], check_it: true } },
    ];
    const giveUp = c.label('give_up');
    const second = c.label('second');
    s.recv({ response: 183, rrs: true, response_txn: txn, timeout: patience(c.t1Ms), ontimeout: end, actions: [...early(1), keepCseq, keepTopVia] });
    s.send(inDialogRequest('PRACK', { target: '[$target1]', from, to: 'To:[$to1]' }, { extra: ['RAck: [$rseq1] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack1' });
    s.recv({ response: 200, response_txn: 'prack1', timeout: patience(c.t1Ms), ontimeout: giveUp });
    s.label(second);
    s.recv({
      response: 183,
      response_txn: txn,
      timeout: patience(c.t1Ms),
      ontimeout: giveUp,
      actions: [...early(2), { strcmp: { assign_to: 'to_cmp', variable: 'to2', variable2: 'to1' } }, { test: { assign_to: 'same_branch', variable: 'to_cmp', compare: 'equal', value: 0 } }],
      next: second,
      test: 'same_branch',
    });
    s.send(inDialogRequest('PRACK', { target: '[$target2]', from, to: 'To:[$to2]' }, { extra: ['RAck: [$rseq2] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack2' });
    s.recv({ response: 200, response_txn: 'prack2', timeout: patience(c.t1Ms), ontimeout: giveUp });
    // Also where a PRACK went unanswered: the call is given up, and the branches still have to be CANCELled.
    s.label(giveUp);
    cancel(txn);
  };

  /** CANCEL on the INVITE's branch (RFC 3261 §9.1), its 200, the INVITE's 487 and that 487's ACK. */
  const cancel = (txn: string) => {
    s.send(message([`CANCEL ${spec.uri} SIP/2.0`, 'Via:[$inv_topvia]', MAX_FORWARDS, from, `To: <${spec.uri}>`, CALL_ID, 'CSeq: [$icseq] CANCEL']), { retrans: c.t1Ms, start_txn: 'cancel' });
    s.recv({ response: 200, response_txn: 'cancel', timeout: patience(c.t1Ms), ontimeout: end });
    s.recv({ response: 487, response_txn: txn, timeout: Math.max(2000, 16 * c.t1Ms), ontimeout: end });
    s.send(message([`ACK ${spec.uri} SIP/2.0`, 'Via:[$inv_topvia]', MAX_FORWARDS, from, '[last_To:]', CALL_ID, 'CSeq: [$icseq] ACK']), { ack_txn: txn });
    s.nop([], { next: end });
  };

  /**
   * REFER in the dialog (RFC 3515): 202, then the implicit subscription's NOTIFYs, each answered 200, until
   * one says `Subscription-State: terminated`.
   */
  const refer = (dialog: DialogRef, step: Extract<CallStep, { kind: 'refer' }>) => {
    const referTo = step.replaces ? `<${step.referTo}?Replaces=${encodeURIComponent(step.replaces)}>` : `<${step.referTo}>`;
    transaction(c, {
      text: (auth) => inDialogRequest('REFER', dialog, { extra: [`Refer-To: ${referTo}`, `Referred-By: <sip:${spec.identity.user}@${spec.identity.domain}>`, contact, ...(auth ? ['[authentication]'] : [])] }),
      accept: [202, 200],
    });
    const notify = c.label('notify');
    const notified = c.label('notified');
    s.label(notify);
    s.recv({
      request: 'NOTIFY',
      timeout: step.timeoutMs ?? 10_000,
      ontimeout: notified,
      actions: [{ ereg: { regexp: 'terminated', search_in: 'hdr', header: 'Subscription-State:', assign_to: 'sub_over' } }],
    });
    s.send(responseToLast('200 OK', { extra: [contact] }));
    s.nop([], { next: notified, test: 'sub_over' });
    s.nop([], { next: notify });
    s.label(notified);
  };

  attempt(0, { authed: false, after422: false, timer: o.sessionTimer ? offerHeaders(o.sessionTimer) : [] });
  s.label(end);
  return s;
}

/** Directions of a hold and its resume, for `reinvite({ direction })`. */
export type HoldDirection = Extract<Direction, 'sendonly' | 'inactive'>;
