/**
 * Reliable provisional responses on a PBX (a B2BUA, RFC 3261 §6): unlike a proxy it is an end of both legs.
 * Towards alice it is the UAS that sends reliable provisionals, retransmits them and answers PRACK and
 * UPDATE; towards bob it is the UAC that PRACKs bob's reliable 183 in its own dialog.
 *
 * alice requires 100rel rather than only supporting it: RFC 3262 §3 leaves a UAS free to send its
 * provisionals unreliably to a UAC that merely supports it, and Asterisk's 100rel=yes does exactly that (it
 * sends them reliably when asked to, or with 100rel=peer_supported).
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { reliableCall } from './flows.js';
import { PCMA } from './flows.js';
import { TAG_100REL, copiesOf, expectDoublingFromT1, inDialog, reliableProvisional, requires100rel, sdpBody, supports100rel } from './wire.js';

const REQUIRED = { require100rel: true };

/** alice's INVITE that got through: the one sent again with credentials. */
const lastInvite = (trace: Awaited<ReturnType<typeof reliableCall>>) => trace.one({ method: 'INVITE', from: 'alice', where: (m) => m.message.has('Authorization') || m.message.has('Proxy-Authorization') });

describeLab('Reliable provisional responses on a PBX (RFC 3262, RFC 3311)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test('the PBX sends alice a reliable provisional with RSeq and early SDP, answers her PRACK 200, and PRACKs bob\'s reliable 183 itself', { rfc: ['RFC 3262 §3', 'RFC 3262 §4', 'RFC 3262 §7', 'RFC 3262 §7.1', 'RFC 3262 §7.2'] }, async () => {
    const trace = await reliableCall(lab, { via: 'pbx', caller: REQUIRED });
    const invite = lastInvite(trace);
    expect(invite).toHaveHeader('Require', TAG_100REL);
    const toAlice = reliableProvisional(trace, 'pbx', 'alice');
    expect(toAlice).toHaveHeader('Require', TAG_100REL);
    expect(toAlice.message.rseq).toBeGreaterThanOrEqual(1);
    expect(toAlice.message.rseq).toBeLessThanOrEqual(2 ** 31 - 1);
    sdpBody(toAlice);
    const prack = inDialog(trace, 'PRACK', 'alice', 'pbx', toAlice.message.toTag);
    expect(prack.message.rack).toEqual({ rseq: toAlice.message.rseq, cseq: invite.message.cseq?.seq, method: 'INVITE' });
    expect(prack).toBeAnsweredWith(200);

    // bob's leg: the PBX offers 100rel, and acknowledges bob's 183 with RAck "RSeq, its own INVITE's CSeq, INVITE".
    const toBob = trace.one({ method: 'INVITE', from: 'pbx', to: 'bob' });
    expect(supports100rel(toBob) || requires100rel(toBob) ? '100rel offered' : `${toBob.label} to bob has neither Supported nor Require: 100rel`).toBe('100rel offered');
    const fromBob = reliableProvisional(trace, 'bob', 'pbx');
    const pbxPrack = inDialog(trace, 'PRACK', 'pbx', 'bob', fromBob.message.toTag);
    expect(pbxPrack.message.rack).toEqual({ rseq: fromBob.message.rseq, cseq: toBob.message.cseq?.seq, method: 'INVITE' });
    expect(pbxPrack.message.callId).toBe(toBob.message.callId);
    expect(pbxPrack).toBeAnsweredWith(200);

    const prackOk = trace.one({ status: 200, transaction: prack.transaction });
    const inviteOk = trace.one({ status: 200, from: 'pbx', to: 'alice', cseqMethod: 'INVITE' });
    expect(inviteOk.index).toBeGreaterThan(prackOk.index);
  });

  lab.test('the PBX retransmits its unacknowledged reliable provisional at T1, 2·T1, 4·T1 and stops once PRACKed', {
    rfc: 'RFC 3262 §3',
    requires: (t) => {
      const from = t.pbx?.reliableRetransmitFromT1 ?? 1;
      return from === 1 ? true : `target ${t.name} declares that it first retransmits an un-PRACKed reliable provisional after ${from}·T1 (pbx.reliableRetransmitFromT1: ${from}), where RFC 3262 §3 starts at T1`;
    },
  }, async () => {
    const t1 = lab.plan.t1Ms;
    // alice holds her PRACK back for ten T1: copies are due at 1, 3 and 7 T1, the next one not before 15 T1.
    const trace = await reliableCall(lab, { via: 'pbx', caller: { ...REQUIRED, prackAfterMs: 10 * t1 } });
    const toAlice = reliableProvisional(trace, 'pbx', 'alice');
    const prack = inDialog(trace, 'PRACK', 'alice', 'pbx', toAlice.message.toTag);
    const copies = copiesOf(trace, toAlice);
    const before = copies.filter((c) => c.time < prack.time);
    expectDoublingFromT1(before.slice(0, 4), t1, 'A PBX that starts later on purpose (Asterisk\'s PJSIP waits 2·T1) can declare pbx.reliableRetransmitFromT1 in the target file.');
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(copies.filter((c) => c.time > prack.time + t1 / 1000 / 2)).toEqual([]);
    expect(prack).toBeAnsweredWith(200);
  });

  lab.test('UPDATE in the early dialog: the PBX answers alice\'s new offer in the 200 to her UPDATE, before the INVITE\'s 2xx', { rfc: ['RFC 3311 §5.1', 'RFC 3311 §5.2'] }, async () => {
    const trace = await reliableCall(lab, { via: 'pbx', caller: { ...REQUIRED, update: true }, callee: { answerAfterMs: 5 * lab.plan.t1Ms } });
    const toAlice = reliableProvisional(trace, 'pbx', 'alice');
    expect(toAlice).toHaveHeader('Allow', /\bUPDATE\b/);
    const update = inDialog(trace, 'UPDATE', 'alice', 'pbx', toAlice.message.toTag);
    expect(update).toBeAnsweredWith(200);
    const answer = trace.one({ status: 200, transaction: update.transaction });
    expect(sdpBody(answer)).toMatch(new RegExp(`m=audio \\d+ RTP/AVP ${PCMA}\\r?\\n`));
    const inviteOk = trace.one({ status: 200, from: 'pbx', to: 'alice', cseqMethod: 'INVITE' });
    expect(answer.index).toBeLessThan(inviteOk.index);
    expect(trace.find({ status: '2xx', from: 'pbx', to: 'alice', cseqMethod: 'UPDATE' }).length).toBeGreaterThanOrEqual(1);
  });
});
