/**
 * Authentication (the course's exercise 9): who challenges what, and with which status. A registrar challenges
 * REGISTER with 401 and WWW-Authenticate; a proxy challenges INVITE, MESSAGE, SUBSCRIBE, REFER and PUBLISH
 * with 407 and Proxy-Authenticate; a PBX or a UA may use 401 (RFC 3261 §22.1, §22.3). The callers call as
 * their accounts, as phones do, and answer every challenge; the wire must show the credentials in the header
 * the challenge asks for, with realm, nonce, uri, qop=auth, cnonce and a nonce-count (RFC 7616 §3.4), a
 * stale nonce retried with the new one, no 2xx for a wrong password, and SHA-256 first where the target offers it.
 *
 * What a target challenges, its algorithms and its nonces' lifetime come from its declaration (`auth:` in the
 * target file); a test of something it does not declare is skipped with the reason.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { Account, ChallengedMethod } from '../../src/lab/schema.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { challengesIn, credentialProblems, credentialsOf, digestExchange, expectedChallengeStatus, finalTo, nonceCount } from './digest-wire.js';

/** What the target challenges: its declaration, or a registrar's REGISTER. */
function challenged(t: TargetPlan): readonly ChallengedMethod[] {
  return t.auth?.challenges ?? (t.roles.includes('registrar') ? ['REGISTER'] : []);
}

const challenges = (method: ChallengedMethod) => (t: TargetPlan) =>
  challenged(t).includes(method) ? true : `target ${t.name} does not declare that it challenges ${method} (auth.challenges in the target file${t.embedded === 'embedded:kamailio' ? '; the embedded Kamailio does with proxyAuth: true in the lab config' : ''})`;

const PIDF = (entity: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}">\n<tuple id="t1"><status><basic>open</basic></status></tuple>\n</presence>`;

/** alice's request of each method, to bob's AoR: the answer after authentication is whatever the target gives. */
async function send(lab: Lab, method: ChallengedMethod, caller: Account): Promise<void> {
  const alice = lab.ua('alice', caller);
  const bobAccount = lab.account(1);
  switch (method) {
    case 'REGISTER':
      await alice.registrations([{ contacts: [{ user: `${caller.user}-sec` }], expires: 600 }]).run();
      return;
    case 'INVITE': {
      const bob = lab.ua('bob', bobAccount);
      await bob.register();
      const ringing = await bob.answer().start();
      await alice.call(bob).bye({ afterMs: 50 }).run();
      await ringing.settle();
      return;
    }
    case 'MESSAGE':
      await alice.message(bobAccount.user, 'are you there?').run();
      return;
    case 'SUBSCRIBE':
      await alice.subscribe(bobAccount.user, { event: 'presence', expires: 60, notifyWithinMs: 1000 }).run();
      return;
    case 'REFER':
      await alice.refer(bobAccount.user, lab.account(2)?.user ?? bobAccount.user).run();
      return;
    case 'PUBLISH':
      await alice.publish(PIDF(`sip:${caller.user}@${lab.target.domain}`), { expires: 60 }).run();
      return;
  }
}

