/**
 * The session-timer suite's calls (RFC 4028): alice asks for an interval and follows a 422's Min-SE; bob grants
 * it and names the refresher, or refuses one below his minimum; whoever is the refresher refreshes at half the
 * interval, and the other side, left without one, hangs up before the session expires.
 */
import type { SippResult } from '../../drivers/sipp/index.js';
import type { Refresher, RunningUa, TimerOffer, UserAgent } from '../../src/ua/index.js';

/**
 * After the answer: `hangup` after a moment; `refreshed`: the far end is the refresher, so its UPDATE or
 * re-INVITE is answered (waiting up to waitMs), then alice hangs up; `silent`: alice is the refresher and never
 * refreshes, so she waits up to waitMs for the far end's BYE.
 */
export type Then = 'hangup' | 'refreshed' | 'silent';

export function calling(alice: UserAgent, to: UserAgent | string, o: { offer: TimerOffer; then: Then; waitMs?: number }, timeoutMs = 20_000): Promise<SippResult> {
  const call = alice.call(to, { sessionTimer: o.offer });
  if (o.then === 'hangup') call.bye({ afterMs: 100 });
  else if (o.then === 'refreshed') call.awaitRefresh({ timeoutMs: o.waitMs ?? 60_000 }).bye();
  else call.awaitBye({ timeoutMs: o.waitMs ?? 60_000 });
  return call.run({ timeoutMs });
}

/**
 * bob answers with the interval he got and `refresher`, refusing one below `minSE` with 422. `then`: 'refresh'
 * (he is the refresher), 'expire' (he waits for a refresh, and ends the session when none comes), or just the
 * caller's BYE.
 */
export function answering(bob: UserAgent, o: { refresher: Refresher; minSE?: number; then?: 'refresh' | 'expire'; se?: number }, timeoutMs = 20_000): Promise<RunningUa> {
  return bob.answer({ sessionTimer: o, byeWithinMs: timeoutMs }).start({ timeoutMs });
}
