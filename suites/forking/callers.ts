/** alice's side of the forked calls: she calls bob (the AoR) through the proxy and handles what comes back. */
import { scenario, uacCallScenario, withBody } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import { bobOf, lines } from './contacts.js';

/** alice calls bob through the proxy and hangs up after `holdMs`; `headers` go into her INVITE. */
export function calling(lab: Lab, o: { holdMs?: number; headers?: string[]; timeoutMs?: number } = {}) {
  const user = bobOf(lab).user;
  const uac = uacCallScenario({ to: user, domain: lab.target.domain, holdMs: o.holdMs ?? 50, headers: o.headers, name: `call-${user}` });
  return lab.sipp(uac, { party: 'alice', label: `call-${user}`, timeoutMs: o.timeoutMs }).run();
}

/**
 * alice calls bob and is turned down: she ACKs the final 486, 603 or 408 on her INVITE's branch (RFC 3261
 * §17.1.1.3). `waitMs` bounds the wait for it (a proxy may hold it back until every branch has ended).
 */
export function callingToBeRejected(lab: Lab, waitMs: number, headers: string[] = []) {
  const user = bobOf(lab).user;
  const domain = lab.target.domain;
  const from = 'From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]';
  const s = scenario(`call-rejected-${user}`);
  s.send(
    withBody([`INVITE sip:${user}@${domain} SIP/2.0`, 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport', 'Max-Forwards: 70', from, `To: <sip:${user}@${domain}>`, 'Call-ID: [call_id]', 'CSeq: 1 INVITE', 'Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>', ...headers], true),
    { retrans: lab.plan.t1Ms },
  );
  s.recv({ response: 100, optional: true });
  s.recv({ response: 180, optional: true });
  s.recv({ response: 486, optional: true, next: 'rejected' });
  s.recv({ response: 603, optional: true, next: 'rejected' });
  s.recv({ response: 408, timeout: waitMs, next: 'rejected' });
  s.label('rejected');
  s.send(lines(`ACK sip:${user}@${domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK', 'Content-Length: 0'));
  return lab.sipp(s, { party: 'alice', label: `call-rejected-${user}`, timeoutMs: waitMs + 10_000 }).run();
}

/**
 * alice's side of two contacts answering at once (RFC 3261 §13.2.2.4): every 2xx is a dialog of its own and is
 * ACKed; she keeps the first and ends the second with a BYE at once, then hangs up the first after `holdMs`.
 * Each dialog's To (with its tag) and Contact are kept in variables: [last_*] follow the latest message.
 * When a second 2xx never comes (a proxy that does not fork), she just ends the one call she has.
 */
export function callingKeepingFirstAnswer(lab: Lab, holdMs: number) {
  const user = bobOf(lab).user;
  const domain = lab.target.domain;
  const from = 'From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]';
  const via = 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport';
  const contact = 'Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>';
  const keep = (n: number) => [
    { ereg: { regexp: '.*', search_in: 'hdr' as const, header: 'To:', assign_to: `to${n}` } },
    { ereg: { regexp: 'sip:[^>]*', search_in: 'hdr' as const, header: 'Contact:', assign_to: `contact${n}` } },
  ];
  const inDialog = (method: string, uri: string, to: string, cseq: number) =>
    lines(`${method} ${uri} SIP/2.0`, via, '[routes]', 'Max-Forwards: 70', from, `To:${to}`, 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`, contact, 'Content-Length: 0');
  const s = scenario(`call-keeping-first-${user}`);
  s.send(
    withBody([`INVITE sip:${user}@${domain} SIP/2.0`, via, 'Max-Forwards: 70', from, `To: <sip:${user}@${domain}>`, 'Call-ID: [call_id]', 'CSeq: 1 INVITE', contact], true),
    { retrans: lab.plan.t1Ms },
  );
  s.recv({ response: 100, optional: true });
  s.recv({ response: 180, optional: true });
  // rrs: the first 2xx's Record-Route becomes [routes]; SIPp keeps that first set (and its [next_url]), which
  // is right for both dialogs through one proxy, while each dialog's remote target is its own Contact.
  s.recv({ response: 200, rrs: true, actions: keep(1) });
  s.send(inDialog('ACK', '[$contact1]', '[$to1]', 1));
  s.recv({ response: 200, actions: keep(2), timeout: Math.max(2000, 16 * lab.plan.t1Ms), ontimeout: 'first-only' });
  s.send(inDialog('ACK', '[$contact2]', '[$to2]', 1));
  s.send(inDialog('BYE', '[$contact2]', '[$to2]', 2), { retrans: lab.plan.t1Ms });
  s.recv({ response: 200 });
  s.pause(holdMs);
  s.label('first-only');
  s.send(inDialog('BYE', '[$contact1]', '[$to1]', 2), { retrans: lab.plan.t1Ms });
  s.recv({ response: 200 });
  return lab.sipp(s, { party: 'alice', label: `call-keeping-first-${user}` }).run();
}
