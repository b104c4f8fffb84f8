/**
 * The PBX's own features, reached by extension (the target declares them: `features: { echo: '600', … }`).
 * The PBX is the far end here, a UAS for alice's INVITE: it answers with an SDP answer to her offer, and for
 * answer-then-hangup it ends the call itself with a BYE in her dialog.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';

const declares = (feature: string) => (t: TargetPlan) => (t.features[feature] ? true : `target ${t.name} declares no ${feature} extension (features.${feature} in the target file)`);

describeLab('PBX features (echo, answer then hang up)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test('echo: the PBX answers with an SDP answer to the offer, and the call lasts until the caller\'s BYE', { rfc: ['RFC 3261 §13.3.1.4', 'RFC 3264 §6'], requires: declares('echo') }, async () => {
    const r = await lab.ua('alice', lab.account(0)).call(lab.plan.features.echo).bye({ afterMs: 500 }).run();
    const trace = await lab.trace();
    expect(r.ok).toBe(true);
    expect(trace).toHaveFlow(['alice -> pbx INVITE', 'alice -> pbx INVITE', 'pbx -> alice 200', 'alice -> pbx ACK', 'alice -> pbx BYE', 'pbx -> alice 200'], { subsequence: true });
    // The PBX sent no BYE of its own: the echo stays up until the caller ends it.
    expect(trace.find({ method: 'BYE', from: 'pbx' })).toEqual([]);
    const offer = sdpTransform.parse(trace.one({ method: 'INVITE', from: 'alice', where: (m) => m.message.has('Authorization') }).message.bodyText);
    const ok = trace.one({ status: 200, from: 'pbx', cseqMethod: 'INVITE' });
    expect(ok).toHaveHeader('Content-Type', /application\/sdp/);
    const answer = sdpTransform.parse(ok.message.bodyText);
    expect(answer.media.map((m) => m.type)).toEqual(offer.media.map((m) => m.type));
    expect(answer.media[0].port).toBeGreaterThan(0);
  });

  lab.test('answer then hang up: the PBX answers, then ends the call with its own BYE in the caller\'s dialog', { rfc: 'RFC 3261 §15.1.1', requires: declares('answerHangup') }, async () => {
    const r = await lab.ua('alice', lab.account(0)).call(lab.plan.features.answerHangup).awaitBye().run();
    const trace = await lab.trace();
    expect(r.ok).toBe(true);
    expect(trace).toHaveFlow(['alice -> pbx INVITE', 'pbx -> alice 200', 'alice -> pbx ACK', 'pbx -> alice BYE', 'alice -> pbx 200'], { subsequence: true });
    const ok = trace.one({ status: 200, from: 'pbx', cseqMethod: 'INVITE' });
    const bye = trace.one({ method: 'BYE', from: 'pbx' });
    expect(bye.message.callId).toBe(ok.message.callId);
    // The PBX is the callee: its tag (the 200's To tag) is the BYE's From tag.
    expect(bye.message.fromTag).toBe(ok.message.toTag);
    expect(bye.message.toTag).toBe(ok.message.fromTag);
    // Sent to alice's Contact, not back to the address the INVITE came from by chance.
    expect(bye.message.kind === 'request' ? bye.message.uri?.raw : '').toContain(lab.party('alice'));
  });
});
