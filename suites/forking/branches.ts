/** Reading a forked call off the trace: the proxy's branch to each contact and what happened on it. */
import { expect } from '@jest/globals';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';

export const isInvite = (m: TraceMessage) => m.message.cseq?.method === 'INVITE';

/** alice's INVITE (first copy). */
export function aliceInvite(trace: Trace): TraceMessage {
  const invite = trace.first({ method: 'INVITE', from: 'alice', retransmissions: false });
  expect(invite).toBeDefined();
  return invite!;
}

/** The proxy's INVITE to a contact (first copy), or undefined when that contact was never tried. */
export function branchTo(trace: Trace, party: string): TraceMessage | undefined {
  return trace.first({ method: 'INVITE', from: 'proxy', to: party, retransmissions: false });
}

/** The branch parameter of a message's top Via. */
export function branchOf(m: TraceMessage | undefined): string | undefined {
  return m?.message.topVia?.params.get('branch');
}

/** The final response a contact sent on its branch, or undefined. */
export function finalOn(branch: TraceMessage): TraceMessage | undefined {
  return branch.transaction?.responses.find((r) => (r.status ?? 0) >= 200);
}

/** INVITE responses from the proxy to alice with this status class (first copies). */
export function toAlice(trace: Trace, status: number | string): TraceMessage[] {
  return trace.find({ from: 'proxy', to: 'alice', status, retransmissions: false, where: isInvite });
}
