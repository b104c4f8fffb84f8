/**
 * SDP offer/answer through the proxy (the course's exercise 4, "call details"): alice's INVITE carries the
 * offer, bob's 200 the answer. A proxy relays both untouched (it is not a B2BUA), and the answer fits the
 * offer: the same m-lines in the same order, each either rejected with port 0 or sharing a codec with it.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab } from '../../src/lab/fixture.js';
import type { TraceMessage } from '../../src/trace/trace.js';
import { aliceCallsBob } from './flows.js';

function sdpOf(m: TraceMessage) {
  expect(m).toHaveHeader('Content-Type', /application\/sdp/);
  return sdpTransform.parse(m.message.bodyText);
}

describeLab('SDP offer/answer through the proxy (RFC 3264)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy relays the offer and the answer byte for byte', { rfc: 'RFC 3261 §16.6' }, async () => {
    const trace = await aliceCallsBob(lab);
    const offer = trace.one({ method: 'INVITE', from: 'alice' });
    const answer = trace.one({ status: 200, cseqMethod: 'INVITE', from: 'bob' });
    expect(trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' }).message.bodyText).toBe(offer.message.bodyText);
    expect(trace.one({ status: 200, cseqMethod: 'INVITE', to: 'alice' }).message.bodyText).toBe(answer.message.bodyText);
    expect(sdpOf(offer).media.length).toBeGreaterThan(0);
  });

  lab.test("the answer has the offer's m-lines in order, each rejected with port 0 or sharing a codec", { rfc: ['RFC 3264 §6', 'RFC 3264 §6.1'] }, async () => {
    const trace = await aliceCallsBob(lab);
    const offer = sdpOf(trace.one({ method: 'INVITE', from: 'alice' }));
    const answer = sdpOf(trace.one({ status: 200, cseqMethod: 'INVITE', to: 'alice' }));
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
