/**
 * The caller's side of a call whose callee crashes: INVITE, 2xx, ACK, a pause (during which the test kills the
 * callee), then BYE, after which it takes whatever final response comes (408, 481, or the 200 a proxy must not
 * invent), retransmitting the BYE until SIPp's own Timer F (64·T1, "UDP retransmission timeout") ends the call.
 */
import { scenario, withBody, type ScenarioBuilder } from '../../drivers/sipp/index.js';

/** RFC 3261 §17.1.2.2: Timer F, the non-INVITE client transaction's timeout, is 64·T1. */
export const timerF = (t1Ms: number) => 64 * t1Ms;

/** How long a final response to the BYE may take: Timer F, and time for the proxy's own Timer F (started a hop later) to end. */
export const byeWaitMs = (t1Ms: number) => timerF(t1Ms) + Math.max(1000, 16 * t1Ms);

/**
 * SIPp arguments: more BYE retransmissions than fit in Timer F at T2 = 8·T1 (its default of 7 would end the call
 * before Timer F), and no BYE of its own for the call it aborts then (a BYE outside the route set).
 */
export const CALLER_ARGS = ['-max_non_invite_retrans', '64', '-default_behaviors', 'all,-bye'];

export function callerWhoseCalleeDies(o: { to: string; domain: string; pauseMs: number; t1Ms: number }): ScenarioBuilder {
  const from = 'From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]';
  const s = scenario(`call-${o.to}-until-crash`);
  s.send(
    withBody(
      [
        `INVITE sip:${o.to}@${o.domain} SIP/2.0`,
        'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
        'Max-Forwards: 70',
        from,
        `To: <sip:${o.to}@${o.domain}>`,
        'Call-ID: [call_id]',
        'CSeq: 1 INVITE',
        'Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>',
      ],
      true,
    ),
  );
  s.recv({ response: 100, optional: true });
  s.recv({ response: 180, optional: true });
  s.recv({ response: 200, rrs: true });
  const inDialog = (method: string, cseq: number) =>
    withBody([`${method} [next_url] SIP/2.0`, 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport', '[routes]', 'Max-Forwards: 70', from, `To: <sip:${o.to}@${o.domain}>[peer_tag_param]`, 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`], false);
  s.send(inDialog('ACK', 1));
  s.pause(o.pauseMs);
  s.send(inDialog('BYE', 2), { retrans: o.t1Ms });
  s.recv({ response: 100, optional: true });
  s.recv({ response: 408, optional: true, next: 'done' });
  s.recv({ response: 481, optional: true, next: 'done' });
  s.recv({ response: 200 });
  s.label('done');
  return s;
}
