/**
 * Call services on a PBX (the course's services chapter, exercise 10): park and retrieve, directed pickup of a
 * ringing phone, and call forwarding the PBX follows itself. Each runs where the target declares the feature
 * (`features: { park, pickup }`, `pbx.followsRedirect`) and is skipped with the reason where it does not. What
 * must hold on the wire is the PBX's part: which dialogs it answers, which it ends, and what it tells the caller.
 */
import { expect } from '@jest/globals';
import { needsThirdAccount, thirdAccount } from '../../src/lab/accounts.js';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import type { TargetPlan } from '../../src/lab/target.js';

const declares = (key: string, how: string) => (plan: TargetPlan) => (plan.features[key] ? true : `target ${plan.name} declares no ${key} feature (features.${key} in the target file: ${how})`);
const both = (...checks: Array<(plan: TargetPlan) => true | string>) => (plan: TargetPlan) => checks.map((c) => c(plan)).find((r) => r !== true) ?? true;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The space a call was parked on: from the PBX's log where the lab has it (Asterisk says "Parking … at space
 * 701"), which also says the call is parked before anyone dials the space; else, after a second, the space
 * after the park extension (the embedded Asterisk's lot is 701-720 beside 700).
 */
async function parkedSpace(lab: Lab, park: string, logFrom: number): Promise<string> {
  for (const until = Date.now() + 5000; Date.now() < until; await pause(50)) {
    const log = lab.target.logs();
    if (log === undefined) break;
    const space = /Parking '[^']*' in '[^']*' at space (\d+)/.exec(log.slice(logFrom))?.[1];
    if (space) return space;
  }
  await pause(1000);
  return String(Number(park) + 1);
}

describeLab('Call services on a PBX (park, pickup, forwarding)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test(
    'park and retrieve: alice calls the park extension and is parked; bob dials the space and gets her call; his hang-up ends hers',
    { requires: declares('park', 'the extension that parks the caller, its spaces the numbers after it') },
    async () => {
      const park = lab.plan.features.park!;
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      const logFrom = lab.target.logs()?.length ?? 0;
      const parked = await alice.call(park).awaitBye({ timeoutMs: 10_000 }).start();
      const space = await parkedSpace(lab, park, logFrom);
      await bob.call(space).bye({ afterMs: 300 }).run();
      await parked.settle();
      const trace = await lab.trace();

      const parking = trace.one({ method: 'INVITE', from: 'alice' });
      expect(parking).toBeAnsweredWith(200);
      const retrieving = trace.one({ method: 'INVITE', from: 'bob' });
      expect(retrieving).toBeAnsweredWith(200);
      // The two calls were joined: bob's BYE makes the PBX end alice's, which it had held until then.
      const byBob = trace.one({ method: 'BYE', from: 'bob' });
      const toAlice = trace.first({ method: 'BYE', from: 'pbx', to: 'alice', where: (m) => m.message.callId === parking.message.callId });
      expect({ aliceReleasedAfterBobHungUp: toAlice !== undefined && toAlice.index > byBob.index }).toEqual({ aliceReleasedAfterBobHungUp: true });
    },
  );

  lab.test(
    'directed pickup: bob\'s phone rings, carol dials the pickup prefix and his extension and gets alice\'s call; the PBX cancels the ringing leg',
    { rfc: ['RFC 3261 §9.1'], requires: both(declares('pickup', 'the prefix that, with an extension, picks up its ringing phone'), needsThirdAccount) },
    async () => {
      const pickup = lab.plan.features.pickup!;
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      const carol = lab.ua('carol', thirdAccount(lab.plan) as Account);
      await bob.register();
      const ringing = await bob.answer({ noAnswer: true }).start();
      const calling = await alice.call(bob).awaitBye({ timeoutMs: 10_000 }).start();
      // Picked up once bob's phone rings.
      await calling.receivedOne((m) => m.kind === 'response' && m.status === 180);
      await carol.call(`${pickup}${lab.account(1).user}`).bye({ afterMs: 1500 }).run();
      await calling.settle();
      await ringing.settle();
      const trace = await lab.trace();

      const fromAlice = trace.one({ method: 'INVITE', from: 'alice' });
      const toBob = trace.one({ method: 'INVITE', from: 'pbx', to: 'bob' });
      // The ringing leg is CANCELled (RFC 3261 §9.1) and answered 487; alice's call is answered by the pickup.
      const cancel = trace.one({ method: 'CANCEL', from: 'pbx', to: 'bob' });
      expect(cancel.message.callId).toBe(toBob.message.callId);
      expect(trace.first({ status: 487, cseqMethod: 'INVITE', from: 'bob' })).toBeDefined();
      expect(fromAlice).toBeAnsweredWith(200);
      expect(trace.one({ method: 'INVITE', from: 'carol' })).toBeAnsweredWith(200);
      // Joined: carol's BYE ends alice's call.
      const byCarol = trace.one({ method: 'BYE', from: 'carol' });
      expect(trace.first({ method: 'BYE', from: 'pbx', to: 'alice', where: (m) => m.index > byCarol.index })).toBeDefined();
    },
  );

  lab.test(
    'call forwarding: bob answers 302 with carol as the new Contact; the PBX follows it, tells alice with 181, and carol answers',
    { rfc: ['RFC 3261 §21.3.3', 'RFC 3261 §21.1.3', 'RFC 3261 §8.1.3.4'], requires: both((plan) => (plan.pbx?.followsRedirect ? true : `target ${plan.name} does not declare that it follows a 3xx itself (pbx.followsRedirect in the target file)`), needsThirdAccount) },
    async () => {
      const alice = lab.ua('alice', lab.account(0));
      const bob = lab.ua('bob', lab.account(1));
      const carolAccount = thirdAccount(lab.plan) as Account;
      const carol = lab.ua('carol', carolAccount);
      await bob.register();
      await carol.register();
      const carolUri = `sip:${carolAccount.user}@${lab.target.domain}`;
      const forwarding = await bob.answer({ status: '302 Moved Temporarily', redirectTo: carolUri }).start();
      const answering = await carol.answer({ hangupAfterMs: 300 }).start();
      await alice.call(bob).awaitBye({ timeoutMs: 10_000 }).run();
      await forwarding.settle();
      await answering.settle();
      const trace = await lab.trace();

      const redirect = trace.one({ status: 302, cseqMethod: 'INVITE', from: 'bob' });
      expect(redirect).toHaveHeader('Contact', new RegExp(`sip:${carolAccount.user}@`));
      // The PBX ACKs the 302 and calls carol itself: a new leg, whose 200 answers alice.
      expect(trace.first({ method: 'ACK', from: 'pbx', to: 'bob' })).toBeDefined();
      const toCarol = trace.one({ method: 'INVITE', from: 'pbx', to: 'carol' });
      expect(toCarol.index).toBeGreaterThan(redirect.index);
      const fromAlice = trace.one({ method: 'INVITE', from: 'alice' });
      expect(fromAlice).toBeAnsweredWith(200);
      // 181 Call Is Being Forwarded to alice (RFC 3261 §21.1.3), and the diversion it carries if any.
      const forwarded = trace.first({ status: 181, cseqMethod: 'INVITE', to: 'alice' });
      expect({ toldAliceWith181: forwarded !== undefined }).toEqual({ toldAliceWith181: true });
      const how = ['Diversion', 'History-Info'].map((h) => `${h}: ${forwarded!.message.get(h) ?? 'none'}`).join('; ');
      await lab.note(`the PBX followed bob's 302 to carol and told alice with 181 (${how})`);
    },
  );
});
