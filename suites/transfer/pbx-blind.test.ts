/**
 * Blind transfer on a PBX (the course's exercise 10, RFC 3515, RFC 5589 §6): alice calls bob through the PBX,
 * then REFERs her leg to carol. The PBX carries the transfer out itself: 202 to the REFER, NOTIFYs of the implicit
 * subscription with message/sipfrag bodies, a new dialog of its own to carol, and alice's dialog ended.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import { referNotifies, sipfragStatus, transfers } from './refer-wire.js';
import { thirdAccount } from '../../src/lab/accounts.js';

describeLab('Blind transfer on a PBX (RFC 3515, RFC 5589 §6)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test(
    'alice REFERs her call with bob to carol: 202, NOTIFYs from 100 Trying to 200 OK, the PBX calls carol itself, and alice\'s dialog ends',
    { rfc: ['RFC 3515 §2.4.2', 'RFC 3515 §2.4.4', 'RFC 3515 §2.4.5', 'RFC 5589 §6', 'RFC 6665 §4.1.3'], requires: transfers },
    async () => {
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      const carol = lab.ua('carol', thirdAccount(lab.plan) as Account);
      await bob.register();
      await carol.register();
      const bobAnswers = await bob.answer().start();
      // carol ends the call she was transferred into; the PBX then ends bob's leg.
      const carolAnswers = await carol.answer({ hangupAfterMs: 300 }).start();
      // The transferor ends its call once the final NOTIFY says the transfer succeeded (RFC 5589 §6).
      await alice.call(bob).refer(carol).bye().run();
      await carolAnswers.settle();
      await bobAnswers.settle();
      const trace = await lab.trace();

      const refer = trace.one({ method: 'REFER', from: 'alice' });
      const invite = trace.one({ method: 'INVITE', from: 'alice' });
      expect(refer.message.callId).toBe(invite.message.callId);
      expect(refer).toHaveHeader('Refer-To', new RegExp(`sip:${(thirdAccount(lab.plan) as Account).user}@`));
      expect(refer).toHaveHeader('Referred-By', /sip:alice@/);
      expect(refer).toBeAnsweredWith(202);

      // The implicit subscription (RFC 3515 §2.4.4): sipfrag status lines, the last one final and terminating it.
      const notifies = referNotifies(trace, refer);
      expect(notifies.length).toBeGreaterThanOrEqual(1);
      const statuses = notifies.map(sipfragStatus);
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.slice(0, -1).every((s) => s !== undefined && s < 200)).toBe(true);
      expect(notifies.at(-1)!).toHaveHeader('Subscription-State', /^terminated/);
      // Each is a request of alice's dialog with the PBX, carrying Event: refer (RFC 3515 §2.4.4).
      for (const n of notifies) expect(n.from).toBe('pbx');

      // The PBX places a call of its own to carol: a new dialog, not alice's.
      const toCarol = trace.one({ method: 'INVITE', from: 'pbx', to: 'carol' });
      expect(toCarol.message.callId).not.toBe(invite.message.callId);
      expect(trace.first({ status: 200, cseqMethod: 'INVITE', from: 'carol' })).toBeDefined();
      // alice's dialog ends, after the final NOTIFY (RFC 5589 §6).
      const bye = trace.first({ method: 'BYE', where: (m) => m.message.callId === invite.message.callId });
      expect(bye).toBeDefined();
      expect(bye!).toBeAnsweredWith(200);
    },
  );

  lab.test(
    'alice REFERs with Refer-Sub: false: the PBX accepts it, says Refer-Sub: false in its 2xx, and sends no NOTIFY; the transfer still happens',
    { rfc: ['RFC 4488 §4', 'RFC 3515 §2.4.2'], requires: transfers },
    async () => {
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      const carol = lab.ua('carol', thirdAccount(lab.plan) as Account);
      await bob.register();
      await carol.register();
      const bobAnswers = await bob.answer().start();
      const carolAnswers = await carol.answer({ hangupAfterMs: 300 }).start();
      await alice.call(bob).refer(carol, { referSub: false }).bye({ anyAnswer: true }).run();
      await carolAnswers.settle();
      await bobAnswers.settle();
      const trace = await lab.trace();

      const refer = trace.one({ method: 'REFER', from: 'alice' });
      expect(refer).toHaveHeader('Refer-Sub', /^false$/);
      const accepted = trace.responsesTo(refer).find((r) => (r.status ?? 0) >= 200);
      expect(accepted?.status).toBeGreaterThanOrEqual(200);
      expect(accepted?.status).toBeLessThan(300);
      expect({ 'Refer-Sub': accepted!.message.get('Refer-Sub') }).toEqual({ 'Refer-Sub': 'false' });
      expect(referNotifies(trace, refer).map((n) => `NOTIFY #${n.index}`)).toEqual([]);
      expect(trace.first({ method: 'INVITE', from: 'pbx', to: 'carol' })).toBeDefined();
    },
  );

  lab.test(
    'a PBX that takes no transfers refuses the REFER with 403, 405, 501 or 603, and calls nobody for it; the call goes on',
    { rfc: ['RFC 3515 §2.4.2', 'RFC 3261 §21.4.3', 'RFC 3261 §21.6.2'], requires: (plan) => (plan.pbx?.transfers === false ? true : `target ${plan.name} takes transfers (pbx.transfers: false in the target file declares one that does not)`) },
    async () => {
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const bobAnswers = await bob.answer().start();
      await alice.call(bob).refer('someone-else', { timeoutMs: 1000 }).bye().run();
      await bobAnswers.settle();
      const trace = await lab.trace();
      const refer = trace.one({ method: 'REFER', from: 'alice' });
      const status = trace.responsesTo(refer).find((r) => (r.status ?? 0) >= 200)?.status;
      expect({ refused: [403, 405, 501, 603].includes(status ?? 0) ? 'yes' : status }).toEqual({ refused: 'yes' });
      expect(referNotifies(trace, refer)).toEqual([]);
      expect(trace.find({ method: 'INVITE', from: 'pbx', where: (m) => m.index > refer.index && !m.message.toTag })).toEqual([]);
      // The call goes on: alice's BYE ends it, answered.
      expect(trace.one({ method: 'BYE', from: 'alice' })).toBeAnsweredWith(200);
    },
  );
});
