/**
 * Branch timers in a forked call (exercise 5), on the lab's compressed T1. bob-2 is registered but never answers
 * (a hung phone). The proxy's client transaction towards it retransmits the INVITE on Timer A (T1, doubling each
 * time, RFC 3261 §17.1.1.2) and ends at Timer B (64·T1). Since bob-2 sent no provisional response the proxy may
 * not CANCEL it (§9.1); and when no other contact answers 2xx, the proxy waits for that Timer B before it
 * sends alice the best final response (§16.7 steps 5-6).
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import { overUdp, runTransport } from '../../src/lab/transport.js';
import type { TraceMessage } from '../../src/trace/trace.js';
import { aliceInvite, branchTo, toAlice } from './branches.js';
import { alice, bob, contact, CONTACTS, registerContacts } from './contacts.js';

/** Timer checks allow the capture's jitter: a quarter of the interval plus 50 ms, as the timer rules do. */
const near = (actual: number, want: number) => Math.abs(actual - want) <= want * 0.25 + 0.05;

/** The proxy's copies of its INVITE to a contact, as seconds after the first, and the gaps that break Timer A. */
function timerA(branch: TraceMessage, t1Ms: number) {
  const copies = (branch.transaction?.requests ?? [branch]).filter((m) => m.from === 'proxy');
  const sent = copies.map((c) => +(c.time - branch.time).toFixed(3));
  const badGaps = copies
    .slice(1)
    .map((c, k) => ({ retransmission: k + 1, gap: +(c.time - copies[k].time).toFixed(3), want: (t1Ms / 1000) * 2 ** k }))
    .filter((g) => !near(g.gap, g.want));
  return { copies, sent, badGaps };
}

/** bob-2 hangs for longer than Timer B, so every copy the proxy sends (or wrongly keeps sending) is captured. */
function hungContact(lab: Lab) {
  const forMs = 64 * lab.plan.t1Ms + Math.max(1000, 8 * lab.plan.t1Ms);
  return contact(lab, 'bob-2').answer({ silentMs: forMs }).start({ timeoutMs: forMs + 10_000 });
}

describeLab('Branch timers of a forked INVITE (RFC 3261 §17.1.1.2)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const t1 = lab.plan.t1Ms;
  const timeoutMs = 64 * t1 + 40_000;

  const timerAOnUdp = overUdp('a client transaction has no Timer A (RFC 3261 §17.1.1.2): the proxy sends each INVITE once, which the Timer B test checks');
  lab.test('a contact that never answers: the proxy retransmits its INVITE on Timer A (T1, 2·T1, 4·T1 …), never CANCELs it, and stops by Timer B', { rfc: ['RFC 3261 §17.1.1.2', 'RFC 3261 §9.1', 'RFC 3261 §16.7'], timeoutMs, requires: timerAOnUdp }, async () => {
    await registerContacts(lab, CONTACTS.map((party) => ({ party })));
    const hung = await hungContact(lab);
    // bob-1 answers after 20·T1: by then Timer A has fired four times (1, 3, 7 and 15 T1), all below T2.
    const phones = [await contact(lab, 'bob-1').answer({ answerAfterMs: 20 * t1 }).start(), await contact(lab, 'bob-3').answer({ noAnswer: true }).start()];
    await alice(lab).call(bob(lab), { answerWithinMs: 20 * t1 + 10_000 }).bye({ afterMs: 50 }).run({ timeoutMs: 20 * t1 + 20_000 });
    for (const p of phones) await p.settle();
    await hung.done();
    const trace = await lab.trace();

    const branch = branchTo(trace, 'bob-2');
    const { sent, badGaps } = timerA(branch, t1);
    const answered = trace.one({ status: '2xx', cseqMethod: 'INVITE', from: 'proxy', to: 'alice' });
    const beforeAnswer = sent.filter((s) => s < answered.time - branch.time);
    expect({ sent, copiesBeforeTheAnswer: beforeAnswer.length >= 5 }).toEqual({ sent, copiesBeforeTheAnswer: true });
    expect({ sent, badGaps }).toEqual({ sent, badGaps: [] });
    // Once bob-1's 2xx wins the proxy may stop at once or run on to Timer B, but not past it.
    expect({ sent, pastTimerB: sent.filter((s) => s > ((64 * t1) / 1000) * 1.25 + 0.05) }).toEqual({ sent, pastTimerB: [] });

    expect(trace.find({ method: 'CANCEL', to: 'bob-2' })).toEqual([]);
    expect(trace.find({ from: 'bob-2', where: (m) => m.message.kind === 'response' })).toEqual([]);
    // The same call shows this proxy does cancel: bob-3 rang, so its branch is cancelled.
    expect(trace.first({ method: 'CANCEL', from: 'proxy', to: 'bob-3' })).toBeDefined();
    expect(toAlice(trace, '4xx')).toEqual([]);
  });

  lab.test('no contact answers 2xx: the proxy waits out the silent branch\'s Timer B (64·T1), then sends alice one final 4xx', { rfc: ['RFC 3261 §16.7 steps 5-6', 'RFC 3261 §17.1.1.2'], timeoutMs }, async () => {
    await registerContacts(lab, CONTACTS.map((party) => ({ party })));
    const hung = await hungContact(lab);
    const busy = { ring: false, status: '486 Busy Here' };
    const phones = [await contact(lab, 'bob-1').answer(busy).start(), await contact(lab, 'bob-3').answer(busy).start()];
    await alice(lab).call(bob(lab), { expect: 'reject', answerWithinMs: 64 * t1 + 10_000 }).run({ timeoutMs: 64 * t1 + 20_000 });
    for (const p of phones) await p.settle();
    await hung.done();
    const trace = await lab.trace();

    const invite = aliceInvite(trace);
    const branch = branchTo(trace, 'bob-2');
    const { sent, badGaps } = timerA(branch, t1);
    if (runTransport(lab.plan) === 'udp') {
      expect({ sent, badGaps }).toEqual({ sent, badGaps: [] });
      // 0, 1, 3, 7, 15, 31 (and 63) T1: Timer A keeps doubling until Timer B at 64·T1.
      expect({ sent, copies: sent.length >= 6 }).toEqual({ sent, copies: true });
    } else {
      // A reliable transport has no Timer A: one INVITE, and Timer B all the same (RFC 3261 §17.1.1.2).
      expect({ sent }).toEqual({ sent: [0] });
    }
    expect(trace.find({ method: 'CANCEL', to: 'bob-2' })).toEqual([]);

    for (const party of ['bob-1', 'bob-3']) expect(branchTo(trace, party)).toBeAnsweredWith(486);
    // Both 486s arrive at once; the final answer to alice waits for bob-2's branch to time out (Timer B).
    const finals = toAlice(trace, '4xx');
    expect(finals.length).toBe(1);
    expect([486, 408]).toContain(finals[0].status);
    const waited = +(finals[0].time - branch.time).toFixed(3);
    expect({ waited, timerB: near(waited, (64 * t1) / 1000) }).toEqual({ waited, timerB: true });
    expect(invite).toBeAnsweredWith('4xx');
  });
});
