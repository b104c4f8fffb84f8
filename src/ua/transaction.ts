/**
 * One client transaction in a compiled scenario: send a request, take its final response, and answer a digest
 * challenge (401 or 407) from the account wherever the target asks, so that no suite writes the challenge
 * dance again. The retry carries `[authentication]` (SIPp computes it from -au/-ap and the stored challenge)
 * and the next CSeq (`[cseq]` counts by itself).
 */
import type { Action, RecvOptions, ScenarioBuilder } from '../../drivers/sipp/index.js';
import { FAILURES, SUCCESSES } from './statuses.js';

/** What a compiler needs besides the builder: unique labels, whether the UA can authenticate, T1. */
export interface Compile {
  s: ScenarioBuilder;
  /** A label no other step of the scenario uses (`name` makes it readable in the XML). */
  label(name: string): string;
  /** The UA has an account: challenges are answered. Without one a challenge ends the call as failed. */
  canAuth: boolean;
  t1Ms: number;
}

export function labels(): (name: string) => string {
  let n = 0;
  return (name) => `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${++n}`;
}

export interface TransactionOptions {
  /** The request, with `[authentication]` when `auth` (the retry after a challenge). */
  text: (auth: boolean) => string;
  /** Final statuses that let the flow go on. 'any': every final response does. Default [200]. */
  accept?: readonly number[] | 'any';
  /** Where any other final response (and a second challenge) jumps. Without it such a response ends the call as failed. */
  onFailure?: string;
  /** For a (re-)INVITE: the ACK of a challenge, sent before the retry (RFC 3261 §17.1.1.3). */
  ackOfChallenge?: string;
  /** Actions on the accepted final response (keep a header, a tag). */
  onFinal?: Action[];
  /** Wait at most this long for the final response; then go to `onTimeout` (or fail the call). */
  timeoutMs?: number;
  onTimeout?: string;
  /** Retransmit with this T1 (UDP). Default: the UA's T1. */
  retrans?: number;
  /**
   * Send credentials at once, computed from the challenge an earlier transaction of the scenario took: the nonce
   * reused (RFC 7616 §3.4, with the next nonce-count). A challenge to it (a stale nonce) is answered as a first one.
   */
  preemptive?: boolean;
}

/**
 * Compiles the transaction; the flow continues after it once an accepted final response has come. The
 * retry after a challenge is followed by its own copy of the wait for the answer: SIPp stops retransmitting a
 * request only when its answer is matched by a recv placed after that request's send.
 */
/** What a compiled transaction leaves for the steps after it. */
export interface CompiledTransaction {
  /** A variable that reads 1 once the request went again with credentials (unset otherwise); undefined without an account. */
  credentialsSent?: string;
}

export function transaction(c: Compile, o: TransactionOptions): CompiledTransaction {
  const done = c.label('done');
  const challenged = c.label('challenged');
  // Set once the request went again with credentials (unset reads as 0): a further challenge is then an
  // answer, not a question.
  const answered = `${challenged}_answered`;
  const accept = o.accept === 'any' ? [...SUCCESSES, ...FAILURES] : [...(o.accept ?? [200])];
  const failures = o.accept === 'any' || !o.onFailure ? [] : FAILURES.filter((f) => !accept.includes(f) && (!c.canAuth || (f !== 401 && f !== 407)));
  // A slow server may answer a retransmission of the first request with a challenge of its own (Asterisk does,
  // with a fresh opaque, both challenges sent together). SIPp takes a copy that differs for an unexpected
  // message and aborts; a UA absorbs it: it belongs to the first transaction (RFC 3261 §17.1.3 matches it by
  // branch), which is over. So the first request starts a SIPp transaction, its answers are matched to it, and
  // its stray challenges are taken: by one in the wait after the retry, ahead of that wait's own challenges,
  // which stays in that wait; and by a `global` recv while SIPp has taken the first challenge but not yet sent
  // the retry (it finds that one by searching back). That one must say where to go on, the retry: without a
  // `next` SIPp would wait for a message where it stands, and never send it. Not for an INVITE, whose
  // challenge needs its ACK.
  const first = c.canAuth && !o.ackOfChallenge ? `${challenged}_first` : undefined;
  const stray = (optional: true | 'global') =>
    first ? [401, 407].map((code) => ({ response: code, response_txn: first, optional, ...(optional === 'global' ? { next: challenged } : {}) })) : [];
  const waitForAnswer = (afterRetry = false) => {
    // SIPp matches the answers to a request that started a transaction only by that transaction.
    const own = !afterRetry && first ? { response_txn: first } : {};
    const finals = [
      ...(c.canAuth ? [401, 407].map((code) => ({ response: code, auth: true, next: challenged, ...own })) : []),
      ...failures.map((code) => ({ response: code, next: o.onFailure, ...own })),
      ...accept.map((code) => ({ response: code, next: done, actions: o.onFinal, ...own })),
    ];
    c.s.oneOf(
      afterRetry
        ? [{ response: 100 }, ...stray(true), ...finals]
        : // The global ones last but one: the last recv of a wait must be mandatory, and the challenge above wins.
          [{ response: 100, ...own }, ...finals.slice(0, -1), ...stray('global'), ...finals.slice(-1)],
      o.timeoutMs ? { timeout: o.timeoutMs, ontimeout: o.onTimeout } : undefined,
    );
  };

  const text = (auth: boolean) => o.text(auth);
  c.s.send(text(!!o.preemptive), { retrans: o.retrans ?? c.t1Ms, ...(first ? { start_txn: first } : {}) });
  waitForAnswer();
  if (c.canAuth) {
    const again = c.label('challenged_again');
    c.s.label(challenged);
    c.s.nop([{ test: { assign_to: `${answered}_on`, variable: answered, compare: 'equal', value: 1 } }]);
    c.s.nop([], { next: again, test: `${answered}_on` });
    c.s.nop([{ assign: { assign_to: answered, value: 1 } }]);
    if (o.ackOfChallenge) c.s.send(o.ackOfChallenge);
    c.s.send(text(true), { retrans: o.retrans ?? c.t1Ms });
    waitForAnswer(true);
    // Challenged again: the credentials were refused. For a request that takes any answer, that is its answer.
    c.s.label(again);
    if (o.ackOfChallenge) c.s.send(o.ackOfChallenge);
    if (o.accept === 'any') c.s.nop([], { next: done });
    else if (o.onFailure) c.s.nop([], { next: o.onFailure });
    // Nothing more will come: SIPp counts a call whose recv timed out as failed.
    else c.s.recv({ response: 699, timeout: 1 });
  }
  c.s.label(done);
  return c.canAuth ? { credentialsSent: answered } : {};
}
