/**
 * A PBX's registration model: each account has an AOR that takes a bounded number of contacts, and the PBX
 * may check its bindings by sending them OPTIONS (Asterisk's qualify). The target declares both
 * (`registrar.maxContacts`, `registrar.qualify`); what must hold on the wire follows from RFC 3261 §10.3 and §11.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { bindingsOf, describeBindings } from '../../src/trace/bindings.js';

describeLab('Registration model of a PBX (AOR, max contacts, qualify)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test(
    'an AOR holds up to its max contacts; one more is refused or replaces an old one, and no 200 lists more',
    { rfc: 'RFC 3261 §10.3 step 8', requires: (t: TargetPlan) => (t.registrar?.maxContacts ? true : `target ${t.name} declares no contact limit (registrar.maxContacts in the target file)`) },
    async () => {
      const me = lab.account(0);
      const max = lab.plan.registrar?.maxContacts ?? 0;
      const contact = (i: number) => ({ user: `${me.user}-m${i}` });
      await lab.ua('alice', me).registrations([
        { contacts: Array.from({ length: max }, (_, i) => contact(i)), expires: 600 },
        { contacts: [contact(max)], expires: 600 },
      ]).run();
      const trace = await lab.trace();
      // The final answers, challenges left out.
      const finals = trace.find({ cseqMethod: 'REGISTER', retransmissions: false, where: (m) => (m.status ?? 0) >= 200 && m.status !== 401 && m.status !== 407 });
      expect(finals).toHaveLength(2);
      const [full, extra] = finals;
      // Up to the limit, every contact is bound.
      expect(full.status).toBe(200);
      expect(bindingsOf(full).filter((b) => b.user.startsWith(`${me.user}-m`)).length).toBe(max);
      if (extra.status === 200) {
        // Accepted: then an old binding made room (remove_existing), so the list stays within the limit.
        const listed = bindingsOf(extra).filter((b) => b.user.startsWith(`${me.user}-m`));
        expect({ limit: max, listed: listed.length, bindings: describeBindings(extra) }).toEqual({ limit: max, listed: Math.min(listed.length, max), bindings: describeBindings(extra) });
        expect(listed.map((b) => b.user)).toContain(`${me.user}-m${max}`);
      } else {
        // Refused: a 4xx (Asterisk: 403), and not as if the request were malformed or the user unknown.
        expect(extra.status).toBeGreaterThanOrEqual(400);
        expect(extra.status).toBeLessThan(500);
        expect([400, 404]).not.toContain(extra.status);
      }
    },
  );

  lab.test(
    'qualify: the PBX checks a binding with OPTIONS to the registered Contact, answered 200',
    { rfc: 'RFC 3261 §11', requires: (t: TargetPlan) => (t.registrar?.qualify ? true : `target ${t.name} declares no qualified account (registrar.qualify: { user, every } in the target file)`) },
    async () => {
      const { user, every } = lab.plan.registrar?.qualify ?? { user: '', every: 0 };
      const account = lab.plan.accounts.find((a) => (a.authUser ?? a.user) === user);
      if (!account) throw new Error(`registrar.qualify names ${user}, which is not one of the target's accounts`);
      // carol answers OPTIONS on her Contact address (port 5060), and registers it from another port: Asterisk
      // qualifies a binding as soon as it is made, before its 200 to the REGISTER.
      const answering = await lab.ua('carol', account).accept('OPTIONS', { withinMs: (3 * every + 2) * 1000 }).start({ timeoutMs: (3 * every + 8) * 1000 });
      const answeringAt = lab.endpoint('carol', 5060);
      await lab.ua('carol', account, { port: 5062 }).register({ contact: answeringAt });
      const r = await answering.done();
      const trace = await lab.trace();
      expect(r.ok).toBe(true);
      const registering = trace.one({ method: 'REGISTER', from: 'carol', where: (m) => m.message.has('Authorization') && m.message.contacts.length > 0 });
      const options = trace.earliest({ method: 'OPTIONS', from: 'pbx', to: 'carol', after: registering });
      // Sent to the binding: the Request-URI is the registered Contact.
      expect(options.message.kind === 'request' ? options.message.uri?.raw.replace(/;transport=(tcp|tls)$/i, '') : '').toBe(`sip:${account.user}@${answeringAt.host}:${answeringAt.port}`);
      expect(options.time - registering.time).toBeLessThanOrEqual(every * 1.5 + 1);
      expect(trace).toHaveMessage({ status: 200, from: 'carol', to: 'pbx', cseqMethod: 'OPTIONS' });
      // What the PBX concluded, where it says so (the embedded Asterisk): the binding is reachable.
      const pbx = lab.target.asterisk;
      if (pbx) {
        const contacts = await pbx.contacts(account.user);
        expect(contacts.map((c) => c.status)).toContain('Avail');
      }
    },
  );
});
