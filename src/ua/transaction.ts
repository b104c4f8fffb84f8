/**
 * One client transaction in a compiled scenario: send a request, take its final response, and answer a digest
 * challenge (401 or 407) from the account wherever the target asks, so that no suite writes the challenge
 * dance again. The retry carries `[authentication]` (SIPp computes it from -au/-ap and the stored challenge)
 * and the next CSeq (`[cseq]` counts by itself).
 */
import type { Action, ScenarioBuilder } from '../../drivers/sipp/index.js';
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

/** The CSeq number of the response just received, for the ACK of a challenged INVITE. */
export const KEEP_RESPONSE_CSEQ: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'CSeq:', assign_to: 'resp_cseq', check_it: true } };

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
}

/** Compiles the transaction; the flow continues after it once an accepted final response has come. */
export function transaction(c: Compile, o: TransactionOptions): void {
  const done = c.label('done');
  const challenged = c.label('challenged');
  const accept = o.accept === 'any' ? [...SUCCESSES, ...FAILURES] : [...(o.accept ?? [200])];
  const failures = o.accept === 'any' ? [] : FAILURES.filter((f) => !accept.includes(f));

  const finals = (afterChallenge: boolean) => {
    c.s.recv({ response: 100, optional: true });
    if (!afterChallenge && c.canAuth) {
      for (const code of [401, 407]) c.s.recv({ response: code, optional: true, auth: true, next: challenged, actions: o.ackOfChallenge ? [KEEP_RESPONSE_CSEQ] : undefined });
    }
    if (o.onFailure) {
      for (const code of failures) {
        // Before credentials a 401/407 is a challenge (above); a second one after them is a failure.
        if ((code === 401 || code === 407) && !afterChallenge && c.canAuth) continue;
        c.s.recv({ response: code, optional: true, next: o.onFailure, actions: o.ackOfChallenge ? [KEEP_RESPONSE_CSEQ] : undefined });
      }
    }
    const last = accept[accept.length - 1];
    for (const code of accept.slice(0, -1)) c.s.recv({ response: code, optional: true, next: done, actions: o.onFinal });
    c.s.recv({ response: last, actions: o.onFinal, next: done, ...(o.timeoutMs ? { timeout: o.timeoutMs, ...(o.onTimeout ? { ontimeout: o.onTimeout } : {}) } : {}) });
  };

  c.s.send(o.text(false), { retrans: o.retrans ?? c.t1Ms });
  finals(false);
  if (c.canAuth) {
    c.s.label(challenged);
    if (o.ackOfChallenge) c.s.send(o.ackOfChallenge);
    c.s.send(o.text(true), { retrans: o.retrans ?? c.t1Ms });
    finals(true);
  }
  c.s.label(done);
}
