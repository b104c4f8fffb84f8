/**
 * Basic call through a proxy (the course's exercises 3-4): alice calls bob, who is registered with the target.
 * What must hold on the wire: the full INVITE / 100 / 180 / 200 / ACK / BYE / 200 flow on both hops, the
 * Record-Route echoed in the 2xx, ACK and BYE loose-routed through the proxy with its Route, consistent tags
 * and CSeq, and a Contact in the 2xx.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { aliceCallsBob } from './flows.js';

describeLab('Basic call through the proxy (RFC 3261 §12, §16)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  const hostRe = () => new RegExp(lab.target.host.replace(/\./g, '\\.'));

  lab.test('INVITE, 100, 180, 200, ACK, BYE, 200 cross the proxy in both directions', { rfc: ['RFC 3261 §16.6', 'RFC 3261 §16.7'] }, async () => {
    const trace = await aliceCallsBob(lab);
    // Each hop on its own: across hops the order is a race (bob's 200 may reach the proxy before it relays the 180).
    expect(trace).toHaveFlow(
      ['alice -> proxy INVITE', 'proxy -> alice 180', 'proxy -> alice 200', 'alice -> proxy ACK', 'alice -> proxy BYE', 'proxy -> alice 200'],
      { subsequence: true, parties: ['alice', 'proxy'] },
    );
    expect(trace).toHaveFlow(
      ['proxy -> bob INVITE', 'bob -> proxy 180', 'bob -> proxy 200', 'proxy -> bob ACK', 'proxy -> bob BYE', 'bob -> proxy 200'],
      { subsequence: true, parties: ['proxy', 'bob'] },
    );
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    expect(trace.find({ status: 100, cseqMethod: 'INVITE', from: 'proxy', to: 'alice' }).length).toBeGreaterThanOrEqual(1);
    const forwarded = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
    expect(forwarded.message.maxForwards).toBe((invite.message.maxForwards ?? NaN) - 1);
    expect(forwarded.message.vias.length).toBe(invite.message.vias.length + 1);
  });

  lab.test('the proxy record-routes, the 2xx echoes it, and ACK and BYE are loose-routed through it', { rfc: ['RFC 3261 §12.1.1', 'RFC 3261 §12.2.1.1', 'RFC 3261 §16.12'] }, async () => {
    const trace = await aliceCallsBob(lab);
    const forwarded = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
    expect(forwarded).toHaveHeader('Record-Route', new RegExp(`${hostRe().source}.*;lr`));
    const rr = forwarded.message.getAll('Record-Route');
    const ok = trace.one({ status: 200, cseqMethod: 'INVITE', from: 'bob' });
    expect(ok.message.getAll('Record-Route')).toEqual(rr);
    expect(ok).toHaveHeader('Contact');
    expect(trace.one({ status: 200, cseqMethod: 'INVITE', to: 'alice' }).message.getAll('Record-Route')).toEqual(rr);
    for (const method of ['ACK', 'BYE']) {
      const req = trace.one({ method, from: 'alice' });
      expect(req.to).toBe('proxy');
      expect(req).toHaveHeader('Route', hostRe());
      // The Request-URI is bob's Contact from the 2xx (loose routing keeps it; strict routing would not).
      expect(req.message.kind === 'request' ? req.message.uri?.raw : undefined).toBe(ok.message.contacts[0]?.uriText.replace(/^<|>$/g, ''));
      trace.one({ method, from: 'proxy', to: 'bob' });
    }
  });

  lab.test('tags, Call-ID and CSeq stay consistent across the dialog', { rfc: ['RFC 3261 §12.1', 'RFC 3261 §12.2.1.1'] }, async () => {
    const trace = await aliceCallsBob(lab);
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    const ok = trace.one({ status: 200, cseqMethod: 'INVITE', to: 'alice' });
    const bye = trace.one({ method: 'BYE', from: 'alice' });
    expect(ok.message.toTag).toBeTruthy();
    expect(ok.message.fromTag).toBe(invite.message.fromTag);
    expect(bye.message.callId).toBe(invite.message.callId);
    expect(bye.message.fromTag).toBe(invite.message.fromTag);
    expect(bye.message.toTag).toBe(ok.message.toTag);
    expect(bye.message.cseq?.seq).toBeGreaterThan(invite.message.cseq?.seq ?? Infinity);
    expect(trace.dialogs.filter((d) => d.callId === invite.message.callId).length).toBeGreaterThanOrEqual(1);
  });

  lab.test('a call to a user with no binding is rejected with 404 or 480 and goes no further', { rfc: 'RFC 3261 §16.5' }, async () => {
    await lab.ua('alice', lab.account(0)).call('nobody-registered', { expect: 'reject' }).run();
    const trace = await lab.trace();
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    expect([404, 480]).toContain(trace.responsesTo(invite).find((r) => (r.status ?? 0) >= 200)?.status);
    expect(trace.find({ method: 'INVITE', from: 'proxy' })).toEqual([]);
  });
});
