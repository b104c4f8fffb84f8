/**
 * Session timers (RFC 4028): alice calls bob with Supported: timer, Session-Expires and Min-SE; the answer
 * fixes the interval and names the refresher, who refreshes the session at half the interval; without a
 * refresh the other side ends it before it expires. Through a proxy, which must carry all of it untouched
 * (or lower Session-Expires no further than Min-SE); and against a PBX, a B2BUA that runs the timers itself.
 *
 * The refresh and the expiry wait out real time: RFC 4028 puts the interval at 90 s at least (§4, §5), so a
 * refresh comes at 45 s and a lapsed session ends at 60 s (§10). They are background tests, running while
 * the rest of the file does. The user agents could agree on 90 s and act sooner, but then the wire would show
 * a refresh or a BYE that has nothing to do with the interval, and the test could not fail for the reason it
 * names; nor may they agree on less, since a Session-Expires below 90 s breaks §4 wherever it appears.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';
import { timing } from '../../src/ua/index.js';
import { answering, calling } from './flows.js';
import { grants, interval, inviteOk, minSE, present, refreshes, secondsBetween, supportsTimer } from './wire.js';

/** The shortest interval RFC 4028 allows (§4): the refresh and expiry tests wait for it. */
const SHORTEST = 90;
/** A background test's SIPps and its own timeout: the interval, and time to set up and hang up. */
const sippWait = (se: number) => (se + 30) * 1000;
const testWait = (se: number) => (se + 60) * 1000;

