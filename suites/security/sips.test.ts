/**
 * SIPS end to end (RFC 5630, RFC 3261 §26.2.2): over TLS, a call to a `sips:` URI must stay on TLS on every
 * hop. bob registers a `sips:` contact; alice calls `sips:bob@domain` through the proxy; the wire must show
 * the Request-URI still `sips:` when it reaches bob, every hop of the call over TLS with Via saying so, and the
 * proxy's Record-Route a SIPS URI, so that the requests of the dialog stay on TLS too (RFC 3261 §16.6 item 4).
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { runTransport } from '../../src/lab/transport.js';

describeLab('SIPS end to end through the proxy (RFC 5630)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test(
    'a call to a sips: URI stays on TLS on every hop: the Request-URI stays sips:, each Via says TLS, the Record-Route is a SIPS URI',
    { rfc: ['RFC 5630 §3.1.3', 'RFC 5630 §4.1', 'RFC 3261 §16.6', 'RFC 3261 §26.2.2'], requires: (t) => (runTransport(t) === 'tls' ? true : `SIPS needs TLS: run with --transport tls (this run goes over ${runTransport(t).toUpperCase()})`) },
    async () => {
      const bob = lab.ua('bob', lab.account(1));
      await bob.register({ contact: { scheme: 'sips' } });
      const ringing = await bob.answer().start();
      await lab.ua('alice', lab.account(0)).call(`sips:${lab.account(1).user}@${lab.target.domain}`).bye({ afterMs: 50 }).run();
      await ringing.settle();
      const trace = await lab.trace();
      const atBob = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
      expect(atBob.message.kind === 'request' ? atBob.message.uriText : '').toMatch(/^sips:/);
      const call = trace.find({ callId: atBob.message.callId, retransmissions: false });
      expect(call.filter((m) => m.transport !== 'tls').map((m) => `${m.from} -> ${m.to} ${m.label} over ${m.transport}`)).toEqual([]);
      for (const m of call.filter((x) => x.message.kind === 'request')) expect(m.message.vias[0]?.transport.toUpperCase()).toBe('TLS');
      const rr = atBob.message.recordRoutes.map((r) => r.uriText);
      expect(rr.length).toBeGreaterThan(0);
      for (const r of rr) expect(r).toMatch(/^<?sips:/);
    },
  );
});
