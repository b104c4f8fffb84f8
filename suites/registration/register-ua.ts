/**
 * A registering user agent (SIPp) for the suite: one call holding a series of REGISTERs (same Call-ID,
 * rising CSeq), each answered to a challenge with [authentication]. The scenario accepts whatever final
 * response comes: the verdict is made on the wire by the test, not by SIPp's exit code.
 */
import { registerRequest, scenario, type Action } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';

export interface RegisterStep {
  /** Contact header values, one header line each; [] sends no Contact (a query); ['*'] for a wildcard. */
  contacts: string[];
  /** Expires header value; a number or a SIPp variable such as '[$minexp]'. Absent: no Expires header. */
  expires?: number | string;
  /** Keep a 423's Min-Expires in the SIPp variable `minexp` for a later step. */
  captureMinExpires?: boolean;
}

const FINALS_BEFORE_AUTH = [400, 403, 404, 423, 480, 500, 503];
const FINALS_AFTER_AUTH = [400, 401, 403, 404, 407, 423, 480, 500, 503];

export function registerScenario(account: Account, domain: string, steps: RegisterStep[]) {
  const s = scenario(`register-${account.user}`);
  steps.forEach((step, i) => {
    const auth = `auth${i}`;
    const done = `done${i}`;
    const capture: Action[] = step.captureMinExpires
      ? [{ ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'Min-Expires:', assign_to: 'minexp' } }]
      : [];
    s.send(registerRequest({ user: account.user, domain, cseq: 2 * i + 1, contacts: step.contacts, expires: step.expires, auth: false }));
    s.recv({ response: 100, optional: true });
    s.recv({ response: 401, optional: true, auth: true, next: auth });
    s.recv({ response: 407, optional: true, auth: true, next: auth });
    for (const code of FINALS_BEFORE_AUTH) s.recv({ response: code, optional: true, next: done, actions: code === 423 ? capture : undefined });
    s.recv({ response: 200, next: done });
    s.label(auth);
    s.send(registerRequest({ user: account.user, domain, cseq: 2 * i + 2, contacts: step.contacts, expires: step.expires, auth: true }));
    s.recv({ response: 100, optional: true });
    for (const code of FINALS_AFTER_AUTH) s.recv({ response: code, optional: true, next: done, actions: code === 423 ? capture : undefined });
    s.recv({ response: 200 });
    s.label(done);
  });
  return s;
}

/**
 * Runs the registering UA from the lab party `alice` against the target, and waits for it. Once the test's
 * capture has stopped, the account's bindings are removed (Contact: *), so tests don't add up to the
 * registrar's contact limit.
 */
export async function register(lab: Lab, account: Account, steps: RegisterStep[], opts: { label?: string; party?: string } = {}) {
  const party = opts.party ?? 'alice';
  const s = registerScenario(account, lab.target.domain, steps);
  const result = await lab.sipp(s, { party, label: opts.label ?? `register-${account.user}` })
    .withAuth(account.authUser ?? account.user, account.password)
    .run();
  lab.run.onCleanup(async () => {
    const clear = registerScenario(account, lab.target.domain, [{ contacts: ['*'], expires: 0 }]);
    await lab.sipp(clear, { party, label: `cleanup-${account.user}` }).withAuth(account.authUser ?? account.user, account.password).run();
  });
  return result;
}