describeLab('Session timers through a proxy (RFC 4028)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const t1Ms = () => lab.plan.t1Ms;

  lab.test('the proxy carries Supported: timer, Session-Expires and Min-SE to the UAS, lowering Session-Expires no further than Min-SE, and the 2xx names the refresher', { rfc: ['RFC 4028 §8.1', 'RFC 4028 §8.2', 'RFC 4028 §9'] }, async () => {
    const bob = lab.ua('bob', lab.account(1));
    await bob.register();
    const uas = await answering(bob, { refresher: 'uac' });
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se: 1800, minSE: SHORTEST }, then: 'hangup' });
    await uas.settle();
    const trace = await lab.trace();

    const asked = trace.earliest({ method: 'INVITE', from: 'alice', to: 'proxy' });
    const forwarded = trace.earliest({ method: 'INVITE', from: 'proxy', to: 'bob' });
    supportsTimer(forwarded);
    // §8.1: the proxy may raise Min-SE, and lower Session-Expires, but never below that Min-SE.
    expect(minSE(forwarded)).toBeGreaterThanOrEqual(minSE(asked));
    expect(interval(forwarded).seconds).toBeLessThanOrEqual(interval(asked).seconds);
    expect(interval(forwarded).seconds).toBeGreaterThanOrEqual(minSE(forwarded));

    const granted = inviteOk(trace, 'bob', 'proxy');
    const toAlice = inviteOk(trace, 'proxy', 'alice');
    // §8.2: the interval and refresher are the UAS's to set; a proxy does not modify the Session-Expires of a response.
    expect(toAlice.message.get('Session-Expires')).toBe(granted.message.get('Session-Expires'));
    grants(toAlice, 'uac');
    expect(interval(toAlice).seconds).toBeLessThanOrEqual(interval(asked).seconds);
    expect(interval(toAlice).seconds).toBeGreaterThanOrEqual(minSE(asked));
    expect(r.ok).toBe(true);
  });

  lab.test('a UAS refusing a short interval answers 422 with Min-SE; the proxy relays it, and the retry (same Call-ID, next CSeq, Session-Expires raised to Min-SE) is answered', { rfc: ['RFC 4028 §6', 'RFC 4028 §7.3', 'RFC 4028 §9'] }, async () => {
    const bob = lab.ua('bob', lab.account(1));
    const bobsMinimum = 120;
    await bob.register();
    const uas = await answering(bob, { refresher: 'uac', minSE: bobsMinimum });
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se: SHORTEST, minSE: SHORTEST }, then: 'hangup' });
    await uas.settle();
    const trace = await lab.trace();

    const refused = trace.earliest({ status: 422, from: 'proxy', to: 'alice' });
    expect(minSE(refused)).toBe(bobsMinimum);
    const [first, retry] = trace.find({ method: 'INVITE', from: 'alice', to: 'proxy', retransmissions: false, challenged: false });
    expect(first).toBeAnsweredWith(422);
    // The 422 ended bob's INVITE transaction at the proxy too: it ACKed it on its own hop.
    const refusedHop = trace.earliest({ method: 'INVITE', from: 'proxy', to: 'bob' });
    expect(refusedHop).toBeAnsweredWith(422);
    expect(refusedHop.transaction?.acks.length).toBeGreaterThanOrEqual(1);

    present(retry, 'the retried INVITE from alice');
    expect(retry.message.callId).toBe(first.message.callId);
    expect(retry.message.fromTag).toBe(first.message.fromTag);
    expect(retry.message.cseq?.seq).toBeGreaterThan(first.message.cseq?.seq ?? NaN);
    expect(interval(retry).seconds).toBeGreaterThanOrEqual(bobsMinimum);
    expect(minSE(retry)).toBeGreaterThanOrEqual(bobsMinimum);
    const retried = trace.earliest({ method: 'INVITE', from: 'proxy', to: 'bob', after: refused });
    expect(minSE(retried)).toBeGreaterThanOrEqual(bobsMinimum);
    expect(retry).toBeAnsweredWith(200);
    expect(interval(inviteOk(trace, 'proxy', 'alice')).seconds).toBeGreaterThanOrEqual(bobsMinimum);
    expect(r.ok).toBe(true);
  });

  for (const refresher of ['uac', 'uas'] as const) {
    lab.test(`refresher=${refresher} asked by the caller reaches the callee and comes back in the 2xx${refresher === 'uac' ? ' with Require: timer' : ''}`, { rfc: ['RFC 4028 §7.1', 'RFC 4028 §9'] }, async () => {
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const uas = await answering(bob, { refresher });
      const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se: 1800, minSE: SHORTEST, refresher }, then: 'hangup' });
      await uas.settle();
      const trace = await lab.trace();
      const forwarded = trace.earliest({ method: 'INVITE', from: 'proxy', to: 'bob' });
      expect(interval(forwarded).refresher).toBe(refresher);
      grants(inviteOk(trace, 'proxy', 'alice'), refresher);
      expect(r.ok).toBe(true);
    });
  }

  lab.test('the refresher (here the callee) refreshes with an UPDATE by half the interval; the proxy routes it in the dialog, and it and its 2xx carry Session-Expires', { rfc: ['RFC 4028 §8', 'RFC 4028 §10'], background: true, timeoutMs: testWait(SHORTEST) }, async (lab) => {
    // The foreground tests call the second account; this call goes to the third, or the registrar would
    // fork one test's INVITE to the other's bob.
    const bob = lab.ua('bob', lab.account(2));
    const se = SHORTEST;
    await bob.register();
    const uas = await answering(bob, { refresher: 'uas', then: 'refresh', se }, sippWait(se));
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se, minSE: se }, then: 'refreshed', waitMs: se * 1000 }, sippWait(se));
    await uas.settle();
    const trace = await lab.trace();

    const toAlice = inviteOk(trace, 'proxy', 'alice');
    grants(toAlice, 'uas');
    expect(interval(toAlice).seconds).toBe(se);
    const [update] = refreshes(trace, inviteOk(trace, 'bob', 'proxy'), { from: 'bob', to: 'proxy' });
    present(update, 'the refresh from bob');
    const relayed = present(refreshes(trace, toAlice, { from: 'proxy', to: 'alice' })[0], 'the refresh relayed to alice');
    expect(relayed.method).toBe(update.method);
    expect(secondsBetween(toAlice, relayed)).toBeLessThanOrEqual(se / 2 + 2);
    // Loose-routed to alice's Contact, with the interval it renews.
    const aliceContact = trace.earliest({ method: 'INVITE', from: 'alice' }).message.contacts[0]?.uriText.replace(/^<|>$/g, '');
    expect(relayed.message.kind === 'request' ? relayed.message.uri?.raw : undefined).toBe(aliceContact);
    expect(interval(relayed).seconds).toBe(interval(update).seconds);
    const renewed = trace.earliest({ status: 200, from: 'proxy', to: 'bob', cseqMethod: update.method });
    interval(renewed);
    expect(trace.first({ method: 'BYE', before: relayed })).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  lab.test('without a refresh, the other side ends the session with a BYE before it expires, and the proxy carries it', { rfc: 'RFC 4028 §10', background: true, timeoutMs: testWait(SHORTEST) }, async (lab) => {
    // The first account as callee: the foreground's bob and the refresh test's have the other two.
    const bob = lab.ua('bob', lab.account(0));
    const se = SHORTEST;
    await bob.register();
    const uas = await answering(bob, { refresher: 'uac', then: 'expire', se }, sippWait(se));
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se, minSE: se, refresher: 'uac' }, then: 'silent', waitMs: se * 1000 + 10_000 }, sippWait(se));
    await uas.settle();
    const trace = await lab.trace();
    expectLapsedSession(trace, inviteOk(trace, 'proxy', 'alice'), se, { bye: { from: 'proxy', to: 'alice' } });
    const sent = trace.earliest({ method: 'BYE', from: 'bob', to: 'proxy' });
    expect(sent).toBeAnsweredWith(200);
    expect(r.ok).toBe(true);
  });
});