describeLab('Authentication (RFC 3261 §22)', { roles: [], targetParty: 'target' }, (lab) => {
  const username = (a: Account) => a.authUser ?? a.user;

  for (const method of ['REGISTER', 'INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH'] as const) {
    const who = method === 'REGISTER' ? 'a registrar: 401 and WWW-Authenticate' : 'its role: 407 and Proxy-Authenticate from a proxy, 401 or 407 from a PBX or a UA';
    lab.test(
      `${method} is challenged as ${who}, and answered in the matching header with realm, nonce, uri, qop=auth, cnonce and nc`,
      { rfc: ['RFC 3261 §22.1', method === 'REGISTER' ? 'RFC 3261 §22.2' : 'RFC 3261 §22.3', 'RFC 7616 §3.4'], requires: challenges(method) },
      async () => {
        const me = lab.account(0);
        await send(lab, method, me);
        const trace = await lab.trace();
        const x = digestExchange(trace, method, 'alice');
        const allowed = expectedChallengeStatus(method, lab.plan.roles);
        expect({ status: x.challenge.status, allowed: allowed.includes(x.challenge.status as 401 | 407) }).toEqual({ status: x.challenge.status, allowed: true });
        expect(x.offered.length).toBeGreaterThan(0);
        for (const ch of x.offered) {
          expect(ch.isDigest).toBe(true);
          expect(ch.realm).toBeTruthy();
          expect(ch.nonce).toBeTruthy();
        }
        // RFC 7616 §3.3: qop is used by all implementations.
        expect(x.offered[0].qop.map((q) => q.toLowerCase())).toContain('auth');
        expect(credentialProblems(x, { password: me.password, username: username(me) })).toEqual([]);
        // The credentials got the request through: it was not turned back again.
        const final = finalTo(trace, x.retry!);
        expect(final?.status === 401 || final?.status === 407 || final?.status === 403 ? final.label : 'not refused').toBe('not refused');
      },
    );
  }

  lab.test(
    'a nonce reused while fresh goes with a higher nonce-count, and the registrar takes it or asks again with stale=true',
    { rfc: ['RFC 7616 §3.4', 'RFC 7616 §3.3'], roles: ['registrar'], requires: challenges('REGISTER') },
    async () => {
      const me = lab.account(0);
      const contact = { user: `${me.user}-nc` };
      await lab.ua('alice', me).registrations([{ contacts: [contact], expires: 600 }, { contacts: [contact], expires: 600, reuseNonce: true }]).run();
      const trace = await lab.trace();
      const first = digestExchange(trace, 'REGISTER', 'alice');
      const firstOk = finalTo(trace, first.retry!);
      expect(firstOk?.status).toBe(200);
      // The next REGISTER carries credentials from the start, for the same nonce.
      const reused = trace.find({ method: 'REGISTER', from: 'alice', retransmissions: false, after: firstOk }).at(0);
      expect(reused).toBeDefined();
      const again = credentialsOf(reused!, 401);
      expect(again?.nonce).toBe(first.credentials!.nonce);
      expect(nonceCount(again)).toBeGreaterThan(nonceCount(first.credentials));
      expect(credentialProblems({ ...first, retry: reused, credentials: again }, { password: me.password, username: username(me) })).toEqual([]);
      const answer = finalTo(trace, reused!);
      if (answer?.status === 401) {
        // Refusing a reused nonce is the registrar's right, but then as stale, so the UA retries without asking its user.
        expect(challengesIn(answer).map((c) => c.stale)).toContain(true);
        const retry = digestExchange(trace, 'REGISTER', 'alice', { after: firstOk });
        expect(finalTo(trace, retry.retry!)?.status).toBe(200);
      } else {
        expect(answer?.label).toMatch(/^200/);
      }
    },
  );

  const nonceLifetime = (t: TargetPlan) =>
    t.auth?.nonceLifetime !== undefined ? true : `target ${t.name} declares no nonce lifetime (auth.nonceLifetime in the target file), so no nonce can be let go stale`;

  lab.test(
    'a stale nonce is challenged with stale=true, and the request sent again with the new nonce succeeds',
    { rfc: ['RFC 7616 §3.3', 'RFC 3261 §22.4'], roles: ['registrar'], requires: (t) => (challenges('REGISTER')(t) === true ? nonceLifetime(t) : challenges('REGISTER')(t)), timeoutMs: 60_000 },
    async () => {
      const me = lab.account(0);
      const contact = { user: `${me.user}-stale` };
      const waitMs = (lab.plan.auth!.nonceLifetime! + 1.5) * 1000;
      await lab.ua('alice', me).registrations([{ contacts: [contact], expires: 600 }, { contacts: [contact], expires: 600, afterMs: waitMs, reuseNonce: true }]).run({ timeoutMs: waitMs + 20_000 });
      const trace = await lab.trace();
      const first = digestExchange(trace, 'REGISTER', 'alice');
      const firstOk = finalTo(trace, first.retry!);
      expect(firstOk?.status).toBe(200);
      const stale = digestExchange(trace, 'REGISTER', 'alice', { after: firstOk });
      // The request it turned back held the old nonce, with a response that was right for it.
      expect(credentialsOf(stale.request, 401)?.nonce).toBe(first.credentials!.nonce);
      expect(stale.offered.map((c) => c.stale)).toContain(true);
      expect(stale.credentials?.nonce).not.toBe(first.credentials!.nonce);
      expect(credentialProblems(stale, { password: me.password, username: username(me) })).toEqual([]);
      expect(finalTo(trace, stale.retry!)?.status).toBe(200);
    },
  );

  lab.test(
    'a wrong password is refused with 403 or another challenge, never a 2xx',
    { rfc: ['RFC 3261 §22.3', 'RFC 3261 §22.4'], requires: challenges('INVITE') },
    async () => {
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const ringing = await bob.answer().start();
      const me = lab.account(0);
      await lab.ua('alice', { ...me, password: `${me.password}-wrong` }).call(bob).bye({ afterMs: 50 }).run();
      await ringing.stop();
      const trace = await lab.trace();
      const x = digestExchange(trace, 'INVITE', 'alice');
      expect(x.retry).toBeDefined();
      expect([401, 403, 407]).toContain(finalTo(trace, x.retry!)?.status);
      const oks = trace.find({ cseqMethod: 'INVITE', to: 'alice', status: '2xx' });
      expect(oks.map((m) => m.label)).toEqual([]);
    },
  );

  const inDialog = (t: TargetPlan) =>
    t.auth?.inDialog?.some((m) => m === 'INVITE' || m === 'BYE')
      ? true
      : `target ${t.name} declares no challenge of a re-INVITE or a BYE inside a dialog (auth.inDialog in the target file${t.embedded === 'embedded:kamailio' ? '; the embedded Kamailio does with proxyAuth: in-dialog in the lab config' : ''})`;

  lab.test(
    'a re-INVITE and a BYE the target challenges inside the dialog are sent again with credentials, and go through',
    { rfc: ['RFC 3261 §22.3', 'RFC 3261 §14.1', 'RFC 3261 §15.1.1'], requires: inDialog },
    async () => {
      const me = lab.account(0);
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const ringing = await bob.answer().start();
      await lab.ua('alice', me).call(bob).reinvite({ direction: 'sendonly' }).bye({ afterMs: 50 }).run();
      await ringing.settle();
      const trace = await lab.trace();
      const answered = trace.earliest({ status: 200, cseqMethod: 'INVITE', to: 'alice' });
      const declared = lab.plan.auth!.inDialog!.filter((m) => m === 'INVITE' || m === 'BYE');
      for (const method of declared) {
        const x = digestExchange(trace, method, 'alice', { after: answered });
        // Inside the dialog: the request it turned back carries the dialog's tags.
        expect({ method, toTag: !!x.request.message.toTag }).toEqual({ method, toTag: true });
        // SIPp knows an in-dialog Request-URI only as [next_url], so its digest uri stays the INVITE's (see README).
        expect(credentialProblems(x, { password: me.password, username: username(me) }).filter((p) => !p.startsWith('uri '))).toEqual([]);
        expect({ method, final: finalTo(trace, x.retry!)?.status }).toEqual({ method, final: 200 });
        // Only the authenticated one reached bob.
        const atBob = trace.find({ method, to: 'bob', retransmissions: false }).filter((m) => m.message.toTag !== undefined);
        expect({ method, atBob: atBob.length }).toEqual({ method, atBob: 1 });
      }
    },
  );

  /** An account the target challenges with an RFC 8760 algorithm first. */
  const sha256Account = (t: TargetPlan) => t.accounts.find((a) => (a.algorithms ?? t.auth?.algorithms)?.[0] === 'SHA-256');

  lab.test(
    'SHA-256 is offered first and used',
    {
      rfc: ['RFC 8760 §2.4', 'RFC 8760 §2.6', 'RFC 7616 §3.7'],
      roles: ['registrar'],
      requires: (t) => (sha256Account(t) ? challenges('REGISTER')(t) : `target ${t.name} declares no SHA-256 (auth.algorithms, or an account's algorithms, in the target file)`),
    },
    async () => {
      const me = sha256Account(lab.plan)!;
      const declared = me.algorithms ?? lab.plan.auth!.algorithms!;
      await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-sha` }], expires: 600 }]).run();
      const trace = await lab.trace();
      const x = digestExchange(trace, 'REGISTER', 'alice');
      expect(x.offered.map((c) => c.algorithm?.toUpperCase() ?? 'MD5')).toEqual(declared);
      expect(x.credentials?.algorithm?.toUpperCase()).toBe('SHA-256');
      expect(x.credentials?.response).toMatch(/^[0-9a-f]{64}$/i);
      expect(credentialProblems(x, { password: me.password, username: username(me) })).toEqual([]);
      expect(finalTo(trace, x.retry!)?.status).toBe(200);
    },
  );
});
