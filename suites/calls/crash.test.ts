/**
 * A crashed endpoint (exercise 4): bob answers, the call is up, and bob's phone dies right after the ACK (no
 * BYE, its socket gone). alice then hangs up. Her BYE crosses the proxy towards nobody; RFC 3261 allows three
 * endings: the proxy's client transaction times out (Timer F) and it answers 408 (§16.7 step 10, §16.9),
 * something answers 481 (no such dialog, §12.2.2), or no final response comes and alice's own Timer F ends it
 * (§17.1.2.2). What must not happen is a 200 for a BYE that nobody took. The test passes on any of the three,
 * says which one it saw, and holds each to its timing.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { overUdp } from '../../src/lab/transport.js';
import { attachText } from '../../src/report/allure.js';

/** RFC 3261 §17.1.2.2: Timer F, the non-INVITE client transaction's timeout, is 64·T1. */
const timerF = (t1Ms: number) => 64 * t1Ms;
/** How long a final response to the BYE may take: Timer F, and time for the proxy's own Timer F (started a hop later) to end. */
const byeWaitMs = (t1Ms: number) => timerF(t1Ms) + Math.max(1000, 16 * t1Ms);

/** A crashed callee over TCP refuses the connection: a transport error, not a silence. */
const silentCallee = overUdp('a dead callee refuses the connection at once (a transport error, RFC 3261 §18.4): this test is about a callee that goes silent, over UDP');

describeLab('A callee that crashes mid-call (RFC 3261 §16.7, §17.1.2)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const t1 = lab.plan.t1Ms;
  lab.test("the callee crashes after the ACK: alice's BYE gets 408 or 481, or times out by Timer F (64·T1), and never a 200 for the dead callee", { rfc: ['RFC 3261 §16.7', 'RFC 3261 §16.9', 'RFC 3261 §17.1.2.2'], requires: silentCallee, timeoutMs: 30_000 + 2 * byeWaitMs(t1) }, async () => {
    const alice = lab.ua('alice', lab.account(0));
    const bob = lab.ua('bob', lab.account(1));
    await bob.register();
    const crashing = await bob.answer({ crashAfterAck: true }).start();
    await alice.call(bob).pause(Math.max(1000, 4 * t1)).bye({ untilTimerF: true }).run({ timeoutMs: byeWaitMs(t1) + 20_000 });
    await crashing.done();
    // alice's SIPp gives up at her own Timer F, while the proxy's (started a hop later) still runs: wait for its
    // 408 or 481, or for its Timer F to be over, so that no late retransmission reaches the next test's bob.
    await lab.onWire((t) => {
      const done = t.first({ method: 'BYE', from: 'alice' })?.transaction?.responses.some((r) => r.to === 'alice' && (r.status === 408 || r.status === 481));
      const forwarded = t.first({ method: 'BYE', from: 'proxy', to: 'bob' });
      return !!done || (!!forwarded && Date.now() / 1000 - forwarded.time >= byeWaitMs(t1) / 1000);
    }, byeWaitMs(t1));
    const trace = await lab.trace();

    // The crash is real: the call was up, and bob sent nothing once it had the ACK.
    const ack = trace.one({ method: 'ACK', from: 'proxy', to: 'bob' });
    expect(trace.find({ from: 'bob', after: ack }).map((m) => m.label)).toEqual([]);
    const bye = trace.one({ method: 'BYE', from: 'alice' });

    // The proxy tried: it forwarded the BYE to bob's Contact.
    const tries = trace.find({ method: 'BYE', from: 'proxy', to: 'bob' });
    expect({ byeForwardedToBob: tries.length > 0 }).toEqual({ byeForwardedToBob: true });

    const finals = trace.responsesTo(bye).filter((r) => r.to === 'alice' && (r.status ?? 0) >= 200);
    // Nobody took the BYE, so nobody may confirm it.
    expect({ successForDeadCallee: finals.filter((r) => (r.status ?? 0) < 300).map((r) => `${r.from}: ${r.label}`) }).toEqual({ successForDeadCallee: [] });
    const first = finals.at(0);
    const outcome = first ? String(first.status) : 'timeout';
    expect(['408', '481', 'timeout']).toContain(outcome);
    if (outcome !== '481') {
      // Waiting on a silent callee, the proxy retransmitted the BYE (Timer E, §17.1.2.2).
      expect({ byeRetransmittedToBob: tries.length >= 2 }).toEqual({ byeRetransmittedToBob: true });
    }
    if (first && outcome === '408') {
      // The proxy's 408 is its client transaction's Timer F (64·T1) running out, not an early guess (§16.7 step 10).
      const waitedMs = Math.round((first.time - tries[0].time) * 1000);
      expect({ waitedMs, atLeast: waitedMs >= 0.9 * timerF(t1) }).toEqual({ waitedMs, atLeast: true });
    }
    if (outcome === 'timeout') {
      // No final response at all: alice gave up only after her own Timer F.
      const lastByeMs = Math.round(((trace.last({ method: 'BYE', from: 'alice' })?.time ?? 0) - bye.time) * 1000);
      expect({ lastByeMs, pastTimerF: lastByeMs >= 0.5 * timerF(t1) }).toEqual({ lastByeMs, pastTimerF: true });
    }
    await attachText('outcome', `alice's BYE: ${first ? `${first.label} from ${first.from}, ${Math.round((first.time - bye.time) * 1000)} ms after it` : `no final response within ${byeWaitMs(t1)} ms (Timer F ${timerF(t1)} ms)`}; the proxy sent the BYE to bob ${tries.length} times`);
  });
});