/**
 * The session of `ok` lapsed: no refresh after it, and a BYE (the one `bye` names) once the refresh was overdue
 * but before the interval ran out (§10 recommends min(32 s, a third) before it), answered 200.
 */
function expectLapsedSession(trace: Trace, ok: TraceMessage, se: number, o: { bye: { from: string; to: string } }): void {
  grants(ok, 'uac');
  expect(interval(ok).seconds).toBe(se);
  expect(refreshes(trace, ok)).toEqual([]);
  const bye = trace.earliest({ method: 'BYE', ...o.bye, after: ok });
  expect(bye.message.callId).toBe(ok.message.callId);
  const after = secondsBetween(ok, bye);
  expect(after).toBeGreaterThan(se / 2);
  expect(after).toBeLessThan(se);
  expect(bye).toBeAnsweredWith(200);
}

/** A PBX that runs session timers itself declares it (sessionTimers in the target file). */
const timersDeclared = (t: TargetPlan) => (t.sessionTimers ? true : `target ${t.name} declares no session timers of its own (sessionTimers: { minSE } in the target file)`);
const withEcho = (t: TargetPlan) => {
  const timers = timersDeclared(t);
  if (timers !== true) return timers;
  return t.features.echo ? true : `target ${t.name} declares no echo extension (features.echo), which these tests call to reach the PBX itself`;
};
/** The interval the PBX's own tests ask for: the shortest it accepts. */
const pbxInterval = (lab: Lab) => Math.max(SHORTEST, lab.plan.sessionTimers?.minSE ?? SHORTEST);

