/**
 * SDP offer/answer through the proxy (the course's exercise 4, "call details"): alice's INVITE carries the
 * offer, bob's 200 the answer. A proxy relays both untouched (it is not a B2BUA), and the answer fits the
 * offer: the same m-lines in the same order, each either rejected with port 0 or sharing a codec with it.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab } from '../../src/lab/fixture.js';
import type { TraceMessage } from '../../src/trace/trace.js';
import { aliceCallsBob } from './parties.js';

function sdpOf(m: TraceMessage | undefined) {
  expect(m).toBeDefined();
  expect(m!).toHaveHeader('Content-Type', /application\/sdp/);
  return sdpTransform.parse(m!.message.bodyText);
}

describeLab('SDP offer/answer through the proxy (RFC 3264)', { suite: 'calls', roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy relays the offer and the answer byte for byte — RFC 3261 §16.6', { rfc: 'RFC 3261 §16.6' }, async () => {
    const trace = await aliceCallsBob(lab);
    const offer = trace.first({ method: 'INVITE', from: 'alice' });
    const offerRelayed = trace.first({ method: 'INVITE', from: 'proxy', to: 'bob' });
    const isInvite2xx = (m: TraceMessage) => m.message.cseq?.method === 'INVITE';
    const answer = trace.first({ status: 200, from: 'bob', where: isInvite2xx });
    const answerRelayed = trace.first({ status: 200, to: 'alice', where: isInvite2xx });
    expect(offerRelayed?.message.bodyText).toBe(offer?.message.bodyText);
    expect(answerRelayed?.message.bodyText).toBe(answer?.message.bodyText);
    expect(sdpOf(offer).media.length).toBeGreaterThan(0);
  });

  lab.test('the answer has the offer\'s m-lines in order, each rejected with port 0 or sharing a codec — RFC 3264 §6, §6.1', { rfc: ['RFC 3264 §6', 'RFC 3264 §6.1'] }, async () => {
    const trace = await aliceCallsBob(lab);
    const offer = sdpOf(trace.first({ method: 'INVITE', from: 'alice' }));
    const answer = sdpOf(trace.first({ status: 200, to: 'alice', where: (m) => m.message.cseq?.method === 'INVITE' }));
    expect(answer.media.map((m) => m.type)).toEqual(offer.media.map((m) => m.type));
    answer.media.forEach((m, i) => {
      if (m.port === 0) return;
      const offered = String(offer.media[i].payloads ?? '').split(' ');
      const common = String(m.payloads ?? '').split(' ').filter((p) => offered.includes(p));
      expect({ mline: i, common: common.length > 0 }).toEqual({ mline: i, common: true });
    });
    expect(answer.origin?.sessionId).toBeDefined();
    expect(answer.connection?.ip ?? answer.media[0].connection?.ip).toBeTruthy();
  });
});
