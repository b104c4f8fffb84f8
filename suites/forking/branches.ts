/** Reading a forked call off the trace: the proxy's branch to each contact and what happened on it. */
import { finalResponse } from '../../src/trace/transactions.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';

/** alice's INVITE (first copy). */
export function aliceInvite(trace: Trace): TraceMessage {
  return trace.one({ method: 'INVITE', from: 'alice' });
}

/** The proxy's INVITE to a contact (first copy); fails with the ladder when that contact was never tried. */
export function branchTo(trace: Trace, party: string): TraceMessage {
  return trace.one({ method: 'INVITE', from: 'proxy', to: party });
}

/** The contacts the proxy sent an INVITE to, in wire order (first copies). */
export function tried(trace: Trace): string[] {
  return trace.find({ method: 'INVITE', from: 'proxy', retransmissions: false }).map((m) => m.to);
}

/** The branch parameter of a message's top Via. */
export function branchOf(m: TraceMessage | undefined): string | undefined {
  return m?.message.branch;
}

/** The final response a contact sent on its branch; fails when there is none. */
export function finalOn(branch: TraceMessage): TraceMessage {
  const final = branch.transaction ? finalResponse(branch.transaction) : undefined;
  if (!final) throw new Error(`#${branch.index} ${branch.label} ${branch.from} -> ${branch.to} got no final response`);
  return final;
}

/** INVITE responses from the proxy to alice with this status class (first copies). */
export function toAlice(trace: Trace, status: number | string): TraceMessage[] {
  // A proxy that authenticates its users turns alice's first INVITE back with a 407: a challenge, not the call's answer.
  return trace.find({ from: 'proxy', to: 'alice', status, cseqMethod: 'INVITE', retransmissions: false, where: (m) => m.status !== 407 });
}
