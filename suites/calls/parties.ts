/** The call suite's user agents: bob registers and answers, alice calls him through the proxy. */
import { registerScenario, uacCallScenario, uasScenario, type StartedSipp } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';

/** Registers `account` from the lab party of the same name (its contact is that party's SIPp), removed after the test. */
export async function registerParty(lab: Lab, party: string, account: Account): Promise<void> {
  const reg = registerScenario({ user: account.user, domain: lab.target.domain, auth: 'optional', expires: 600, name: `register-${party}` });
  const r = await lab.sipp(reg, { party, label: `register-${party}` }).withService(account.user).withAuth(account.authUser ?? account.user, account.password).run();
  if (!r.ok) throw new Error(`${party} could not register as ${account.user} with ${lab.plan.name}: ${r.meaning}\n${r.errors.join('\n')}`);
  lab.run.onCleanup(async () => {
    const clear = registerScenario({ user: account.user, domain: lab.target.domain, auth: 'optional', contacts: ['*'], expires: 0, name: `unregister-${party}` });
    await lab.sipp(clear, { party, label: `unregister-${party}` }).withAuth(account.authUser ?? account.user, account.password).run();
  });
}

/** bob's SIPp answering one call (180, 200, then waits for the BYE), started in the background and ready. */
export function answering(lab: Lab, party: string, account: Account): Promise<StartedSipp> {
  return lab.sipp(uasScenario({ t1Ms: lab.plan.t1Ms, name: `answer-${party}` }), { party, label: `answer-${party}` }).withService(account.user).start();
}

/** alice's SIPp calling `user` in the target's domain through the target, and hanging up after `holdMs`. */
export function calling(lab: Lab, party: string, user: string, holdMs = 50) {
  return lab.sipp(uacCallScenario({ to: user, domain: lab.target.domain, holdMs, name: `call-${user}` }), { party, label: `call-${user}` }).run();
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
