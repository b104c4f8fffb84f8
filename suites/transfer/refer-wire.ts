/** What the transfer suite reads of a REFER's implicit subscription on the wire (RFC 3515 §2.4.4, §2.4.5), and what it needs of a target. */
import { needsThirdAccount } from '../../src/lab/accounts.js';
import type { TargetPlan } from '../../src/lab/target.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';

/** A PBX that takes transfers, with a third account for the transfer target; else the reason. */
export const transfers = (plan: TargetPlan): true | string =>
  plan.pbx?.transfers === false ? `target ${plan.name} declares that it takes no transfers (pbx.transfers: false)` : needsThirdAccount(plan);

/**
 * The NOTIFYs of the subscription a REFER made: its dialog, Event: refer (and id= its CSeq, when given), one per
 * CSeq, on the hop `where` picks (all hops: the first copy).
 */
export function referNotifies(trace: Trace, refer: TraceMessage, where: (m: TraceMessage) => boolean = () => true): TraceMessage[] {
  const seq = refer.message.cseq?.seq;
  return trace.messages.filter((m) => {
    if (m.method !== 'NOTIFY' || !where(m) || m.message.kind !== 'request' || m.retransmission || m.message.callId !== refer.message.callId) return false;
    const event = m.message.event;
    if (event?.package.toLowerCase() !== 'refer') return false;
    const id = event.params.get('id');
    return id === undefined || id === String(seq);
  }).filter((m, i, all) => all.findIndex((x) => x.message.cseq?.seq === m.message.cseq?.seq) === i);
}

/** The status code of a NOTIFY's message/sipfrag body ("SIP/2.0 100 Trying"), or undefined when it has none. */
export function sipfragStatus(notify: TraceMessage): number | undefined {
  if (!/^message\/sipfrag/i.test(notify.message.get('Content-Type') ?? '')) return undefined;
  const m = /^SIP\/2\.0 (\d{3})/.exec(notify.message.body.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}
