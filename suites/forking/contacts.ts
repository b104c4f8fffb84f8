/**
 * bob's contacts: one AoR registered from three SIPps, each on its own address (parties bob-1, bob-2, bob-3).
 * Each plays one part in a test: answering, ringing until cancelled, turning the call down, staying silent,
 * or answering at once.
 */
import { registerScenario, scenario, uasScenario, withBody, type StartedSipp } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';

export { ringingUntilCancelled, settle } from '../calls/parties.js';

export const CONTACTS = ['bob-1', 'bob-2', 'bob-3'] as const;
export type ContactParty = (typeof CONTACTS)[number];

/** The AoR every test forks to. */
export function bobOf(lab: Lab): Account {
  return lab.account(1);
}

/**
 * Registers bob from each party (its own SIPp's address as the Contact, with q when given), one after the
 * other so the registrar holds all of them; every binding of the AoR is removed after the test.
 */
export async function registerContacts(lab: Lab, contacts: Array<{ party: ContactParty; q?: number }>): Promise<void> {
  const bob = bobOf(lab);
  const auth = (s: ReturnType<typeof registerScenario>, party: string) =>
    lab.sipp(s, { party, label: s.name }).withAuth(bob.authUser ?? bob.user, bob.password);
  lab.run.onCleanup(async () => {
    const clear = registerScenario({ user: bob.user, domain: lab.target.domain, auth: 'optional', contacts: ['*'], expires: 0, name: 'unregister-bob' });
    await auth(clear, contacts[0].party).run();
  });
  for (const { party, q } of contacts) {
    const reg = registerScenario({
      user: bob.user,
      domain: lab.target.domain,
      auth: 'optional',
      expires: 600,
      contacts: [{ uri: `<sip:${bob.user}@[local_ip]:[local_port]>`, q }],
      name: `register-${party}`,
    });
    const r = await auth(reg, party).run();
    if (!r.ok) throw new Error(`${party} could not register as ${bob.user} with ${lab.plan.name}: ${r.meaning}\n${r.errors.join('\n')}`);
  }
}

/** A contact that rings (180) and answers (200) after `afterMs`, then waits for the BYE, all within `timeoutMs`. */
export function answering(lab: Lab, party: ContactParty, afterMs: number, timeoutMs?: number): Promise<StartedSipp> {
  return lab.sipp(uasScenario({ t1Ms: lab.plan.t1Ms, answerAfterMs: afterMs, name: `answer-${party}` }), { party, label: `answer-${party}`, timeoutMs }).withService(bobOf(lab).user).start();
}

export function lines(...l: string[]): string {
  return [...l, '', ''].join('\n');
}

/** The INVITE's Vias, kept for a final response sent after another request (a CANCEL) has replaced [last_*]. */
const KEEP_INVITE = [
  { ereg: { regexp: '.*', search_in: 'hdr' as const, header: 'Via:', occurrence: 1, assign_to: 'via1' } },
  { ereg: { regexp: '.*', search_in: 'hdr' as const, header: 'Via:', occurrence: 2, assign_to: 'via2' } },
  { ereg: { regexp: '.*', search_in: 'hdr' as const, header: 'CSeq:', assign_to: 'icseq' } },
];
const UAS_TAG = 'tag=[pid]SIPpTag01[call_number]';

/**
 * A contact that answers 200 the moment the INVITE arrives. When another contact does the same, the proxy's
 * CANCEL for this branch crosses the 200 on the wire; it is answered 200 and changes nothing (RFC 3261 §9.2:
 * the INVITE already has its final response). The CANCEL may even come after the ACK of that 200 (seen with
 * a proxy slow on its timers): it is answered the same way, and the BYE that follows still gets its 200.
 */
export function answeringAtOnce(lab: Lab, party: ContactParty): Promise<StartedSipp> {
  const contact = `Contact: <sip:${bobOf(lab).user}@[local_ip]:[local_port];transport=[transport]>`;
  const s = scenario(`answer-at-once-${party}`);
  s.recv({ request: 'INVITE', rrs: true });
  s.send(withBody(['SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', '[last_CSeq:]', '[last_Record-Route:]', contact], true), { retrans: lab.plan.t1Ms });
  s.recv({ request: 'CANCEL', optional: true, next: 'cancelled' });
  s.recv({ request: 'ACK', next: 'confirmed' });
  s.label('cancelled');
  s.send(lines('SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0'));
  s.recv({ request: 'ACK' });
  s.label('confirmed');
  s.recv({ request: 'CANCEL', optional: true, next: 'late-cancel' });
  s.recv({ request: 'BYE', next: 'bye' });
  s.label('late-cancel');
  s.send(lines('SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0'));
  s.recv({ request: 'BYE' });
  s.label('bye');
  s.send(lines('SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]', contact, 'Content-Length: 0'));
  return lab.sipp(s, { party, label: `answer-at-once-${party}` }).withService(bobOf(lab).user).start();
}

/** A contact that turns the call down at once with `status` ("486 Busy Here"), retransmitted until the proxy's ACK. */
export function rejecting(lab: Lab, party: ContactParty, status: string): Promise<StartedSipp> {
  const code = status.split(' ')[0];
  const s = scenario(`reject-${code}-${party}`);
  s.recv({ request: 'INVITE' });
  s.send(lines(`SIP/2.0 ${status}`, '[last_Via:]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0'), { retrans: lab.plan.t1Ms });
  s.recv({ request: 'ACK' });
  return lab.sipp(s, { party, label: `reject-${code}-${party}` }).withService(bobOf(lab).user).start();
}

export function busy(lab: Lab, party: ContactParty): Promise<StartedSipp> {
  return rejecting(lab, party, '486 Busy Here');
}

/**
 * A contact that is registered but never answers (a hung phone): it takes the INVITE and its retransmissions
 * and says nothing for `forMs`. A CANCEL, which a proxy must not send on a branch without a provisional
 * response (RFC 3261 §9.1), is still answered (200, then 487) so the call ends cleanly and the trace shows it.
 */
export function silent(lab: Lab, party: ContactParty, forMs: number): Promise<StartedSipp> {
  const s = scenario(`silent-${party}`);
  s.recv({ request: 'INVITE', actions: KEEP_INVITE });
  s.recv({ request: 'CANCEL', timeout: forMs, ontimeout: 'end' });
  s.send(lines('SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0'));
  s.send(lines('SIP/2.0 487 Request Terminated', 'Via:[$via1]', 'Via:[$via2]', '[last_From:]', `[last_To:];${UAS_TAG}`, '[last_Call-ID:]', 'CSeq:[$icseq]', 'Content-Length: 0'));
  s.recv({ request: 'ACK' });
  s.label('end');
  return lab.sipp(s, { party, label: `silent-${party}`, timeoutMs: forMs + 10_000 }).withService(bobOf(lab).user).start();
}
