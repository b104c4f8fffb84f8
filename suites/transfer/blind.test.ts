/**
 * Blind transfer through a proxy (the course's exercise 10, RFC 3515, RFC 5589 §6): bob calls alice, then REFERs
 * her to carol. alice is a real phone (baresip): as the transferee she answers the REFER, reports on the implicit
 * subscription with NOTIFYs and calls carol herself. What must hold on the wire is the proxy's part: every
 * request of the dialog routed through its Record-Route, Refer-To and Referred-By carried as bob wrote them, the
 * 202 and the NOTIFYs back to bob, alice's new call reaching carol, and the old dialog ended with a BYE.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import { phoneUnavailable } from '../../src/lab/embedded.js';
import { runTransport } from '../../src/lab/transport.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { referNotifies, sipfragStatus } from './refer-wire.js';
import { thirdAccount } from '../../src/lab/accounts.js';

const runnable = (plan: TargetPlan): true | string => {
  if (runTransport(plan) === 'tls') return 'over TLS the transferee, a baresip phone, can\'t take part: it goes over UDP or TCP (its TLS secrets are not logged)';
  const noPhone = phoneUnavailable();
  if (noPhone) return noPhone;
  const carol = thirdAccount(plan);
  return typeof carol === 'string' ? carol : true;
};

/**
 * The parties, each at an address of its own: a proxy keeps retransmitting what it relays to a party that has
 * left (the transferee's late BYE or NOTIFY, for Timer F), and another test's party at the same address and port
 * would take it for its own call. Named for their part in the ladder.
 */
const P = { alice: 'alice (transferee)', bob: 'bob (transferor)', carol: 'carol (target)' };
const D = { alice: 'alice (transferee, declined)', bob: 'bob (transferor, declined)', carol: 'carol (declining)' };

describeLab('Blind transfer through a proxy (RFC 3515, RFC 5589 §6)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test(
    'bob REFERs alice to carol: Refer-To and Referred-By reach alice, 202 and the sipfrag NOTIFYs reach bob, alice\'s call reaches carol, the old dialog ends with a BYE, all through the proxy\'s Record-Route',
    { rfc: ['RFC 3515 §2.4.2', 'RFC 3515 §2.4.4', 'RFC 3515 §2.4.5', 'RFC 3892 §3', 'RFC 5589 §6', 'RFC 3261 §16.12'], requires: runnable },
    async () => {
      const carolAccount = thirdAccount(lab.plan) as Account;
      const alice = await lab.phone(P.alice, lab.account(0));
      const bob = lab.ua(P.bob, lab.account(1));
      const carol = lab.ua(P.carol, carolAccount);
      await carol.register();
      const carolAnswers = await carol.answer({ hangupAfterMs: 300 }).start();
      await bob.call(lab.account(0).user).refer(carol).bye().run();
      await carolAnswers.settle();
      await alice.waitFor('CALL_CLOSED', { timeoutMs: 5000 }).catch(() => undefined);
      const trace = await lab.trace();

      const invite = trace.one({ method: 'INVITE', from: P.bob });
      const refer = trace.one({ method: 'REFER', from: P.bob });
      expect(refer.message.callId).toBe(invite.message.callId);
      expect(refer).toBeAnsweredWith(202);
      // Routed in the dialog through the proxy, and carried to alice as bob wrote its Refer-To and Referred-By.
      expect(refer.to).toBe('proxy');
      expect(refer).toHaveHeader('Route');
      const relayed = trace.one({ method: 'REFER', from: 'proxy', to: P.alice });
      expect(relayed.message.get('Refer-To')).toBe(refer.message.get('Refer-To'));
      expect(relayed.message.get('Refer-To')).toMatch(new RegExp(`sip:${carolAccount.user}@`));
      expect({ 'Referred-By': relayed.message.get('Referred-By') }).toEqual({ 'Referred-By': refer.message.get('Referred-By') });

      // The implicit subscription: NOTIFYs from alice, through the proxy, with sipfrag from 100 to a final 200.
      const notifies = referNotifies(trace, refer, (n) => n.from === 'proxy' && n.to === P.bob);
      const statuses = notifies.map(sipfragStatus);
      expect({ sipfragsAtBob: statuses.length ? [statuses[0], statuses.at(-1)] : 'no NOTIFY reached bob' }).toEqual({ sipfragsAtBob: [100, 200] });
      expect(notifies.at(-1)!).toHaveHeader('Subscription-State', /^terminated/);
      expect(trace.find({ method: 'NOTIFY', from: P.alice }).every((n) => n.to === 'proxy')).toBe(true);

      // alice's own call to carol: a new dialog, through the proxy, answered.
      const toCarol = trace.one({ method: 'INVITE', from: 'proxy', to: P.carol });
      expect(toCarol.message.callId).not.toBe(invite.message.callId);
      expect(trace.one({ method: 'INVITE', from: P.alice, to: 'proxy' }).message.callId).toBe(toCarol.message.callId);
      expect(trace.first({ status: 200, cseqMethod: 'INVITE', from: P.carol })).toBeDefined();
      // The old dialog ends: bob's BYE, through the proxy, answered 200.
      const bye = trace.one({ method: 'BYE', from: P.bob });
      expect(bye.message.callId).toBe(invite.message.callId);
      expect(trace.first({ method: 'BYE', from: 'proxy', to: P.alice, where: (m) => m.message.callId === invite.message.callId })).toBeDefined();
      expect(bye).toBeAnsweredWith(200);
      const fromAlice = trace.one({ method: 'INVITE', from: P.alice, to: 'proxy' });
      await lab.note(`alice (baresip) called carol with ${fromAlice.message.get('Referred-By') ? `Referred-By: ${fromAlice.message.get('Referred-By')}` : 'no Referred-By (baresip 1.0 does not copy it, RFC 3892 §3 says it SHOULD)'}`);
    },
  );

  lab.test(
    'carol declines the transferred call: alice\'s final NOTIFY carries carol\'s 486 as its sipfrag and ends the subscription, and it reaches bob through the proxy',
    { rfc: ['RFC 3515 §2.4.5', 'RFC 3515 §2.4.7', 'RFC 6665 §4.1.3'], requires: runnable },
    async () => {
      const carolAccount = thirdAccount(lab.plan) as Account;
      await lab.phone(D.alice, lab.account(0));
      const bob = lab.ua(D.bob, lab.account(1));
      const carol = lab.ua(D.carol, carolAccount);
      await carol.register();
      const carolDeclines = await carol.answer({ status: '486 Busy Here' }).start();
      await bob.call(lab.account(0).user).refer(carol).bye({ anyAnswer: true }).run();
      await carolDeclines.settle();
      const trace = await lab.trace();

      const refer = trace.one({ method: 'REFER', from: D.bob });
      expect(refer).toBeAnsweredWith(202);
      expect(trace.first({ status: 486, cseqMethod: 'INVITE', from: D.carol })).toBeDefined();
      const notifies = referNotifies(trace, refer, (n) => n.from === 'proxy' && n.to === D.bob);
      const last = notifies.at(-1);
      expect({ finalSipfragAtBob: last ? sipfragStatus(last) : 'no NOTIFY reached bob' }).toEqual({ finalSipfragAtBob: 486 });
      expect(last!).toHaveHeader('Subscription-State', /^terminated/);
    },
  );
});
