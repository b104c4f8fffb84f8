/** Reading session-timer headers off a trace, with failures that show the ladder at the message in question. */
import { expect } from '@jest/globals';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';
import type { Refresher } from '../../src/ua/index.js';

/** A message the test found by its own means, which must exist: `what` names it in the failure. */
export function present(m: TraceMessage | undefined, what: string): TraceMessage {
  if (!m) throw new Error(`${what}: not on the wire`);
  return m;
}

/** Session-Expires of a message that must carry one: its seconds and refresher. */
export function interval(m: TraceMessage): { seconds: number; refresher?: Refresher } {
  expect(m).toHaveHeader('Session-Expires');
  const se = m.message.sessionExpires;
  return { seconds: se?.seconds ?? NaN, refresher: se?.refresher as Refresher | undefined };
}

export function minSE(m: TraceMessage): number {
  expect(m).toHaveHeader('Min-SE');
  return m.message.minSE ?? NaN;
}

export function supportsTimer(m: TraceMessage): void {
  expect(m).toHaveHeader('Supported', /(^|[\s,])timer([\s,]|$)/);
}

/** §9: a 2xx naming the UAC as refresher obliges it with Require: timer. */
export function grants(ok: TraceMessage, refresher: Refresher): void {
  expect(interval(ok).refresher).toBe(refresher);
  if (refresher === 'uac') expect(ok).toHaveHeader('Require', /(^|[\s,])timer([\s,]|$)/);
}

/** Seconds between two messages on the wire. */
export function secondsBetween(a: TraceMessage, b: TraceMessage): number {
  return b.time - a.time;
}

/** The first 2xx to an INVITE from `from` to `to`. */
export function inviteOk(trace: Trace, from: string, to: string): TraceMessage {
  return trace.earliest({ status: 200, cseqMethod: 'INVITE', from, to });
}

/** Session refreshes (UPDATE, or a re-INVITE: an INVITE with a To tag) in the call of `ok`. */
export function refreshes(trace: Trace, ok: TraceMessage, q: { from?: string; to?: string } = {}): TraceMessage[] {
  return trace.find({
    ...q,
    method: ['UPDATE', 'INVITE'],
    after: ok,
    retransmissions: false,
    where: (m) => m.message.callId === ok.message.callId && !!m.message.toTag,
  });
}
