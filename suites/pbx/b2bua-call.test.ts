/**
 * A call through a PBX (the course's "PBX example using a B2BUA"): alice calls bob, both registered with the
 * PBX. A B2BUA is not a proxy: it ends alice's dialog and starts its own towards bob (RFC 3261 §6, RFC 7092
 * §3.1). What must hold on the wire: two dialogs with their own Call-ID, tags and CSeq numbering, the SDP of
 * each leg written by the PBX, and the end of one leg carried to the other.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab } from '../../src/lab/fixture.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';
import { aliceCallsBobViaPbx } from './flows.js';

/** The two legs' INVITEs that got through (the credentialed retry on alice's side) and the 2xx of each. */
function legs(trace: Trace) {
  const aInvite = trace.one({ method: 'INVITE', from: 'alice', to: 'pbx', where: (m) => m.message.has('Authorization') || m.message.has('Proxy-Authorization') });
  const bInvite = trace.one({ method: 'INVITE', from: 'pbx', to: 'bob' });
  const aOk = trace.one({ status: 200, from: 'pbx', to: 'alice', cseqMethod: 'INVITE' });
  const bOk = trace.one({ status: 200, from: 'bob', to: 'pbx', cseqMethod: 'INVITE' });
  return { aInvite, bInvite, aOk, bOk };
}

function sdpOf(m: TraceMessage) {
  expect(m).toHaveHeader('Content-Type', /application\/sdp/);
  return sdpTransform.parse(m.message.bodyText);
}

