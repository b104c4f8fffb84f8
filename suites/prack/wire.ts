/** What the PRACK suite looks for in a trace: reliable provisionals, their copies on a hop, and retransmission gaps. */
import { expect } from '@jest/globals';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';

/** The option tag in Require or Supported (a list, any case). */
export const TAG_100REL = /(^|[\s,])100rel([\s,]|$)/i;
export const requires100rel = (m: TraceMessage) => m.message.optionTags('require').some((t) => t.toLowerCase() === '100rel');
export const supports100rel = (m: TraceMessage) => m.message.optionTags('supported').some((t) => t.toLowerCase() === '100rel');

/** First copy of the reliable provisional (RSeq present) on a hop; fails the test when there is none. */
export function reliableProvisional(trace: Trace, from: string, to: string, toTag?: string): TraceMessage {
  const q = { from, to, status: '1xx', where: (m: TraceMessage) => m.status !== 100 && m.message.rseq !== undefined && (toTag === undefined || m.message.toTag === toTag) };
  // The first one: a PBX may send a reliable 180 and then a 183.
  return trace.earliest(q);
}

/** Every copy of a reliable provisional on a hop (same To tag and RSeq), in wire order. */
export function copiesOf(trace: Trace, r: TraceMessage): TraceMessage[] {
  return trace.find({ from: r.from, to: r.to, where: (m) => m.status === r.status && m.message.rseq === r.message.rseq && m.message.toTag === r.message.toTag && m.message.callId === r.message.callId });
}

/** The request of `method` on a hop in the early dialog `toTag` (first copy); fails the test when there is none. */
export function inDialog(trace: Trace, method: string, from: string, to: string, toTag: string | undefined): TraceMessage {
  const q = { method, from, to, where: (x: TraceMessage) => x.message.toTag === toTag };
  return trace.earliest(q);
}

export function sdpBody(m: TraceMessage): string {
  expect(m).toHaveHeader('Content-Type', /application\/sdp/i);
  expect(m.message.bodyText).toMatch(/^v=0/);
  return m.message.bodyText;
}

/**
 * Gaps between consecutive copies, checked against T1, 2·T1, 4·T1 … (RFC 3262 §3, RFC 3261 §17.1.1.2) within
 * ±25 % plus 40 ms: the capture time stamps carry the scheduling noise of a shared machine. `hint` is added to
 * the failure (how to declare a known deviation).
 */
export function expectDoublingFromT1(copies: TraceMessage[], t1Ms: number, hint = ''): void {
  expect(copies.length).toBeGreaterThanOrEqual(2);
  const gaps = copies.slice(1).map((c, k) => Math.round((c.time - copies[k].time) * 1000));
  const wanted = gaps.map((_, k) => t1Ms * 2 ** k);
  const ok = gaps.every((g, k) => Math.abs(g - wanted[k]) <= wanted[k] * 0.25 + 40);
  if (!ok) {
    throw new Error(`${copies[0].label} ${copies[0].from} -> ${copies[0].to}: copies ${gaps.join(', ')} ms apart, RFC 3262 §3 wants ${wanted.join(', ')} ms (T1 = ${t1Ms} ms, doubling)${hint ? `\n${hint}` : ''}`);
  }
}
