/**
 * Sequential forking by q-value (exercise 5): bob registers bob-1 with q=1.0, bob-2 with q=0.5 and bob-3 with
 * q=0.1, in that order (so the most recent binding is the lowest q: recency alone would try bob-3 first). alice
 * asks for a sequential search (RFC 3841 §9.1, Request-Disposition: sequential); the proxy tries the targets
 * from the highest q down (RFC 3261 §16.6), the next only once the current one has failed. Needs a target that
 * declares proxy.sequentialForking; others skip with the reason.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { aliceInvite, branchOf, branchTo, finalOn, toAlice, tried } from './branches.js';
import { alice, bob, contact, registerContacts } from './contacts.js';

const SEQUENTIAL = ['Request-Disposition: sequential'];

function sequentialForking(plan: TargetPlan): true | string {
  return plan.proxy?.sequentialForking
    ? true
    : `target ${plan.name} does not declare proxy.sequentialForking (trying an AoR's contacts one at a time by q when the caller sends Request-Disposition: sequential); add "proxy: { sequentialForking: true }" to its target file if it does`;
}

function registerByQ(lab: Lab) {
  return registerContacts(lab, [{ party: 'bob-1', q: 1 }, { party: 'bob-2', q: 0.5 }, { party: 'bob-3', q: 0.1 }]);
}


describeLab('Sequential forking by q-value (RFC 3261 §16.6, RFC 3841 §9.1)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const t1 = lab.plan.t1Ms;

  lab.test('the highest-q contact is tried first, the next only after it fails, and the search stops at the answer', { rfc: ['RFC 3261 §16.6', 'RFC 3841 §9.1', 'RFC 3261 §17.1.1.3'], requires: sequentialForking }, async () => {
    await registerByQ(lab);
    const phones = [
      await contact(lab, 'bob-1').answer({ ring: false, status: '486 Busy Here' }).start(),
      await contact(lab, 'bob-2').answer({ answerAfterMs: Math.max(100, t1) }).start(),
      await contact(lab, 'bob-3').answer({ noAnswer: true }).start(),
    ];
    await alice(lab).call(bob(lab), { headers: SEQUENTIAL }).bye({ afterMs: 50 }).run();
    for (const p of phones) await p.settle();
    const trace = await lab.trace();

    expect(tried(trace)).toEqual(['bob-1', 'bob-2']);
    const first = branchTo(trace, 'bob-1');
    const second = branchTo(trace, 'bob-2');
    expect(first).toBeAnsweredWith(486);
    // The next branch starts only once the first has its final answer, which the proxy ACKs on its own hop.
    expect(second.index).toBeGreaterThan(finalOn(first).index);
    expect(first.transaction?.acks.filter((a) => a.from === 'proxy').length).toBeGreaterThanOrEqual(1);
    expect(branchOf(second)).not.toBe(branchOf(first));
    expect(second).toBeAnsweredWith(200);
    // alice hears the answer, never the busy contact.
    expect(toAlice(trace, '2xx').map((m) => m.message.toTag)).toEqual([finalOn(second).message.toTag]);
    expect(toAlice(trace, '4xx')).toEqual([]);
  });

  lab.test('a highest-q contact that never answers is given up at its Timer B (64·T1), then the next is tried', { rfc: ['RFC 3261 §16.6', 'RFC 3261 §17.1.1.2', 'RFC 3261 §9.1'], requires: sequentialForking, timeoutMs: 64 * t1 + 40_000 }, async () => {
    await registerByQ(lab);
    const hangsMs = 64 * t1 + Math.max(1000, 8 * t1);
    const hung = await contact(lab, 'bob-1').answer({ silentMs: hangsMs }).start({ timeoutMs: hangsMs + 10_000 });
    // bob-2's turn comes only after Timer B, so it waits that long too.
    const phones = [
      await contact(lab, 'bob-2').answer({ answerAfterMs: Math.max(100, t1) }).start({ timeoutMs: 64 * t1 + 20_000 }),
      await contact(lab, 'bob-3').answer({ noAnswer: true }).start(),
    ];
    await alice(lab).call(bob(lab), { headers: SEQUENTIAL, answerWithinMs: 64 * t1 + 10_000 }).bye({ afterMs: 50 }).run({ timeoutMs: 64 * t1 + 20_000 });
    for (const p of phones) await p.settle();
    await hung.settle();
    const trace = await lab.trace();

    expect(tried(trace)).toEqual(['bob-1', 'bob-2']);
    const first = branchTo(trace, 'bob-1');
    const second = branchTo(trace, 'bob-2');
    const waited = +(second.time - first.time).toFixed(3);
    const timerB = (64 * t1) / 1000;
    expect({ waited, atTimerB: Math.abs(waited - timerB) <= timerB * 0.25 + 0.05 }).toEqual({ waited, atTimerB: true });
    // No provisional came from bob-1, so there was nothing to CANCEL (§9.1): its transaction just timed out.
    expect(trace.find({ method: 'CANCEL', to: 'bob-1' })).toEqual([]);
    expect(second).toBeAnsweredWith(200);
    expect(toAlice(trace, '2xx').length).toBe(1);
  });

  lab.test('a 6xx from the highest-q contact ends the search: no further contact is tried and alice gets the 6xx', { rfc: ['RFC 3261 §16.7 step 5', 'RFC 3841 §9.1'], requires: sequentialForking }, async () => {
    await registerByQ(lab);
    const phones = [
      await contact(lab, 'bob-1').answer({ ring: false, status: '603 Decline' }).start(),
      await contact(lab, 'bob-2').answer({ answerAfterMs: Math.max(100, t1) }).start(),
      await contact(lab, 'bob-3').answer({ noAnswer: true }).start(),
    ];
    await alice(lab).call(bob(lab), { headers: SEQUENTIAL, expect: 'reject', answerWithinMs: Math.max(2000, 16 * t1) }).run();
    for (const p of phones) await p.settle();
    const trace = await lab.trace();

    expect(tried(trace)).toEqual(['bob-1']);
    expect(branchTo(trace, 'bob-1')).toBeAnsweredWith(603);
    expect(aliceInvite(trace)).toBeAnsweredWith(603);
  });
});
