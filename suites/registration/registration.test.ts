/**
 * Registration (the course's exercises 1 and 2): user agents register with the target's registrar, and the
 * wire must show what RFC 3261 §10 demands: the digest challenge and answer, bindings listed with their
 * expiry, several contacts, refreshes, deregistration, queries, and no 200 for bad credentials.
 *
 * Each test uses contact user parts of its own (alice-t3-a …), so what one test leaves on the registrar
 * does not disturb the next.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { checkCredentials, parseChallenge } from '../../src/sip/digest.js';
import { bindingFor, bindingOf, describeBindings } from '../../src/trace/bindings.js';

describeLab('Registration (RFC 3261 §10)', { roles: ['registrar'] }, (lab) => {
  const alice = () => lab.account(0);

  lab.test('digest challenge: 401 with realm and nonce, then 200 to credentials that echo them with CSeq incremented', { rfc: ['RFC 3261 §22.2', 'RFC 3261 §8.1.3.5'] }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-t1` }], expires: 600 }]).run();
    const trace = await lab.trace();
    expect(trace).toHaveFlow([`${'alice'} -> registrar REGISTER`, 'registrar -> alice 401', 'alice -> registrar REGISTER', 'registrar -> alice 200']);
    const [first, second] = trace.requests('REGISTER');
    const challenge = trace.one({ status: 401 });
    expect(challenge).toHaveHeader('WWW-Authenticate', /^\s*Digest\s/i);
    const ch = parseChallenge(challenge.message.get('WWW-Authenticate')!);
    expect(ch.realm).toBeTruthy();
    expect(ch.nonce).toBeTruthy();
    expect(second).toHaveHeader('Authorization');
    const verdict = checkCredentials(second.message.get('Authorization')!, {
      password: me.password,
      method: 'REGISTER',
      username: me.authUser ?? me.user,
      realm: ch.realm,
      nonce: ch.nonce,
    });
    expect(verdict.reason ?? 'credentials verified').toBe('credentials verified');
    if (ch.opaque !== undefined) expect(second).toHaveHeader('Authorization', new RegExp(`opaque="${ch.opaque.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    expect(second.message.callId).toBe(first.message.callId);
    expect(second.message.cseq?.seq).toBeGreaterThan(first.message.cseq?.seq ?? NaN);
    expect(second).toBeAnsweredWith(200);
  });

  lab.test('the 200 lists every current binding of the AoR with its expiry', { rfc: 'RFC 3261 §10.3 step 8' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([
      { contacts: [{ user: `${me.user}-t2a` }], expires: 600 },
      { contacts: [{ user: `${me.user}-t2b` }], expires: 900 },
    ]).run();
    const trace = await lab.trace();
    const oks = trace.find({ status: 200, from: 'registrar', retransmissions: false });
    expect(oks).toHaveLength(2);
    const last = oks[1];
    const a = bindingOf(last, `${me.user}-t2a`);
    const b = bindingOf(last, `${me.user}-t2b`);
    expect(a.expires).toBeGreaterThan(0);
    expect(a.expires).toBeLessThanOrEqual(600);
    expect(b.expires).toBeGreaterThan(600);
    expect(b.expires).toBeLessThanOrEqual(900);
  });

  lab.test('several simultaneous contacts for one AoR, each with its own expiry', { rfc: 'RFC 3261 §10.2.1.2' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-t3a`, expires: 300 }, { user: `${me.user}-t3b`, expires: 1200 }] }]).run();
    const trace = await lab.trace();
    const ok = trace.latest({ status: 200, from: 'registrar' });
    const a = bindingOf(ok, `${me.user}-t3a`);
    const b = bindingOf(ok, `${me.user}-t3b`);
    expect(a.expires).toBeLessThanOrEqual(300);
    expect(b.expires).toBeGreaterThan(300);
    expect(b.expires).toBeLessThanOrEqual(1200);
  });

  lab.test('a refresh with the same Call-ID and a higher CSeq renews the binding instead of adding one', { rfc: 'RFC 3261 §10.2.4' }, async () => {
    const me = alice();
    const contact = { user: `${me.user}-t4` };
    await lab.ua('alice', me).registrations([{ contacts: [contact], expires: 300 }, { contacts: [contact], expires: 900 }]).run();
    const trace = await lab.trace();
    const regs = trace.requests('REGISTER').filter((m) => !m.retransmission);
    expect(new Set(regs.map((m) => m.message.callId)).size).toBe(1);
    const oks = trace.find({ status: 200, from: 'registrar', retransmissions: false });
    expect(oks).toHaveLength(2);
    const renewed = oks[1];
    const bindings = renewed.message.contacts.filter((c) => c.uriText.includes(`${me.user}-t4@`));
    expect(bindings).toHaveLength(1);
    expect(bindingOf(renewed, `${me.user}-t4`).expires).toBeGreaterThan(300);
  });

  lab.test("a contact's expires parameter overrides the Expires header", { rfc: 'RFC 3261 §10.2.1.1' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-t5a` }, { user: `${me.user}-t5b`, expires: 240 }], expires: 1800 }]).run();
    const trace = await lab.trace();
    const ok = trace.latest({ status: 200, from: 'registrar' });
    const a = bindingOf(ok, `${me.user}-t5a`);
    const b = bindingOf(ok, `${me.user}-t5b`);
    expect(describeBindings(ok)).toMatch(new RegExp(`${me.user}-t5a.*${me.user}-t5b|${me.user}-t5b.*${me.user}-t5a`));
    expect(a.expires).toBeGreaterThan(240);
    expect(a.expires).toBeLessThanOrEqual(1800);
    expect(b.expires).toBeLessThanOrEqual(240);
  });

  /** The registrar's declared minimum, when it declares one above 1 s (else the reason the test can't run). */
  const minimum = (t: TargetPlan) => ((t.registrar?.minExpires ?? 0) > 1 ? true : `target ${t.name} declares no minimum expiry (registrar.minExpires in the target file)`);

  lab.test(
    'too brief an expiry gets 423 with Min-Expires, and the retry at that interval succeeds',
    {
      rfc: ['RFC 3261 §10.2.8', 'RFC 3261 §10.3 step 7'],
      requires: (t) => {
        const m = minimum(t);
        if (m !== true) return m;
        return t.registrar?.belowMinimum === 'raise' ? `target ${t.name} declares that it raises too brief an expiry to its minimum instead of answering 423 (registrar.belowMinimum: raise), which RFC 3261 §10.3 step 7 allows` : true;
      },
    },
    async () => {
      const me = alice();
      const min = lab.plan.registrar!.minExpires!;
      await lab.ua('alice', me).registrations([
        { contacts: [{ user: `${me.user}-t6` }], expires: Math.max(1, min - 1) },
        { contacts: [{ user: `${me.user}-t6` }], expires: 'min-expires' },
      ]).run();
      const trace = await lab.trace();
      const brief = trace.first({ status: 423 });
      if (!brief) {
        const answered = trace.find({ method: 'REGISTER' }).flatMap((r) => trace.responsesTo(r)).filter((r) => (r.status ?? 0) >= 200 && r.status !== 401 && r.status !== 407)[0];
        throw new Error(
          `RFC 3261 §10.3 step 7: REGISTER with Expires ${Math.max(1, min - 1)}, below the declared minimum of ${min} s, got ${answered ? `${answered.label} (${describeBindings(answered)})` : 'no final response'}, not 423 Interval Too Brief. ` +
            'If the registrar grants its minimum instead on purpose, declare registrar.belowMinimum: raise in the target file.',
        );
      }
      expect(brief).toHaveHeader('Min-Expires', /^\s*\d+\s*$/);
      const granted = Number(brief.message.get('Min-Expires'));
      expect(granted).toBeGreaterThan(min - 1);
      const retry = trace.latest({ method: 'REGISTER' });
      expect(retry.message.expires).toBe(granted);
      expect(retry).toBeAnsweredWith(200);
    },
  );

  lab.test(
    'too brief an expiry is raised to the minimum, never granted as asked',
    {
      rfc: 'RFC 3261 §10.3 step 7',
      requires: (t) => {
        const m = minimum(t);
        if (m !== true) return m;
        return t.registrar?.belowMinimum === 'raise' ? true : `target ${t.name} answers too brief an expiry with 423 (registrar.belowMinimum is not raise): the 423 test checks it`;
      },
    },
    async () => {
      const me = alice();
      const min = lab.plan.registrar!.minExpires!;
      const asked = Math.max(1, Math.floor(min / 2));
      await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-t6r` }], expires: asked }]).run();
      const trace = await lab.trace();
      const ok = trace.latest({ status: 200, cseqMethod: 'REGISTER' });
      const b = bindingOf(ok, `${me.user}-t6r`);
      // A second may have passed between granting and writing the 200 (Asterisk lists the time left).
      expect({ asked, granted: b.expires, atLeast: min - 1, ok: (b.expires ?? 0) >= min - 1 }).toEqual({ asked, granted: b.expires, atLeast: min - 1, ok: true });
    },
  );

  lab.test('expires=0 removes that one contact and keeps the others', { rfc: 'RFC 3261 §10.2.2' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([
      { contacts: [{ user: `${me.user}-t7a` }, { user: `${me.user}-t7b` }], expires: 600 },
      { contacts: [{ user: `${me.user}-t7a`, expires: 0 }] },
      { contacts: [] },
    ]).run();
    const trace = await lab.trace();
    const oks = trace.find({ status: 200, from: 'registrar', retransmissions: false });
    expect(oks).toHaveLength(3);
    const query = oks[2];
    expect(bindingFor(query, `${me.user}-t7a`)).toBeUndefined();
    expect(bindingFor(query, `${me.user}-t7b`)).toBeDefined();
  });

  lab.test('Contact: * with Expires: 0 removes every binding of the AoR', { rfc: 'RFC 3261 §10.2.2' }, async () => {
    const me = lab.account(1);
    await lab.ua('alice', me).registrations([
      { contacts: [{ user: `${me.user}-t8a` }, { user: `${me.user}-t8b` }], expires: 600 },
      { contacts: '*', expires: 0 },
      { contacts: [] },
    ]).run();
    const trace = await lab.trace();
    const oks = trace.find({ status: 200, from: 'registrar', retransmissions: false });
    expect(oks).toHaveLength(3);
    expect(describeBindings(oks[0])).toMatch(new RegExp(`${me.user}-t8a`));
    expect(describeBindings(oks[2])).toBe('no bindings');
  });

  lab.test('Contact: * with a non-zero Expires is rejected with 400', { rfc: 'RFC 3261 §10.3 step 6' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([{ contacts: '*', expires: 3600 }]).run();
    const trace = await lab.trace();
    const star = trace.latest({ method: 'REGISTER' });
    expect(star.message.isContactStar).toBe(true);
    expect(star).toBeAnsweredWith(400);
  });

  lab.test('a REGISTER without Contact queries the bindings and changes none', { rfc: 'RFC 3261 §10.2.3' }, async () => {
    const me = alice();
    await lab.ua('alice', me).registrations([{ contacts: [{ user: `${me.user}-t10` }], expires: 600 }, { contacts: [] }, { contacts: [] }]).run();
    const trace = await lab.trace();
    const oks = trace.find({ status: 200, from: 'registrar', retransmissions: false });
    expect(oks).toHaveLength(3);
    for (const ok of oks.slice(1)) expect(bindingFor(ok, `${me.user}-t10`)).toBeDefined();
    const queries = trace.requests('REGISTER').filter((m) => m.message.contacts.length === 0 && !m.retransmission);
    expect(queries.length).toBeGreaterThanOrEqual(2);
  });

  lab.test('a wrong password or an unknown user is never answered 200', { rfc: ['RFC 3261 §22.2', 'RFC 3261 §22.4'] }, async () => {
    const me = alice();
    await lab.ua('alice', { ...me, password: `${me.password}-wrong` }).registrations([{ contacts: [{ user: `${me.user}-t11` }], expires: 600 }], { label: 'wrong-password' }).run();
    await lab.ua('alice', { user: 'nobody-sipwright', password: 'whatever' }).registrations([{ contacts: [{ user: 'nobody-sipwright' }], expires: 600 }], { label: 'unknown-user' }).run();
    const trace = await lab.trace();
    const registers = trace.requests('REGISTER');
    expect(registers.length).toBeGreaterThanOrEqual(2);
    const oks = trace.find({ status: '2xx', from: 'registrar' });
    expect(oks.map((m) => `#${m.index} ${m.label} to ${m.message.to?.uriText}`)).toEqual([]);
    for (const r of registers) expect(r.transaction && r.transaction.responses.some((x) => (x.status ?? 0) >= 400)).toBe(true);
  });
});
