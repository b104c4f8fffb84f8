/** The call suite's user agents: bob registers and answers, alice calls him through the proxy. */
import { registerScenario, scenario, uacCallScenario, uasScenario, type StartedSipp } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';

/** A registrar other than the target: the other domain's proxy in inter-domain calls. */
export interface Registrar {
  hostPort: string;
  domain: string;
}

/**
 * Registers `account` from the lab party of the same name (its contact is that party's SIPp) with the target,
 * or with `at`; removed after the test.
 */
export async function registerParty(lab: Lab, party: string, account: Account, at?: Registrar): Promise<void> {
  const domain = at?.domain ?? lab.target.domain;
  const where = at?.hostPort ?? lab.target.hostPort;
  const reg = registerScenario({ user: account.user, domain, auth: 'optional', expires: 600, name: `register-${party}` });
  const r = await lab.sipp(reg, { party, label: `register-${party}` }).withRemote(where).withService(account.user).withAuth(account.authUser ?? account.user, account.password).run();
  if (!r.ok) throw new Error(`${party} could not register as ${account.user}@${domain} with ${where}: ${r.meaning}\n${r.errors.join('\n')}`);
  lab.run.onCleanup(async () => {
    const clear = registerScenario({ user: account.user, domain, auth: 'optional', contacts: ['*'], expires: 0, name: `unregister-${party}` });
    await lab.sipp(clear, { party, label: `unregister-${party}` }).withRemote(where).withAuth(account.authUser ?? account.user, account.password).run();
  });
}

/** bob's SIPp answering one call (180, 200, then waits for the BYE), started in the background and ready. */
export function answering(lab: Lab, party: string, account: Account): Promise<StartedSipp> {
  return lab.sipp(uasScenario({ t1Ms: lab.plan.t1Ms, name: `answer-${party}` }), { party, label: `answer-${party}` }).withService(account.user).start();
}

/**
 * alice's SIPp calling `user` in the target's domain (or `domain`) through the target, and hanging up after
 * `holdMs`. With a `caller` account, From is that user in the target's domain rather than the SIPp's address.
 */
export function calling(lab: Lab, party: string, user: string, holdMs = 50, domain = lab.target.domain, caller?: Account) {
  const s = uacCallScenario({ to: user, domain, holdMs, name: `call-${user}`, ...(caller ? { from: caller.user, fromDomain: lab.target.domain } : {}) });
  return lab.sipp(s, { party, label: `call-${user}` }).run();
}

/**
 * Waits for an answering SIPp once the caller is done: a few T1 for the last messages to arrive, then it is
 * stopped. When the call went wrong (a BYE that never reached bob), this keeps the test to seconds instead
 * of SIPp's whole timeout; the trace shows what happened either way.
 */
export async function settle(lab: Lab, uas: StartedSipp): Promise<void> {
  const graceMs = Math.max(1000, 8 * lab.plan.t1Ms);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
  const outcome = await Promise.race([uas.wait().then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') await uas.stop();
}

function lines(...l: string[]): string {
  return [...l, '', ''].join('\n');
}

/**
 * bob rings and never answers; when the CANCEL comes he answers it 200 and the INVITE 487. The 487 needs the
 * INVITE's Vias and CSeq, which [last_*] no longer holds once the CANCEL has arrived, so they are kept from the
 * INVITE (two Vias: the caller's and the one proxy's).
 */
export function ringingUntilCancelled(lab: Lab, party: string, account: Account): Promise<StartedSipp> {
  const s = scenario(`ring-until-cancel-${party}`);
  s.recv({
    request: 'INVITE',
    rrs: true,
    actions: [
      { ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', occurrence: 1, assign_to: 'via1' } },
      { ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', occurrence: 2, assign_to: 'via2' } },
      { ereg: { regexp: '.*', search_in: 'hdr', header: 'CSeq:', assign_to: 'icseq' } },
    ],
  });
  const tag = 'tag=[pid]SIPpTag01[call_number]';
  s.send(lines('SIP/2.0 180 Ringing', '[last_Via:]', '[last_From:]', `[last_To:];${tag}`, '[last_Call-ID:]', '[last_CSeq:]', '[last_Record-Route:]', `Contact: <sip:${account.user}@[local_ip]:[local_port]>`, 'Content-Length: 0'));
  s.recv({ request: 'CANCEL' });
  s.send(lines('SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', `[last_To:];${tag}`, '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0'));
  s.send(lines('SIP/2.0 487 Request Terminated', 'Via:[$via1]', 'Via:[$via2]', '[last_From:]', `[last_To:];${tag}`, '[last_Call-ID:]', 'CSeq:[$icseq]', 'Content-Length: 0'));
  s.recv({ request: 'ACK' });
  return lab.sipp(s, { party, label: `ring-${party}` }).withService(account.user).start();
}

/** alice calls, and CANCELs on the 180; she ACKs the 487 (a new transaction would be wrong: same branch). */
export function callingThenCancelling(lab: Lab, party: string, user: string) {
  const domain = lab.target.domain;
  const from = 'From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]';
  const s = scenario(`call-cancel-${user}`);
  s.send(
    lines(`INVITE sip:${user}@${domain} SIP/2.0`, 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport', 'Max-Forwards: 70', from, `To: <sip:${user}@${domain}>`, 'Call-ID: [call_id]', 'CSeq: 1 INVITE', 'Contact: <sip:sipp@[local_ip]:[local_port]>', 'Content-Length: 0'),
    { retrans: lab.plan.t1Ms },
  );
  s.recv({ response: 100, optional: true });
  s.recv({ response: 180 });
  // [last_Via:] of the 180 is the INVITE's own Via (the proxy removed its one): the CANCEL must match it.
  s.send(lines(`CANCEL sip:${user}@${domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, `To: <sip:${user}@${domain}>`, 'Call-ID: [call_id]', 'CSeq: 1 CANCEL', 'Content-Length: 0'), { retrans: lab.plan.t1Ms });
  s.recv({ response: 200 });
  s.recv({ response: 487, timeout: Math.max(2000, 16 * lab.plan.t1Ms), ontimeout: 'end' });
  s.send(lines(`ACK sip:${user}@${domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK', 'Content-Length: 0'));
  s.label('end');
  return lab.sipp(s, { party, label: `call-cancel-${user}` }).run();
}

/**
 * The suite's usual call: bob (account 2) registers and answers, alice calls him through the target and hangs
 * up; returns the test's trace.
 */
export async function aliceCallsBob(lab: Lab) {
  const bob = lab.account(1);
  await registerParty(lab, 'bob', bob);
  const uas = await answering(lab, 'bob', bob);
  await calling(lab, 'alice', bob.user);
  await settle(lab, uas);
  return lab.trace();
}