describeLab('A call through a PBX (B2BUA, RFC 3261 §6)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test('alice is challenged, retries with credentials, and the PBX calls bob on a leg of its own', { rfc: ['RFC 3261 §22.2', 'RFC 3261 §6'] }, async () => {
    const { result, trace } = await aliceCallsBobViaPbx(lab);
    expect(result.ok).toBe(true);
    expect(trace).toHaveFlow(['alice -> pbx INVITE', 'pbx -> alice 4xx', 'alice -> pbx ACK', 'alice -> pbx INVITE', 'pbx -> alice 200', 'alice -> pbx ACK', 'alice -> pbx BYE', 'pbx -> alice 200'], {
      subsequence: true,
      parties: ['alice', 'pbx'],
    });
    expect(trace).toHaveFlow(['pbx -> bob INVITE', 'bob -> pbx 180', 'bob -> pbx 200', 'pbx -> bob ACK', 'pbx -> bob BYE', 'bob -> pbx 200'], { subsequence: true, parties: ['pbx', 'bob'] });
    // bob's INVITE comes after alice's credentials were accepted, never before (the PBX must not call out for an unauthenticated caller).
    const { aInvite, bInvite } = legs(trace);
    expect(bInvite.index).toBeGreaterThan(aInvite.index);
    expect(aInvite.message.has('Authorization') || aInvite.message.has('Proxy-Authorization')).toBe(true);
    const challenge = trace.one({ from: 'pbx', to: 'alice', where: (m) => m.status === 401 || m.status === 407 });
  });

  lab.test('two dialogs: each leg has its own Call-ID, tags and Via stack', { rfc: ['RFC 3261 §12.1', 'RFC 7092 §3.1'] }, async () => {
    const { trace } = await aliceCallsBobViaPbx(lab);
    const { aInvite, bInvite, aOk, bOk } = legs(trace);
    expect(bInvite.message.callId).not.toBe(aInvite.message.callId);
    expect(bInvite.message.fromTag).not.toBe(aInvite.message.fromTag);
    // A proxy would push its Via on alice's; a B2BUA starts a new stack with only its own.
    expect(bInvite.message.vias).toHaveLength(1);
    expect(bInvite.message.vias[0].branch).not.toBe(aInvite.message.vias[0].branch);
    expect(bInvite.message.get('Via')).toContain(lab.target.host);
    // Each dialog stands on its own: the trace groups them apart, one per Call-ID.
    const dialogOf = (m: TraceMessage) => trace.dialogsOf(m).filter((d) => d.callId === m.message.callId);
    expect(dialogOf(aOk)).toHaveLength(1);
    expect(dialogOf(bOk)).toHaveLength(1);
    expect(dialogOf(aOk)[0]).not.toBe(dialogOf(bOk)[0]);
  });

  lab.test('each leg numbers its CSeq on its own: the PBX\'s BYE to bob follows its INVITE to bob, not alice\'s', { rfc: 'RFC 3261 §12.2.1.1' }, async () => {
    const { trace } = await aliceCallsBobViaPbx(lab);
    const { aInvite, bInvite } = legs(trace);
    const aBye = trace.one({ method: 'BYE', from: 'alice', to: 'pbx' });
    const bBye = trace.one({ method: 'BYE', from: 'pbx', to: 'bob' });
    expect(aBye.message.cseq?.seq).toBeGreaterThan(aInvite.message.cseq?.seq ?? NaN);
    expect(bBye.message.cseq?.seq).toBeGreaterThan(bInvite.message.cseq?.seq ?? NaN);
    expect(bBye.message.callId).toBe(bInvite.message.callId);
    // bob's leg does not carry alice's numbering over: its INVITE was not sent with alice's (credentialed) CSeq.
    const bAck = trace.first({ method: 'ACK', from: 'pbx', to: 'bob' });
    expect(bAck?.message.cseq?.seq).toBe(bInvite.message.cseq?.seq);
  });

  lab.test('the PBX writes each leg\'s SDP itself: its own origin and media address, a codec both sides offered', { rfc: ['RFC 3264 §5', 'RFC 3264 §6'] }, async () => {
    const { trace } = await aliceCallsBobViaPbx(lab);
    const { aInvite, bInvite, aOk, bOk } = legs(trace);
    const offerFromAlice = sdpOf(aInvite);
    const offerToBob = sdpOf(bInvite);
    const answerFromBob = sdpOf(bOk);
    const answerToAlice = sdpOf(aOk);
    // Rewritten, not relayed: the PBX originates the session on each leg (o= names its address, not alice's or bob's).
    expect(offerToBob.origin?.address).toBe(lab.target.host);
    expect(answerToAlice.origin?.address).toBe(lab.target.host);
    expect(offerFromAlice.origin?.address).toBe(lab.party('alice'));
    expect(answerFromBob.origin?.address).toBe(lab.party('bob'));
    const mediaAddress = (s: sdpTransform.SessionDescription) => s.media[0]?.connection?.ip ?? s.connection?.ip;
    expect(mediaAddress(offerToBob)).toBe(lab.target.host);
    expect(mediaAddress(answerToAlice)).toBe(lab.target.host);
    // The answer to alice is an answer to her offer: the same media, and only formats she offered.
    expect(answerToAlice.media.map((m) => m.type)).toEqual(offerFromAlice.media.map((m) => m.type));
    const offered = String(offerFromAlice.media[0].payloads ?? '').split(' ');
    expect(String(answerToAlice.media[0].payloads ?? '').split(' ').filter((p) => !offered.includes(p))).toEqual([]);
  });

  lab.test('alice hangs up: the PBX ends bob\'s leg with its own BYE', { rfc: 'RFC 3261 §15.1.1' }, async () => {
    const { trace } = await aliceCallsBobViaPbx(lab, 'alice');
    const aBye = trace.one({ method: 'BYE', from: 'alice', to: 'pbx' });
    const bBye = trace.one({ method: 'BYE', from: 'pbx', to: 'bob' });
    expect(bBye.index).toBeGreaterThan(aBye.index);
    expect(trace).toHaveMessage({ status: 200, from: 'bob', to: 'pbx', cseqMethod: 'BYE' });
    expect(trace).toHaveMessage({ status: 200, from: 'pbx', to: 'alice', cseqMethod: 'BYE' });
  });

  lab.test('bob hangs up: the PBX ends alice\'s leg with its own BYE, which alice answers 200', { rfc: ['RFC 3261 §15.1.1', 'RFC 3261 §15.1.2'] }, async () => {
    const { result, trace } = await aliceCallsBobViaPbx(lab, 'bob');
    expect(result.ok).toBe(true);
    const bBye = trace.one({ method: 'BYE', from: 'bob', to: 'pbx' });
    const aBye = trace.one({ method: 'BYE', from: 'pbx', to: 'alice' });
    expect(aBye.index).toBeGreaterThan(bBye.index);
    // The PBX's BYE belongs to alice's dialog: her Call-ID, the tags swapped (the PBX's tag is now From).
    const aOk = legs(trace).aOk;
    expect(aBye.message.callId).toBe(aOk.message.callId);
    expect(aBye.message.fromTag).toBe(aOk.message.toTag);
    expect(aBye.message.toTag).toBe(aOk.message.fromTag);
    expect(trace).toHaveMessage({ status: 200, from: 'alice', to: 'pbx', cseqMethod: 'BYE' });
  });
});