describeLab('Session timers on a PBX (RFC 4028)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  const alice = () => lab.account(0);

  lab.test('the PBX answers a timer offer with Session-Expires and the refresher, and offers timers on its own leg to bob', { rfc: ['RFC 4028 §7.1', 'RFC 4028 §9'], requires: timersDeclared }, async () => {
    const bob = lab.ua('bob', lab.account(1));
    await bob.register();
    const uas = await answering(bob, { refresher: 'uac' });
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se: 1800, minSE: SHORTEST }, then: 'hangup' });
    await uas.settle();
    const trace = await lab.trace();

    const toAlice = inviteOk(trace, 'pbx', 'alice');
    const got = interval(toAlice);
    expect(got.refresher === 'uac' || got.refresher === 'uas').toBe(true);
    grants(toAlice, got.refresher!);
    expect(got.seconds).toBeLessThanOrEqual(1800);
    expect(got.seconds).toBeGreaterThanOrEqual(SHORTEST);
    // A B2BUA is the UAC of bob's leg: its own INVITE offers the extension with an interval of its own.
    const own = trace.earliest({ method: 'INVITE', from: 'pbx', to: 'bob' });
    supportsTimer(own);
    expect(interval(own).seconds).toBeGreaterThanOrEqual(Math.max(SHORTEST, own.message.minSE ?? SHORTEST));
    expect(r.ok).toBe(true);
  });

  lab.test('an interval below the PBX\'s minimum gets 422 with its Min-SE, and the retry at that Min-SE is answered', { rfc: ['RFC 4028 §6', 'RFC 4028 §7.3', 'RFC 4028 §9'], requires: withEcho }, async () => {
    const minimum = lab.plan.sessionTimers!.minSE;
    // Below a minimum of 90 s only an interval the RFC forbids a UAC to ask for remains (§4): that one, then,
    // since the UAS must refuse it all the same.
    const below = minimum > SHORTEST ? SHORTEST : 60;
    const r = await calling(lab.ua('alice', lab.account(0)), lab.plan.features.echo, { offer: { se: below }, then: 'hangup' });
    const trace = await lab.trace();

    const refused = trace.earliest({ status: 422, from: 'pbx', to: 'alice' });
    expect(minSE(refused)).toBe(minimum);
    const invites = trace.find({ method: 'INVITE', from: 'alice', retransmissions: false });
    const refusedInvite = present(refused.transaction?.request, 'the refused INVITE');
    const retry = present(invites.find((m) => m.index > refused.index), 'the INVITE alice sent after the 422');
    expect(retry.message.callId).toBe(refusedInvite.message.callId);
    expect(retry.message.cseq?.seq).toBeGreaterThan(refusedInvite.message.cseq?.seq ?? NaN);
    expect(interval(retry).seconds).toBeGreaterThanOrEqual(minimum);
    expect(retry).toBeAnsweredWith(200);
    expect(interval(inviteOk(trace, 'pbx', 'alice')).seconds).toBeGreaterThanOrEqual(minimum);
    expect(r.ok).toBe(true);
  });

  lab.test('refused with 422 by bob, the PBX retries its INVITE in the same call with Session-Expires and Min-SE raised to bob\'s Min-SE', { rfc: 'RFC 4028 §7.3', requires: timersDeclared }, async () => {
    const bob = lab.ua('bob', lab.account(1));
    // Above any interval a PBX would offer by itself (Asterisk's default is 1800 s).
    const bobsMinimum = 7200;
    await bob.register();
    const uas = await answering(bob, { refresher: 'uac', minSE: bobsMinimum });
    const r = await calling(lab.ua('alice', lab.account(0)), bob, { offer: { se: 1800, minSE: SHORTEST }, then: 'hangup' });
    await uas.settle();
    const trace = await lab.trace();

    const refused = trace.earliest({ status: 422, from: 'bob', to: 'pbx' });
    const [first, retry] = trace.find({ method: 'INVITE', from: 'pbx', to: 'bob', retransmissions: false });
    expect(first).toBeAnsweredWith(422);
    expect(first.transaction?.acks.length).toBeGreaterThanOrEqual(1);
    present(retry, 'the PBX\'s INVITE to bob after the 422');
    expect(retry.index).toBeGreaterThan(refused.index);
    expect(retry.message.callId).toBe(first.message.callId);
    expect(retry.message.fromTag).toBe(first.message.fromTag);
    expect(retry.message.cseq?.seq).toBeGreaterThan(first.message.cseq?.seq ?? NaN);
    expect(interval(retry).seconds).toBeGreaterThanOrEqual(bobsMinimum);
    expect(minSE(retry)).toBeGreaterThanOrEqual(bobsMinimum);
    expect(retry).toBeAnsweredWith(200);
    expect(r.ok).toBe(true);
  });

  for (const refresher of ['uac', 'uas'] as const) {
    lab.test(`asked for refresher=${refresher}, the PBX grants it in the 2xx${refresher === 'uac' ? ' with Require: timer' : ''}`, { rfc: 'RFC 4028 §9', requires: withEcho }, async () => {
      const r = await calling(lab.ua('alice', lab.account(0)), lab.plan.features.echo, { offer: { se: 1800, minSE: SHORTEST, refresher }, then: 'hangup' });
      const trace = await lab.trace();
      grants(inviteOk(trace, 'pbx', 'alice'), refresher);
      expect(r.ok).toBe(true);
    });
  }

  lab.test('as the refresher, the PBX refreshes the session (UPDATE or re-INVITE with Session-Expires) by half the interval', { rfc: ['RFC 4028 §7.4', 'RFC 4028 §10'], requires: withEcho, background: true, timeoutMs: testWait(SHORTEST) }, async (lab) => {
    const se = pbxInterval(lab);
    const r = await calling(lab.ua('alice', lab.account(0)), lab.plan.features.echo, { offer: { se, minSE: se, refresher: 'uas' }, then: 'refreshed', waitMs: se * 1000 }, sippWait(se));
    const trace = await lab.trace();

    const ok = inviteOk(trace, 'pbx', 'alice');
    grants(ok, 'uas');
    expect(interval(ok).seconds).toBe(se);
    const refresh = present(refreshes(trace, ok, { from: 'pbx', to: 'alice' })[0], 'a refresh from the PBX');
    expect(secondsBetween(ok, refresh)).toBeLessThanOrEqual(timing(se).refreshAtMs / 1000 + 2);
    expect(interval(refresh).seconds).toBeGreaterThanOrEqual(se);
    expect(refresh).toBeAnsweredWith(200);
    expect(trace.first({ method: 'BYE', before: refresh })).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  lab.test('when the caller, the refresher, never refreshes, the PBX ends the session with a BYE before it expires', { rfc: 'RFC 4028 §10', requires: withEcho, background: true, timeoutMs: testWait(SHORTEST) }, async (lab) => {
    const se = pbxInterval(lab);
    const r = await calling(lab.ua('alice', lab.account(0)), lab.plan.features.echo, { offer: { se, minSE: se, refresher: 'uac' }, then: 'silent', waitMs: se * 1000 + 10_000 }, sippWait(se));
    const trace = await lab.trace();
    expectLapsedSession(trace, inviteOk(trace, 'pbx', 'alice'), se, { bye: { from: 'pbx', to: 'alice' } });
    expect(r.ok).toBe(true);
  });
});
