/**
 * A call as a user agent places it, compiled to one SIPp scenario: the INVITE (answered to a challenge or a
 * 422 as the target asks), what happens before the answer (PRACK, UPDATE, CANCEL), the ACK, and the steps of
 * the confirmed dialog (re-INVITE, UPDATE, MESSAGE, REFER, BYE, or waiting for the far end's).
 *
 *   alice.call(bob).reinvite({ direction: 'sendonly' }).reinvite({ direction: 'sendrecv' }).bye()
 */
import { scenario, type Action, type RecvOptions, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { COALESCED_WAIT_MS } from './coalesced.js';
import { inDialogAckOfFailure, uacDialog, inDialogRequest, type DialogRef } from './dialog.js';
import { FIRST_VERSION, sdpLines, type Direction, type SdpSpec } from './sdp.js';
import { KEEP_MIN_SE, KEEP_REFRESH_SE, lacksInterval, offerHeaders, REFRESH_OK_HEADERS, type TimerOffer } from './session-timer.js';
import { CALL_ID, contactLine, fromLine, MAX_FORWARDS, message, responseToLast, sdpBody, VIA, type Identity } from './sip-text.js';
import { INVITE_FAILURES } from './statuses.js';
import { labels, transaction, type Compile } from './transaction.js';

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
  | { kind: 'refer'; referTo: string; replaces?: string; timeoutMs?: number; referSub?: false };

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
  /** The description `n` versions after the first, with `spec`'s changes (a branch that knows its place). */
  nth(n: number, spec: SdpSpec = {}): string[] {
    return sdpLines({ ...this.base, ...spec, version: (this.base.version ?? FIRST_VERSION) + n });
  }
  /** How many descriptions have been made so far. */
  get issued(): number {
    return this.next;
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

/** A forked INVITE's n-th 2xx: its To (the dialog's tag) and its Contact, in to<n> and contact<n>. */
function keepAnswer(n: number): Action[] {
  return [
    { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: `to${n}`, check_it: true } },
    { ereg: { regexp: 'sip:[^>]*', search_in: 'hdr', header: 'Contact:', assign_to: `contact${n}`, check_it: true } },
  ];
}

/** Compiles the call; every path ends at the scenario's last label. */
export function compileCall(spec: CallSpec): ScenarioBuilder {
  const s = scenario(spec.name);
  const c: Compile = { s, label: labels(), canAuth: spec.canAuth, t1Ms: spec.t1Ms };
  const o = spec.options;
  const end = 'end';
  const answerWait = o.answerWithinMs ?? 20_000;
  const from = fromLine(spec.identity);
  const contact = contactLine(spec.identity.user);
  const versions = new Versions(o.sdp || {});
  const offer = o.sdp === false ? undefined : sdpBody(versions.offer());
  const optionTags = [...(o.reliable ? ['100rel'] : []), ...(o.sessionTimer ? ['timer'] : [])];
  const refers = spec.steps.some((x) => x.kind === 'refer');
  const allow = o.reliable || o.sessionTimer || refers || spec.steps.some((x) => x.kind === 'update')
    ? [`Allow: INVITE, ACK, CANCEL, BYE${o.reliable ? ', PRACK' : ''}, UPDATE${o.sessionTimer ? ', OPTIONS' : ''}${refers ? ', REFER, NOTIFY' : ''}`]
    : [];
  const asked = o.sessionTimer ? offerHeaders(o.sessionTimer) : [];
  const raised = o.sessionTimer ? offerHeaders({ se: '[$minse]', minSE: '[$minse]', refresher: o.sessionTimer.refresher }) : [];

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
  const ackOfFailure = message([`ACK ${spec.uri} SIP/2.0`, '[last_Via:]', MAX_FORWARDS, from, '[last_To:]', CALL_ID, 'CSeq: [last_cseq_number] ACK']);
  const keepCseq: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'CSeq:', assign_to: 'icseq', check_it: true } };
  const keepTopVia: Action = { ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', assign_to: 'inv_topvia', check_it: true } };
  const keepRespCseq: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'CSeq:', assign_to: 'resp_cseq', check_it: true } };
  /** A boolean for `test` from a numeric flag, made just before the branch reads it. */
  const isSet = (flag: string): Action => ({ test: { assign_to: `${flag}_on`, variable: flag, compare: 'equal', value: 1 } });
  const branchIf = (flag: string, label: string) => {
    s.nop([isSet(flag)]);
    s.nop([], { next: label, test: `${flag}_on` });
  };

  // The INVITE, and what answers it first. A challenge (401/407) or a 422 sends it again, with credentials or
  // the 422's Min-SE, and the call goes on where it was: the rest of the call is compiled once, and the
  // branches below decide at run time (flags `hascred`, `retried`). `wait` is where the first wait ends.
  const wait = 'invite_answered';
  const challenged = 'invite_challenged';
  const strayChallenge = 'invite_challenged_twice';
  const tooBrief = 'invite_too_brief';
  const rejected = 'rejected';
  // The flags start unset, which SIPp reads as 0.
  s.send(invite(false, asked), { retrans: c.t1Ms });
  let waitPlaced = false;
  /** Pauses asked for before the first response: they go after it (a pause right after a send would miss it). */
  const pendingPauses: number[] = [];
  /** The first wait, again after each INVITE the branches below send (see waitAgain). */
  let firstChain: { recvs: RecvOptions[]; wait: { timeout: number; ontimeout?: string } } | undefined;
  /** The first wait after the INVITE also takes its 100, a challenge and a 422. */
  const firstWait = (recvs: RecvOptions[], wait_: { timeout: number; ontimeout?: string }) => {
    if (waitPlaced) return s.oneOf(recvs, wait_);
    waitPlaced = true;
    firstChain = {
      recvs: [
        { response: 100 },
        ...(c.canAuth ? [401, 407].map((code) => ({ response: code, auth: true, next: challenged, actions: [keepRespCseq] })) : []),
        ...(o.sessionTimer ? [{ response: 422, next: tooBrief, actions: [KEEP_MIN_SE, keepRespCseq] }] : []),
        ...recvs,
      ],
      wait: wait_,
    };
    // A slow server may answer each copy of the INVITE with a challenge of its own (Asterisk does, with a fresh
    // opaque, both sent together): SIPp takes the second for an unexpected message if it comes while the first
    // is being answered (a copy in a wait below is taken there, and ACKed again). A `global` recv, found when
    // SIPp searches back, takes it there: ACKed, and on where the first one went.
    const stray = c.canAuth ? [401, 407].map((code) => ({ response: code, optional: 'global' as const, next: strayChallenge, actions: [keepRespCseq] })) : [];
    s.oneOf([...firstChain.recvs.slice(0, -1), ...stray, ...firstChain.recvs.slice(-1)], wait_);
    s.label(wait);
    for (const ms of pendingPauses.splice(0)) s.pause(ms);
  };
  /**
   * After an INVITE sent again, the same wait: a copy placed after that send, since SIPp stops retransmitting
   * a request only when its answer is matched after it. What falls through the original goes on after it.
   */
  const waitAgain = () => {
    if (!firstChain) throw new Error(`call ${spec.name}: the INVITE is sent again before anything waits for its answer`);
    const recvs = firstChain.recvs.map((r, i, all) => (i === all.length - 1 && r.next === undefined ? { ...r, next: wait } : r));
    s.oneOf(recvs, firstChain.wait);
  };

  let dialog: DialogRef = uacDialog(from, spec.uri);
  const confirmed = c.label('confirmed');
  let answered = false;
  let cancelled = false;
  let provisionalTaken = false;

  const takeAnswer = () => {
    const timed = o.sessionTimer ? lacksInterval('untimed', 'granted') : [];
    const keepFirst: Action[] = o.forkedAnswers === 'keep-first' ? keepAnswer(1) : [];
    firstWait(
      [
        // Provisionals (and copies of one already PRACKed) may come before the final response.
        { response: 180, actions: [keepCseq, keepTopVia] },
        { response: 183, actions: [keepCseq, keepTopVia] },
        // A call being forwarded (RFC 3261 §21.1.3) or queued (§21.1.4): SIPp would abort on a provisional it was not told of.
        { response: 181, actions: [keepCseq, keepTopVia] },
        { response: 182, actions: [keepCseq, keepTopVia] },
        ...INVITE_FAILURES.map((code) => ({ response: code, next: rejected })),
        { response: 200, rrs: true, actions: [...timed, ...keepFirst] },
      ],
      { timeout: answerWait },
    );
    if (o.forkedAnswers === 'keep-first') {
      dialog = { target: '[$contact1]', from, to: 'To:[$to1]' };
      const second: DialogRef = { target: '[$contact2]', from, to: 'To:[$to2]' };
      const sameDialog: Action[] = [
        { strcmp: { assign_to: 'to_cmp', variable: 'to2', variable2: 'to1' } },
        { test: { assign_to: 'same_dialog', variable: 'to_cmp', compare: 'equal', value: 0 } },
      ];
      const keepSecond = [...keepAnswer(2), ...sameDialog];
      const oneSoFar = c.label('one_answer');
      const bothAcked = c.label('both_acked');
      const firstOnly = c.label('first_only');
      const waitSecond = c.label('wait_second');
      // Both 2xx are awaited before either is ACKed, for a T1 (the forks answer at once, and a UAS retransmits a
      // 2xx only after T1). Not for a millisecond (coalesced.ts): a 2xx that reaches SIPp once that wait is over
      // but before the ACK has gone meets the ACK's send step, and SIPp takes it for a copy of the first 2xx and
      // sends the first ACK again (its look-back for retransmissions); the second dialog was then never ACKed
      // (seen over TLS). A copy of the first 2xx within the wait is passed over, and the wait goes on.
      s.label(waitSecond);
      s.recv({ response: 200, timeout: Math.max(COALESCED_WAIT_MS, c.t1Ms), ontimeout: oneSoFar, actions: keepSecond, next: waitSecond, test: 'same_dialog' });
      s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
      s.send(inDialogRequest('ACK', second, { cseq: '[last_cseq_number]' }));
      s.nop([], { next: bothAcked });
      s.label(oneSoFar);
      s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
      // A retransmission of the first 2xx (its ACK crossed it) is ACKed again, and the second still awaited.
      s.recv({ response: 200, timeout: Math.max(2000, 16 * c.t1Ms), ontimeout: firstOnly, actions: keepSecond, next: oneSoFar, test: 'same_dialog' });
      s.send(inDialogRequest('ACK', second, { cseq: '[last_cseq_number]' }));
      s.label(bothAcked);
      transaction(c, { text: (auth) => inDialogRequest('BYE', second, { extra: [contact, ...(auth ? ['[authentication]'] : [])] }), accept: 'any' });
      s.label(firstOnly);
    } else if (c.canAuth) {
      // The ACK of the 2xx carries the INVITE's credentials, when it had any (RFC 3261 §13.2.2.4).
      const withCredentials = c.label('ack_credentials');
      branchIf('hascred', withCredentials);
      s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
      s.nop([], { next: confirmed });
      s.label(withCredentials);
      s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]', extra: ['[authentication]'] }));
    } else {
      s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
    }
    s.label(confirmed);
    answered = true;
  };

  /** Where nothing more will come: SIPp counts a call whose recv timed out as failed (exit code 1). */
  const failCall = () => s.recv({ response: 699, timeout: 1 });

  /** Answered without a session timer, a call that exists to wait for one ends at once, so the test fails in seconds. */
  const hangUpIfUntimed = () => {
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

  /** The reliable provisional PRACKed in its early dialog (RFC 3262 §4); then the flow goes on before the answer. */
  const prack = (afterMs: number | undefined) => {
    const rseq: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'RSeq:', assign_to: 'rseq', check_it: true } };
    const provisional = c.label('provisional');
    const answeredFirst = c.label('answered_first');
    const goOn = c.label('pracked');
    firstWait(
      [
        { response: 180, rrs: true, actions: [rseq, keepCseq, keepTopVia], next: provisional },
        { response: 183, rrs: true, actions: [rseq, keepCseq, keepTopVia] },
      ],
      { timeout: patience(c.t1Ms), ontimeout: end },
    );
    s.label(provisional);
    if (afterMs) s.pause(afterMs);
    s.send(inDialogRequest('PRACK', dialog, { extra: ['RAck: [$rseq] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack' });
    // A UAS holding its 2xx until the PRACK may send it before the PRACK's own 200 (PJSIP does): ACK it first.
    s.oneOf([{ response: 200, response_txn: 'prack', next: goOn }, { response: 200, rrs: true, next: answeredFirst }], { timeout: patience(c.t1Ms), ontimeout: end });
    s.label(answeredFirst);
    s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
    s.recv({ response: 200, response_txn: 'prack', timeout: patience(c.t1Ms), ontimeout: end, next: confirmed });
    s.label(goOn);
  };

  /**
   * A forked INVITE whose two branches each send a reliable provisional: each is PRACKed in its own early
   * dialog (its To tag, its Contact, its RSeq), then the call is CANCELled and the 487 ACKed. A retransmitted
   * provisional of the first branch, taken while waiting for the second, is recognised by its To and passed.
   */
  const forkedPracks = () => {
    const early = (n: number): Action[] => [
      { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'RSeq:', assign_to: `rseq${n}`, check_it: true } },
      { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: `to${n}`, check_it: true } },
      { ereg: { regexp: '<([^>]*)>', search_in: 'hdr', header: 'Contact:', assign_to: [`contact${n}`, `target${n}`], check_it: true } },
    ];
    const giveUp = c.label('give_up');
    const second = c.label('second');
    const oneEarly = c.label('one_early');
    const secondTaken = c.label('second_taken');
    firstWait([{ response: 183, rrs: true, actions: [...early(1), keepCseq, keepTopVia] }], { timeout: patience(c.t1Ms), ontimeout: end });
    // The other branch's 183 may be in the same TCP read as this one (coalesced.ts): kept, and PRACKed second.
    s.recv({ response: 183, timeout: COALESCED_WAIT_MS, ontimeout: oneEarly, actions: [...early(2), { assign: { assign_to: 'both_early', value: 1 } }] });
    s.label(oneEarly);
    s.send(inDialogRequest('PRACK', { target: '[$target1]', from, to: 'To:[$to1]' }, { extra: ['RAck: [$rseq1] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack1' });
    s.recv({ response: 200, response_txn: 'prack1', timeout: patience(c.t1Ms), ontimeout: giveUp });
    branchIf('both_early', secondTaken);
    s.label(second);
    s.recv({
      response: 183,
      timeout: patience(c.t1Ms),
      ontimeout: giveUp,
      actions: [...early(2), { strcmp: { assign_to: 'to_cmp', variable: 'to2', variable2: 'to1' } }, { test: { assign_to: 'same_branch', variable: 'to_cmp', compare: 'equal', value: 0 } }],
      next: second,
      test: 'same_branch',
    });
    s.label(secondTaken);
    // Each early dialog numbers its own requests from the INVITE's CSeq (RFC 3261 §12.1.2): the same as the first PRACK's.
    s.send(inDialogRequest('PRACK', { target: '[$target2]', from, to: 'To:[$to2]' }, { cseq: '[cseq-1]', extra: ['RAck: [$rseq2] [$icseq] INVITE'] }), { retrans: c.t1Ms, start_txn: 'prack2' });
    s.recv({ response: 200, response_txn: 'prack2', timeout: patience(c.t1Ms), ontimeout: giveUp });
    // Also where a PRACK went unanswered: the call is given up, and the branches still have to be CANCELled.
    s.label(giveUp);
    cancel();
  };

  /** CANCEL on the INVITE's branch (RFC 3261 §9.1), its 200, the INVITE's 487 and that 487's ACK. */
  const cancel = () => {
    s.send(message([`CANCEL ${spec.uri} SIP/2.0`, 'Via:[$inv_topvia]', MAX_FORWARDS, from, `To: <${spec.uri}>`, CALL_ID, 'CSeq: [$icseq] CANCEL']), { retrans: c.t1Ms, start_txn: 'cancel' });
    s.recv({ response: 200, response_txn: 'cancel', timeout: patience(c.t1Ms), ontimeout: end });
    s.recv({ response: 487, timeout: Math.max(2000, 16 * c.t1Ms), ontimeout: end });
    s.send(message([`ACK ${spec.uri} SIP/2.0`, 'Via:[$inv_topvia]', MAX_FORWARDS, from, '[last_To:]', CALL_ID, 'CSeq: [$icseq] ACK']));
    s.nop([], { next: end });
  };

  /**
   * REFER in the dialog (RFC 3515): 202, then the implicit subscription's NOTIFYs, each answered 200, until
   * one says `Subscription-State: terminated`.
   */
  const refer = (step: Extract<CallStep, { kind: 'refer' }>) => {
    const referTo = step.replaces ? `<${step.referTo}?Replaces=${encodeURIComponent(step.replaces)}>` : `<${step.referTo}>`;
    const notify = c.label('notify');
    const answer = c.label('answer_notify');
    const notified = c.label('notified');
    const subOver: Action[] = [{ ereg: { regexp: 'terminated', search_in: 'hdr', header: 'Subscription-State:', assign_to: 'sub_over' } }];
    // NOTIFYs come in bursts (a PBX sends 100 Trying, 180 and 200 back to back), and the first may overtake the 202
    // (a proxy relays the two in parallel). One that reaches SIPp where the scenario does not wait for it (while it
    // is about to answer the one before, or still waits for the 202) would abort the call. A global recv takes it
    // wherever the call stands (SIPp looks back for one): it is answered, and one it cut short comes again (its
    // retransmission) and is answered then. Jumped over, as the call would wait at a global recv for ever; the
    // 699 that no call reaches is there because SIPp wants a mandatory recv between optional ones and a send.
    const sendRefer = c.label('send_refer');
    s.nop([], { next: sendRefer });
    s.recv({ request: 'NOTIFY', optional: 'global', actions: subOver, next: answer });
    s.recv({ response: 699, timeout: 1 });
    s.label(sendRefer);
    transaction(c, {
      // referSub false: no implicit subscription asked for (RFC 4488 §4), and the option tag that says it is understood.
      text: (auth) =>
        inDialogRequest('REFER', dialog, {
          extra: [`Refer-To: ${referTo}`, `Referred-By: <sip:${spec.identity.user}@${spec.identity.domain}>`, contact, ...(step.referSub === false ? ['Refer-Sub: false', 'Supported: norefersub'] : []), ...(auth ? ['[authentication]'] : [])],
        }),
      accept: [202, 200],
      // Refused (403, 405, 501, 603 …): no subscription, and the call goes on.
      onFailure: notified,
    });
    // A 202 that comes after a NOTIFY (which took the call to its answer) is taken by this one, and the wait goes
    // on. After the REFER in the scenario: SIPp matches a response only to a recv placed after a request of its method.
    s.nop([], { next: notify });
    s.recv({ response: 202, optional: 'global', next: notify });
    s.recv({ response: 699, timeout: 1 });
    s.label(notify);
    // Without a subscription, NOTIFYs are watched for only a while: a target that ignores Refer-Sub still sends them.
    s.recv({ request: 'NOTIFY', timeout: step.timeoutMs ?? (step.referSub === false ? Math.max(1000, 10 * c.t1Ms) : 10_000), ontimeout: notified, actions: subOver });
    s.label(answer);
    const last = c.label('last_notify');
    const linger = c.label('linger');
    s.nop([], { next: last, test: 'sub_over' });
    s.send(responseToLast('200 OK', { extra: [contact] }));
    s.nop([], { next: linger, test: 'refer_done' });
    s.nop([], { next: notify });
    s.label(last);
    s.send(responseToLast('200 OK', { extra: [contact] }));
    s.nop([{ assign: { assign_to: 'refer_done', value: 1 } }]);
    // The retransmission of a NOTIFY cut short comes within a T1 or two (over UDP): answered before going on.
    s.label(linger);
    s.recv({ request: 'NOTIFY', timeout: Math.max(300, 3 * c.t1Ms), ontimeout: notified, actions: subOver, next: answer });
    s.label(notified);
  };

  const early = earlySteps(spec.steps);
  for (const [i, step] of spec.steps.entries()) {
    if (cancelled) break;
    if (!answered && i >= early) takeAnswer();
    switch (step.kind) {
      case 'prack':
        if (step.dialogs === 2) {
          if (spec.steps[i + 1]?.kind !== 'cancel') throw new Error(`call ${spec.name}: a forked call's two early dialogs are PRACKed and then the call is cancelled: write .prack({ dialogs: 2 }).cancel()`);
          forkedPracks();
          cancelled = true;
          break;
        }
        prack(step.afterMs);
        provisionalTaken = true;
        break;
      case 'cancel':
        if (!provisionalTaken) {
          const rung = c.label('rung');
          firstWait([{ response: 180, next: rung, actions: [keepCseq, keepTopVia] }, { response: 183, actions: [keepCseq, keepTopVia] }], { timeout: answerWait });
          s.label(rung);
        }
        if (step.afterMs) s.pause(step.afterMs);
        cancel();
        cancelled = true;
        break;
      case 'ack':
        break;
      case 'update': {
        // One description for the request and its retry after a challenge.
        const body = sdpBody(versions.offer(step.sdp));
        transaction(c, {
          text: (auth) => inDialogRequest('UPDATE', dialog, { extra: [contact, ...allow, ...(auth ? ['[authentication]'] : [])], body }),
          accept: [200],
          timeoutMs: patience(c.t1Ms),
          onTimeout: end,
        });
        break;
      }
      case 'reinvite': {
        const body = sdpBody(versions.offer(step.sdp));
        const { credentialsSent } = transaction(c, {
          text: (auth) => inDialogRequest('INVITE', dialog, { extra: [contact, ...(auth ? ['[authentication]'] : [])], body }),
          accept: [200],
          ackOfChallenge: inDialogAckOfFailure(dialog),
        });
        if (credentialsSent) {
          // The ACK of its 2xx carries the re-INVITE's credentials when it went with some (RFC 3261 §13.2.2.4).
          const withCredentials = c.label('reinvite_ack_credentials');
          const acked = c.label('reinvite_acked');
          branchIf(credentialsSent, withCredentials);
          s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
          s.nop([], { next: acked });
          s.label(withCredentials);
          s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]', extra: ['[authentication]'] }));
          s.label(acked);
        } else {
          s.send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }));
        }
        break;
      }
      case 'pause':
        if (waitPlaced) s.pause(step.ms);
        else pendingPauses.push(step.ms);
        break;
      case 'bye':
        if (step.afterMs) s.pause(step.afterMs);
        transaction(c, { text: (auth) => inDialogRequest('BYE', dialog, { extra: auth ? ['[authentication]'] : [] }), accept: step.anyAnswer ? 'any' : [200] });
        break;
      case 'awaitBye':
        hangUpIfUntimed();
        s.recv({ request: 'BYE', timeout: step.timeoutMs ?? 10_000 });
        s.send(responseToLast('200 OK', { extra: [contact] }));
        break;
      case 'awaitRefresh': {
        const update = c.label('update');
        const after = c.label('refreshed');
        hangUpIfUntimed();
        s.oneOf([{ request: 'UPDATE', actions: [KEEP_REFRESH_SE], next: update }, { request: 'INVITE', actions: [KEEP_REFRESH_SE] }], { timeout: step.timeoutMs, ontimeout: after });
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
        refer(step);
        break;
    }
  }
  if (!answered && !cancelled) takeAnswer();
  // A PRACK's 2xx race (prack() above) jumps to `confirmed`; a call cancelled before its answer has none.
  if (!answered) s.label(confirmed);
  s.nop([], { next: end });

  // A failure final response: ACKed; then the call ends, well when a rejection was expected.
  s.label(rejected);
  s.send(ackOfFailure);
  if ((o.expect ?? 'answer') === 'answer') failCall();
  s.nop([], { next: end });

  /**
   * A final response the INVITE is sent again for, once: a challenge (with credentials) or a 422 (at its
   * Min-SE, RFC 4028 §7.3). `flag` marks the retry sent; `unless` sends another retry when its flag is set (the
   * credentials it had, the interval a 422 raised). Another such response with the CSeq of the first is that
   * first one again (the INVITE crossed its retransmission): ACKed again. Any other is the retry refused.
   */
  const retryOnce = (r: { at: string; flag: string; kept: string; alsoSet: Action[]; text: string; unless?: { flag: string; text: string } }) => {
    const again = c.label(`${r.at}_again`);
    const repeat = c.label(`${r.at}_repeated`);
    const otherwise = c.label(`${r.at}_${r.unless?.flag ?? 'otherwise'}`);
    s.label(r.at);
    branchIf(r.flag, again);
    s.nop([{ assignstr: { assign_to: r.kept, value: '[$resp_cseq]' } }, { assign: { assign_to: r.flag, value: 1 } }, ...r.alsoSet]);
    s.send(ackOfFailure);
    if (r.unless) branchIf(r.unless.flag, otherwise);
    s.send(r.text, { retrans: c.t1Ms });
    waitAgain();
    if (r.unless) {
      s.label(otherwise);
      s.send(r.unless.text, { retrans: c.t1Ms });
      waitAgain();
    }
    s.label(again);
    s.nop([{ strcmp: { assign_to: `${r.kept}_cmp`, variable: 'resp_cseq', variable2: r.kept } }, { test: { assign_to: `${r.kept}_same`, variable: `${r.kept}_cmp`, compare: 'equal', value: 0 } }]);
    s.nop([], { next: repeat, test: `${r.kept}_same` });
    s.nop([], { next: rejected });
    s.label(repeat);
    s.send(ackOfFailure);
    waitAgain();
  };
  if (c.canAuth) {
    // Every copy of a final response is ACKed (RFC 3261 §17.1.1.2): the stray one here, the first below.
    s.label(strayChallenge);
    s.send(ackOfFailure);
    s.nop([], { next: challenged });
    retryOnce({
      at: challenged, flag: 'authed', kept: 'chal_cseq', alsoSet: [{ assign: { assign_to: 'hascred', value: 1 } }],
      text: invite(true, asked), unless: o.sessionTimer ? { flag: 'retried', text: invite(true, raised) } : undefined,
    });
  }
  if (o.sessionTimer) {
    // A new challenge for the retry is answered again, so the retry clears `authed`.
    retryOnce({
      at: tooBrief, flag: 'retried', kept: 'tb_cseq', alsoSet: [{ assign: { assign_to: 'authed', value: 0 } }],
      text: invite(false, raised), unless: c.canAuth ? { flag: 'hascred', text: invite(true, raised) } : undefined,
    });
  }
  s.label(end);
  return s;
}

/** Directions of a hold and its resume, for `reinvite({ direction })`. */
export type HoldDirection = Extract<Direction, 'sendonly' | 'inactive'>;
