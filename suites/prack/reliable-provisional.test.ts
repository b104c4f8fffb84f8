/**
 * Reliable provisional responses through a proxy (the course's exercise 6): alice calls bob, bob answers with
 * a reliable 183 carrying early SDP, alice PRACKs it. The proxy takes no part in the reliability (RFC 3262
 * §3 leaves it end to end) but must carry all of it: Supported/Require, RSeq and the SDP in the 183, each
 * retransmission, the PRACK and the UPDATE along the early dialog's route set, and the 420 of a UAS that
 * lacks 100rel.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { overUdp } from '../../src/lab/transport.js';
import { reliableCall, requireRejected } from './flows.js';
import { PCMA } from './flows.js';
import { TAG_100REL, copiesOf, inDialog, reliableProvisional, sdpBody } from './wire.js';
import type { TraceMessage } from '../../src/trace/trace.js';

describeLab('Reliable provisional responses through the proxy (RFC 3262)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const hostRe = () => new RegExp(lab.target.host.replace(/\./g, '\\.'));

  lab.test('a reliable 183 with RSeq and early SDP crosses the proxy, is PRACKed with RAck "RSeq CSeq INVITE" and the PRACK answered 200', { rfc: ['RFC 3262 §3', 'RFC 3262 §4', 'RFC 3262 §7', 'RFC 3262 §7.1', 'RFC 3262 §7.2'] }, async () => {
    const trace = await reliableCall(lab, { via: 'proxy' });
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    expect(invite).toHaveHeader('Supported', TAG_100REL);
    const forwarded = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
    expect(forwarded).toHaveHeader('Supported', TAG_100REL);

    const atBob = reliableProvisional(trace, 'bob', 'proxy');
    const atAlice = reliableProvisional(trace, 'proxy', 'alice');
    for (const r of [atBob, atAlice]) {
      expect(r.status).toBe(183);
      expect(r).toHaveHeader('Require', TAG_100REL);
      expect(r.message.rseq).toBeGreaterThanOrEqual(1);
      expect(r.message.rseq).toBeLessThanOrEqual(2 ** 31 - 1);
    }
    // Relayed as bob sent it: the same RSeq, the same early dialog, the SDP answer byte for byte.
    expect(atAlice.message.rseq).toBe(atBob.message.rseq);
    expect(atAlice.message.toTag).toBe(atBob.message.toTag);
    expect(sdpBody(atAlice)).toBe(sdpBody(atBob));

    const prack = inDialog(trace, 'PRACK', 'alice', 'proxy', atAlice.message.toTag);
    expect(prack.message.rack).toEqual({ rseq: atAlice.message.rseq, cseq: invite.message.cseq?.seq, method: 'INVITE' });
    expect(prack.message.cseq?.seq).toBeGreaterThan(invite.message.cseq?.seq ?? NaN);
    // The 183 made an early dialog the proxy record-routed: the PRACK follows its route set.
    expect(prack).toHaveHeader('Route', hostRe());
    const relayed = inDialog(trace, 'PRACK', 'proxy', 'bob', atBob.message.toTag);
    expect(relayed.message.rack).toEqual(prack.message.rack);
    expect(relayed).toBeAnsweredWith(200);
    expect(prack).toBeAnsweredWith(200);

    // The call goes on to its 200 only after the PRACK's (RFC 3262 §3: no 2xx before the 1xx with SDP is PRACKed).
    const prackOk = trace.one({ status: 200, from: 'proxy', to: 'alice', cseqMethod: 'PRACK' });
    const inviteOk = trace.one({ status: 200, from: 'proxy', to: 'alice', cseqMethod: 'INVITE' });
    expect(inviteOk.index).toBeGreaterThan(prackOk.index);
  });

  // RFC 3262 §3 has the UAS retransmit whatever the transport, but SIPp, the lab's UAS here, retransmits only over UDP.
  const sippRetransmits = overUdp("bob's user agent (SIPp) does not retransmit its reliable 183, so there is no copy for the proxy to relay");
  lab.test('bob retransmits his unacknowledged reliable 183 until it is PRACKed, and the proxy relays each copy at once, inventing none', { rfc: ['RFC 3262 §3', 'RFC 3261 §16.7'], requires: sippRetransmits }, async () => {
    const t1 = lab.plan.t1Ms;
    // alice holds her PRACK back for ten T1: copies are due at 1, 3 and 7 T1, the next one not before 15 T1.
    const trace = await reliableCall(lab, { via: 'proxy', caller: { prackAfterMs: 10 * t1 } });
    const atBob = reliableProvisional(trace, 'bob', 'proxy');
    const atAlice = reliableProvisional(trace, 'proxy', 'alice');
    const prackAtBob = inDialog(trace, 'PRACK', 'proxy', 'bob', atBob.message.toTag);
    const before = (copies: typeof atBob[], t: number) => copies.filter((c) => c.time < t);
    const sent = copiesOf(trace, atBob);
    const relayed = copiesOf(trace, atAlice);
    // bob's copies are the lab's own (SIPp's timers, on a loaded machine): the stimulus, not the verdict. What
    // the proxy must do is relay each of them as it comes (a stateful proxy forwards every provisional,
    // RFC 3261 §16.7 step 5), in order, and add none of its own.
    expect(before(sent, prackAtBob.time).length).toBeGreaterThanOrEqual(4);
    const lag = (c: TraceMessage, i: number) => (relayed[i] ? Math.round((relayed[i].time - c.time) * 1000) : 'never');
    const lags = sent.map(lag);
    expect({ lags, prompt: lags.every((l) => typeof l === 'number' && l >= 0 && l <= Math.max(100, 2 * t1)) }).toEqual({ lags, prompt: true });
    expect({ sent: sent.length, relayed: relayed.length }).toEqual({ sent: sent.length, relayed: sent.length });
    // Once the PRACK is in, no copy goes out any more (a copy already on its way may cross it).
    expect(relayed.filter((c) => c.time > prackAtBob.time + Math.max(0.1, (2 * t1) / 1000))).toEqual([]);
    expect(inDialog(trace, 'PRACK', 'alice', 'proxy', atAlice.message.toTag)).toBeAnsweredWith(200);
  });

  lab.test('an INVITE that requires 100rel reaches a UAS without it, which answers 420 with Unsupported: 100rel, relayed to alice', { rfc: ['RFC 3261 §8.2.2.3', 'RFC 3261 §16.6', 'RFC 3262 §4'] }, async () => {
    const trace = await requireRejected(lab);
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    expect(invite).toHaveHeader('Require', TAG_100REL);
    // Require is for the UAS alone (RFC 3261 §20.32): a proxy neither rejects on it nor removes it.
    const forwarded = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
    expect(forwarded).toHaveHeader('Require', TAG_100REL);
    expect(forwarded).toBeAnsweredWith(420);
    expect(invite).toBeAnsweredWith(420);
    const rejection = trace.one({ status: 420, from: 'proxy', to: 'alice' });
    expect(rejection).toHaveHeader('Unsupported', /\b100rel\b/i);
    // Both ACKs of the 420 (alice's to the proxy, the proxy's own to bob) are on the INVITE's branch.
    expect(invite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
    expect(forwarded.transaction?.acks.length).toBeGreaterThanOrEqual(1);
    expect(trace.find({ method: 'PRACK' })).toEqual([]);
  });

  lab.test('UPDATE in the early dialog: after the PRACK, a new offer in UPDATE is answered in its 200, all before the INVITE\'s 2xx', { rfc: ['RFC 3311 §5.1', 'RFC 3311 §5.2', 'RFC 3264 §8'] }, async () => {
    const trace = await reliableCall(lab, { via: 'proxy', caller: { update: true } });
    const atAlice = reliableProvisional(trace, 'proxy', 'alice');
    // bob said he accepts UPDATE (RFC 3311 §5.1: the UAC only sends it to a UAS that allows it).
    expect(atAlice).toHaveHeader('Allow', /\bUPDATE\b/);
    const prack = inDialog(trace, 'PRACK', 'alice', 'proxy', atAlice.message.toTag);
    const update = inDialog(trace, 'UPDATE', 'alice', 'proxy', atAlice.message.toTag);
    expect(update).toHaveHeader('Route', hostRe());
    expect(update.message.cseq?.seq).toBeGreaterThan(prack.message.cseq?.seq ?? NaN);
    expect(sdpBody(update)).toMatch(/m=audio \d+ RTP\/AVP 8\r?\n/);

    const atBob = inDialog(trace, 'UPDATE', 'proxy', 'bob', atAlice.message.toTag);
    expect(atBob).toBeAnsweredWith(200);
    expect(update).toBeAnsweredWith(200);
    const answer = trace.one({ status: 200, transaction: update.transaction });
    // The answer takes the offer's one stream and its codec (PCMA), and bob's description moves to its next version.
    expect(sdpBody(answer)).toMatch(new RegExp(`m=audio \\d+ RTP/AVP ${PCMA}\\r?\\n`));
    const version = (body: string) => Number(/^o=\S+ \S+ (\d+)/m.exec(body)?.[1]);
    expect(version(sdpBody(answer))).toBe(version(sdpBody(atAlice)) + 1);

    const inviteOk = trace.one({ status: 200, from: 'proxy', to: 'alice', cseqMethod: 'INVITE' });
    expect(answer.index).toBeLessThan(inviteOk.index);
  });
});
